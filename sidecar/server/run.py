"""Run the sidecar on this process's stdio until the host is done with it."""

from __future__ import annotations

import logging
import os
import signal
import sys

import anyio

from .. import logs
from ..logs import LogLevel
from .host_watch import HostWatch
from .server import Server
from .session import ServerConfig
from .stdio import take_over_stdio
from .table import MethodTable


def serve(config: ServerConfig, table: MethodTable, log_level: LogLevel = "info") -> int:
    """Serve until stopped and return the exit code."""
    watch = HostWatch()  # remember the parent first, before anything can race with its death
    logs.configure(log_level)
    fds = take_over_stdio()
    watch.arm_parent_death_signal()
    server = Server(config, table, fds, watch)
    if watch.parent_gone():
        server.request_stop("parent process exited before start")
    logging.getLogger(__name__).debug("serving with %s", config)
    # The server catches SIGTERM/SIGINT itself while it runs. Outside that window (before its
    # receiver is installed, or after it is removed during teardown) both raise
    # KeyboardInterrupt, which is the same clean stop, never a death by signal.
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return anyio.run(server.run)
    except KeyboardInterrupt:
        logging.getLogger(__name__).info("stopping: interrupted outside the server's signal handling")
        return 0


def exit_now(code: int) -> None:
    """End the process at once after flushing logs.

    Interpreter shutdown would wait for any worker thread still stuck in a
    blocking call that was abandoned on cancel; the host expects us gone now.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)  # the process is ending cleanly: a late signal must not change that
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)
