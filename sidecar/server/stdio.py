"""Take the protocol channel away from fds 0 and 1, so nothing else can corrupt it.

A stray ``print()`` in a dependency, or a C library writing to fd 1, is the
classic way a stdio server dies: the host reads garbage where it expects a frame.
So at startup the sidecar keeps private duplicates of fds 0 and 1 for the
protocol, points fd 1 at stderr (stray writes become log noise, not corruption)
and fd 0 at /dev/null (nobody else can consume protocol bytes).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProtocolFds:
    read_fd: int
    write_fd: int


def take_over_stdio() -> ProtocolFds:
    # os.dup makes non-inheritable fds, so child processes never hold the protocol pipes.
    read_fd = os.dup(0)
    write_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    # sys.stdout still wraps fd 1, which now reaches stderr; flush per line so logs interleave sanely.
    if sys.stdout is not None:
        sys.stdout.reconfigure(line_buffering=True)
    return ProtocolFds(read_fd, write_fd)
