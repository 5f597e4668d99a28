"""What lockstep's tests and its benchmarks both use: test packages, a loopback server, real
projects. A package of its own, so that the benchmarks need nothing from tests/ (which a
project made with `make init` leaves out) and tests/support can re-export it.
"""
