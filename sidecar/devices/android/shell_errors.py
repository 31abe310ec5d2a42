"""What the Android shell says when a command fails, in the wording of every generation.

The plain ``shell:`` service merges stderr into stdout and gives no exit status, so a
failure is recognised by its wording. That wording changed with the shell and its tools:

* toolbox and mksh (Android 6 and older): ``/system/bin/sh: which: not found``,
  ``/sbin/su: No such file or directory``, ``opendir failed, Permission denied``;
* toybox and a newer mksh (Android 7 on): ``/system/bin/sh: su: inaccessible or not found``,
  ``ls: /sbin/su: No such file or directory``, ``ls: /data/anr: Permission denied``;
* the framework's services, any version: ``Can't find service: battery``,
  ``Permission Denial: can't dump ...``, ``java.lang.SecurityException: ...``.

Only the first line of the output is judged (a real answer never starts with these), so a
log or file that merely contains the words is never mistaken for a failure.
"""

from __future__ import annotations

import enum
import re


class ShellError(enum.Enum):
    NOT_FOUND = "not found"  # the program (or service) does not exist on this device
    NO_SUCH_FILE = "no such file"
    PERMISSION_DENIED = "permission denied"
    FAILED = "failed"  # a framework command threw (its stack trace is the output)


_PATTERNS = (
    # "/system/bin/sh: which: not found", "sh: dpm: inaccessible or not found", "which: not found"
    (re.compile(r"^(?:\S*sh: )?\S+: (?:inaccessible or )?not found$"), ShellError.NOT_FOUND),
    (re.compile(r"^(?:cmd: )?Can't find service: "), ShellError.NOT_FOUND),
    (re.compile(r"^Error: Could not access the Package Manager"), ShellError.NOT_FOUND),
    (re.compile(r"No such file or directory$"), ShellError.NO_SUCH_FILE),
    (re.compile(r"Permission denied$|^Permission Denial: |^java\.lang\.SecurityException\b|^Security exception: "), ShellError.PERMISSION_DENIED),
    # "Exception occurred while executing 'list':" then the exception (a shell command's onCommand threw)
    (re.compile(r"^Exception occurred while executing\b"), ShellError.FAILED),
)


def shell_error(output: str) -> ShellError | None:
    """The failure ``output`` reports, or None if it reads as the command's real answer."""
    lines = [line.strip() for line in output.split("\n", 3)[:3] if line.strip()]
    for pattern, error in _PATTERNS:
        if lines and pattern.search(lines[0]):
            if error is ShellError.FAILED and len(lines) > 1 and "SecurityException" in lines[1]:
                return ShellError.PERMISSION_DENIED
            return error
    return None


def lf(text: str) -> str:
    """Line ends as the device wrote them: adbd before Android 7 ran ``shell:`` on a pty,
    which turns every ``\\n`` into ``\\r\\n``; a tool on the way may leave a bare ``\\r``
    (tests/corpus has such a capture), read as a line end too."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class PtyLineEnds:
    """:func:`lf` for a stream: a ``\\r`` at the end of one chunk may pair with a ``\\n`` in the next."""

    def __init__(self) -> None:
        self._held_cr = False

    def feed(self, chunk: bytes) -> bytes:
        if self._held_cr:
            chunk = b"\r" + chunk
        self._held_cr = chunk.endswith(b"\r")
        if self._held_cr:
            chunk = chunk[:-1]
        return chunk.replace(b"\r\n", b"\n")

    def end(self) -> bytes:
        return b"\r" if self._held_cr else b""
