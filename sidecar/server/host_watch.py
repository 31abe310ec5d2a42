"""Notice when the host is gone, so the sidecar never outlives it.

Three independent signals, whichever comes first:

* Linux: ``PR_SET_PDEATHSIG`` delivers SIGHUP when the parent dies. The kernel
  sends it when the parent *thread* exits, which a host that spawns from a
  short-lived thread (a tokio blocking-pool thread, say) does routinely, so
  SIGHUP only counts when the parent process has really changed.
* Everywhere: polling whether the original parent is still our parent.
* Everywhere: polling whether ``host_pid`` (from ``initialize``) is alive.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

import anyio

POLL_INTERVAL = 0.25
_PR_SET_PDEATHSIG = 1


class HostWatch:
    def __init__(self) -> None:
        self.original_parent = os.getppid()

    def arm_parent_death_signal(self) -> None:
        """Ask the kernel for SIGHUP when the parent dies (Linux only; best effort)."""
        if not sys.platform.startswith("linux"):
            return
        import ctypes  # only here: not needed on the protocol's hot path

        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGHUP), 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def parent_gone(self) -> bool:
        return os.getppid() != self.original_parent

    async def watch(
        self, host_pid: Callable[[], int | None], on_gone: Callable[[str], None], *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Call ``on_gone`` once the host is gone. Started after the first look, so a parent that
        died before the server started is seen before the first byte is read."""
        reason = self._gone(host_pid)
        task_status.started()  # does not yield: a host gone at the first look is reported before the starter resumes
        while reason is None:
            await anyio.sleep(POLL_INTERVAL)
            reason = self._gone(host_pid)
        on_gone(reason)

    def _gone(self, host_pid: Callable[[], int | None]) -> str | None:
        if self.parent_gone():
            return "parent process exited"
        pid = host_pid()
        if pid is not None and not pid_alive(pid):
            return f"host process {pid} exited"
        return None


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
