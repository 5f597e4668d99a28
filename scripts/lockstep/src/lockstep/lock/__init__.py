"""`lockstep lock`: solve conda, derive pins, run Poetry, swap the new files in."""
