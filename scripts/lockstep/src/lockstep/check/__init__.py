"""`lockstep check`: are the lockfiles fresh? Offline and solver-free."""
