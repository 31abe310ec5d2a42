"""Process-level helpers shared by the sidecar and its download workers.

Both speak on a private channel and must never let a stray write corrupt it, and both
must end at once when they are done, whatever threads are still blocked.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProtocolFds:
    read_fd: int
    write_fd: int


def take_over_stdio() -> ProtocolFds:
    """Take the protocol channel away from fds 0 and 1, so nothing else can corrupt it.

    A stray ``print()`` in a dependency, or a C library writing to fd 1, is the classic
    way a stdio server dies: the peer reads garbage where it expects a frame. So keep
    private duplicates of fds 0 and 1 for the protocol, point fd 1 at stderr (stray
    writes become log noise, not corruption) and fd 0 at /dev/null (nobody else can
    consume protocol bytes).
    """
    # os.dup makes non-inheritable fds, so child processes never hold the protocol pipes.
    read_fd = os.dup(0)
    write_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    # sys.stdout still wraps fd 1, which now reaches stderr; flush per line so logs interleave sanely.
    if sys.stdout is not None:
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    return ProtocolFds(read_fd, write_fd)


def exit_now(code: int) -> None:
    """End the process at once after flushing logs.

    Interpreter shutdown would wait for any worker thread still stuck in a
    blocking call that was abandoned on cancel; the peer expects us gone now.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)  # the process is ending cleanly: a late signal must not change that
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)
