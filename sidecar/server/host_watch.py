"""Notice when the host is gone, so the sidecar never outlives it.

Two independent signals, whichever comes first, looked at when the watch starts and
then every ``POLL_INTERVAL``:

* whether the original parent is still our parent; on Linux the wait between looks
  also ends as soon as the parent exits, through a pidfd (``os.pidfd_open``, Linux 5.3
  and later). Unlike ``PR_SET_PDEATHSIG``, which fires when the parent *thread* exits
  (a host that spawns from a short-lived thread, a tokio blocking-pool thread say, does
  that routinely) and needs ``ctypes`` (1.2 ms of start-up) to ask for, a pidfd
  follows the parent process;
* whether ``host_pid`` (from ``initialize``) is alive.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import anyio

POLL_INTERVAL = 0.25


class HostWatch:
    def __init__(self) -> None:
        self.original_parent = os.getppid()

    def parent_gone(self) -> bool:
        return os.getppid() != self.original_parent

    async def watch(
        self, host_pid: Callable[[], int | None], on_gone: Callable[[str], None], *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Call ``on_gone`` once the host is gone. Started after the first look, so a parent that
        died before the server started is seen before the first byte is read."""
        # Opened before the first look: if the parent is still ours after it, the pidfd is that parent's.
        with exit_notice(self.original_parent) as parent_exit:
            reason = self._gone(host_pid)
            task_status.started()  # does not yield: a host gone at the first look is reported before the starter resumes
            while reason is None:
                with anyio.move_on_after(POLL_INTERVAL):
                    await parent_exit()
                    reason = "parent process exited"
                reason = reason or self._gone(host_pid)
        on_gone(reason)

    def _gone(self, host_pid: Callable[[], int | None]) -> str | None:
        if self.parent_gone():
            return "parent process exited"
        pid = host_pid()
        if pid is not None and not pid_alive(pid):
            return f"host process {pid} exited"
        return None


@contextmanager
def exit_notice(pid: int) -> Iterator[Callable[[], Awaitable[None]]]:
    """An awaitable that returns when ``pid`` exits: a pidfd's readiness on Linux, else never
    (and on a kernel without pidfds, or a pid already gone), leaving the polling to see it."""
    try:
        pidfd = os.pidfd_open(pid) if sys.platform.startswith("linux") else None
    except OSError:
        pidfd = None
    if pidfd is None:
        yield anyio.sleep_forever
        return
    try:
        yield lambda: anyio.wait_readable(pidfd)
    finally:
        os.close(pidfd)


def pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):  # exists but not ours; or a pid this check cannot judge
        return True  # never end the sidecar on a doubt: the parent-death signals still stand
    return True


def _windows_pid_alive(pid: int) -> bool:
    # os.kill(pid, 0) would send CTRL_C_EVENT on Windows; ask the kernel for the exit code instead.
    import ctypes

    process_query_limited_information, still_active = 0x1000, 259
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
