"""The end-to-end suite behind `make test-e2e`: see e2e.py.

No file here matches pytest's `test_*.py`, so `make test` never collects the
suite itself; its parts are tested by tests/template/test_e2e_suite.py.
"""
