"""lockstep: keep conda-lock and Poetry lockfiles consistent.

This module must stay importable with the standard library alone: the
`lockstep.prefix` subpackage runs with a conda environment's own python.
"""

__version__ = "0.1.0"
