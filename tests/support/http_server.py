"""Re-exported from lockstep_testing.http_server (scripts/lockstep/testing), which the
benchmarks import too: they need nothing from tests/."""

from lockstep_testing.http_server import (
    JSON_SIMPLE,
    MAX_STALL_SECONDS,
    SEND_BUFFER_BYTES,
    WRITE_CHUNK_BYTES,
    LoopbackServer,
    ServerState,
    serving,
)

__all__ = [
    "JSON_SIMPLE",
    "MAX_STALL_SECONDS",
    "SEND_BUFFER_BYTES",
    "WRITE_CHUNK_BYTES",
    "LoopbackServer",
    "ServerState",
    "serving",
]
