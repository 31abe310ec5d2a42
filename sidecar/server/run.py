"""Run the sidecar on this process's stdio until the host is done with it."""

from __future__ import annotations

import gc
import logging
import signal
import sys

import anyio

from .. import logs
from ..logs import LogLevel
from ..process import ProtocolFds, take_over_stdio
from .host_watch import HostWatch
from .server import serve_fds
from .session import ServerConfig
from .table import MethodTable


def serve(config: ServerConfig, table: MethodTable, log_level: LogLevel = "info") -> int:
    """Serve until stopped and return the exit code."""
    watch = HostWatch()  # remember the parent first, before anything can race with its death
    logs.configure(log_level)
    fds = take_over_stdio()
    logging.getLogger(__name__).debug("serving with %s", config)
    # The server catches SIGTERM/SIGINT itself while it runs. Outside that window (before its
    # receiver is installed, or after it is removed during teardown) both raise
    # KeyboardInterrupt, which is the same clean stop, never a death by signal.
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return anyio.run(_collected, config, table, fds, watch)
    except KeyboardInterrupt:
        logging.getLogger(__name__).info("stopping: interrupted outside the server's signal handling")
        return 0


async def _collected(config: ServerConfig, table: MethodTable, fds: ProtocolFds, watch: HostWatch) -> int:
    """``serve_fds`` with the garbage collector on, and what startup made frozen out of its scans.

    By now the event loop and its backend are imported too: what exists lives as long as the
    process. Frozen, it is not scanned again (nor at the first collection, which would
    otherwise take a few milliseconds of the first request) while new objects are collected
    as usual. ``python -m sidecar`` turns the collector off while it starts (__main__.py).
    """
    gc.freeze()
    gc.enable()
    return await serve_fds(config, table, fds, watch)
