"""Atomic, no-clobber file publication: a reader sees the whole new file or nothing.

The content goes to a temporary file in the destination's directory (created with
O_EXCL, so no existing file is ever opened), is fsynced, and is then published in one
step: with ``os.link`` when overwriting is not allowed (it fails if the name exists, so
even a file another writer created a moment ago is never replaced), with ``os.replace``
when it is. The directory is then fsynced so the new name survives a crash. On any
failure the temporary file is removed and the destination is as it was.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

# link() errors that mean "this filesystem has no hard links" (FAT, exFAT, some network shares).
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def temp_path(path: Path) -> Path:
    """A fresh temporary name beside ``path`` (same directory, so publishing is a rename)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def write_atomic(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` (whose directory exists). Raises FileExistsError when
    ``path`` exists and ``overwrite`` is false, OSError for any other failure."""
    temp = temp_path(path)
    fd = os.open(temp, _CREATE, 0o666)
    published = False
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        publish(temp, path, overwrite=overwrite)
        published = True
    finally:
        if not published:
            _remove(temp)
    sync_directory(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def publish(temp: Path, path: Path, *, overwrite: bool) -> None:
    """Give the complete, fsynced file ``temp`` the name ``path``; FileExistsError if taken and not ``overwrite``."""
    if overwrite:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise  # FileExistsError included
        # No hard links here: claim the name exclusively, then move the content over the claim.
        os.close(os.open(path, _CREATE, 0o666))
        try:
            os.replace(temp, path)
        except OSError:
            _remove(path)  # our empty claim, not someone's file
            raise
        return
    _remove(temp)


def _remove(temp: Path) -> None:
    try:
        os.unlink(temp)
    except FileNotFoundError:
        pass
    except OSError:
        log.warning("could not remove temporary file %s", temp, exc_info=True)


def sync_directory(directory: Path) -> None:
    if os.name == "nt":
        return  # a directory cannot be opened on Windows; NTFS journals the rename
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        # The file is already published; a filesystem that cannot sync directories is no reason to fail.
        log.warning("could not fsync directory %s", directory, exc_info=True)
