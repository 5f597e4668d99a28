"""`lockstep init`: turn the template into the user's project, all or nothing."""
