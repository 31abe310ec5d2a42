"""A log file streamed to disk under the policy's logs root: bounded, hashed, published atomically.

Device output is never held in memory: each chunk is written to a temporary file
in the destination directory as it arrives, counted against the policy's byte
limit and hashed. Only a complete collection is published (fsync, then a
no-overwrite rename); a cancelled or failed one removes its temporary file, so
no half-written log is ever left behind.

The directory is opened once, when the collection starts, without following a
symlink (``atomic.Directory``), and the file is created and published relative to
it: swapping a folder for a symlink while a log streams in cannot move it out of
the logs root.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import anyio

from ..atomic import Directory, PathChanged, temp_name, write_all
from ..policy import Policy
from ..protocol.errors import RpcError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class LogFile:
    def __init__(self, directory: Path, name: str, limit: int) -> None:
        self.directory = directory
        self.name = name
        self.limit = limit
        self.bytes = 0
        self.lines = 0
        self.truncated = False
        self._hash = hashlib.sha256()
        self._temp = temp_name(name)
        self._dir: Directory | None = None
        self._fd = -1

    @classmethod
    def for_device(cls, policy: Policy, device_id: str, scope: str) -> LogFile:
        """A new log file for ``device_id`` under the logs root (refused if the policy grants none)."""
        directory = policy.path_in("logs", _UNSAFE.sub("_", device_id).strip("._") or "device")
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return cls(directory, f"{stamp}-{scope}.log", policy.max_log_bytes)

    def open(self) -> None:
        try:
            self._dir = Directory(self.directory, create=True)
            self._fd = self._dir.create(self._temp)
        except PathChanged as exc:
            self.abort()
            raise RpcError(
                "policy_denied",
                f"cannot write the log: {exc.strerror}",
                "Check that nothing replaces folders inside the logs folder, then retry.",
            ) from None
        except OSError as exc:
            self.abort()
            raise io_error(exc, self.directory) from exc

    def write(self, data: bytes) -> bool:
        """Append ``data`` up to the byte limit; False once the limit is reached (the log is then truncated)."""
        room = self.limit - self.bytes
        if len(data) > room:
            data = data[: max(0, data.rfind(b"\n", 0, room) + 1)]  # cut at a line end, never mid-line
            self.truncated = True
        try:
            write_all(self._fd, data)
        except OSError as exc:
            self.abort()
            raise io_error(exc, self.directory) from exc
        self.bytes += len(data)
        self.lines += data.count(b"\n")
        self._hash.update(data)
        return not self.truncated

    async def publish(self) -> Path:
        """fsync and move into place under a name that does not exist yet; returns the final path."""
        return await anyio.to_thread.run_sync(self._publish)

    def _publish(self) -> Path:
        assert self._dir is not None, "publish() before open()"
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1
            final = self._publish_under_free_name(self._dir)
            self._dir.sync()
            self._dir.close()
            self._dir = None
            return final
        except OSError as exc:
            self.abort()
            raise io_error(exc, self.directory) from exc

    def abort(self) -> None:
        """Remove the temporary file (cancellation, errors)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._dir is not None:
            self._dir.remove(self._temp)
            self._dir.close()
            self._dir = None

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def _publish_under_free_name(self, directory: Directory) -> Path:
        """Publish as ``name``, or ``name-2``, ``-3``...: an existing log is never replaced."""
        stem, suffix = os.path.splitext(self.name)
        counter = 1
        while True:
            candidate = self.name if counter == 1 else f"{stem}-{counter}{suffix}"
            try:
                directory.publish(self._temp, candidate, overwrite=False)
                return self.directory / candidate
            except FileExistsError:
                counter += 1


def io_error(exc: OSError, directory: Path) -> RpcError:
    full = exc.errno in (28, 122)  # ENOSPC, EDQUOT
    return RpcError(
        "io_error",
        f"cannot write the log in {directory}: {exc.strerror or exc}",
        "Free some disk space and retry." if full else "Check that the logs folder is writable.",
        retryable=full,
    )
