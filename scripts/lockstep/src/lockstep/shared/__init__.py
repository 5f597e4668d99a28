"""What lock, check, import and prefix share: project files, readers, errors, settings.

Standard library only at import time: `lockstep.prefix` imports some of these
inside conda environments.
"""
