"""Atomic, no-clobber file publication into a directory reached without following symlinks.

A reader sees the whole new file or nothing. The content goes to a temporary file in the
destination's directory (created with O_EXCL, so no existing file is ever opened), is
fsynced, and is then published in one step: with a hard link when overwriting is not
allowed (it fails if the name exists, so even a file another writer created a moment ago
is never replaced), with a rename when it is. The directory is then fsynced so the new
name survives a crash. On any failure the temporary file is removed and the destination
is as it was.

Where it is written: the caller's path was checked against the policy's root
(``Policy.path_in`` resolves it, so it holds no symlink), but any folder on it could be
swapped for a symlink between that check and the write. So the directory is opened from
``/`` one component at a time with ``O_NOFOLLOW`` (creating missing ones), and every name
is then created, linked, renamed and removed relative to that descriptor (``dir_fd``).
A component that has become a symlink (or a file) is refused with :class:`PathChanged`;
a swap after the directory was opened changes nothing, as the descriptor is the folder
that was checked, not its path. A directory moved away whole after it was opened takes
the write with it, as it would take any file already in it.

Windows has no ``dir_fd``: there the directory is used by path, and its real path is
checked against the expected one right before the file is created and again right before
it is published. A swap in the instant between that check and the system call is not
caught there.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
from pathlib import Path
from typing import Self

log = logging.getLogger(__name__)

# link() errors that mean "this filesystem has no hard links" (FAT, exFAT, some network shares).
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# What opening a component with O_NOFOLLOW | O_DIRECTORY gives when it is a symlink or a file.
_SWAPPED = {errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP), getattr(errno, "EFTYPE", errno.ELOOP)}
# POSIX: rename() replaces an existing name atomically, as os.replace does (which is not listed here).
HAS_DIR_FD = {os.open, os.mkdir, os.link, os.rename, os.unlink} <= os.supports_dir_fd


class PathChanged(OSError):
    """A folder on the way to the destination is no longer a folder (swapped for a symlink or a file)."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.ELOOP, f"{path} is no longer a folder (it was replaced, by a symbolic link or a file, after it was checked)")
        self.path = path


def temp_name(name: str) -> str:
    """A fresh temporary name for ``name`` in the same directory (so publishing is a rename)."""
    return f".{name}.{secrets.token_hex(6)}.tmp"


class Directory:
    """A directory to write into, opened from its checked, symlink-free absolute path."""

    def __init__(self, path: Path, create: bool = False) -> None:
        self.path = path
        self._fd = _walk(path, create) if HAS_DIR_FD else _open_by_path(path, create)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def create(self, name: str) -> int:
        """A new file ``name`` in it, opened for writing (never an existing file, never through a symlink)."""
        if not HAS_DIR_FD:
            self._verify()
            return os.open(self.path / name, _CREATE, 0o666)
        return os.open(name, _CREATE, 0o666, dir_fd=self._fd)

    def publish(self, temp: str, name: str, *, overwrite: bool) -> None:
        """Give the complete, fsynced file ``temp`` the name ``name``; FileExistsError if taken and not ``overwrite``."""
        if overwrite:
            self._replace(temp, name)
            return
        try:
            self._link(temp, name)
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise  # FileExistsError included
            # No hard links here: claim the name exclusively, then move the content over the claim.
            os.close(self.create(name))
            try:
                self._replace(temp, name)
            except OSError:
                self.remove(name)  # our empty claim, not someone's file
                raise
            return
        self.remove(temp)

    def remove(self, name: str) -> None:
        try:
            if HAS_DIR_FD:
                os.unlink(name, dir_fd=self._fd)
            else:
                os.unlink(self.path / name)
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("could not remove temporary file %s", self.path / name, exc_info=True)

    def move_in(self, source: Directory, name: str, new_name: str) -> None:
        """Move ``source``'s file ``name`` here as ``new_name`` (same file system), replacing one of that name."""
        if HAS_DIR_FD:
            os.rename(name, new_name, src_dir_fd=source._fd, dst_dir_fd=self._fd)
        else:
            source._verify()
            self._verify()
            os.replace(source.path / name, self.path / new_name)

    def sync(self) -> None:
        """fsync the directory, so the names published in it survive a crash."""
        if not HAS_DIR_FD:
            return  # a directory cannot be opened on Windows; NTFS journals the rename
        try:
            os.fsync(self._fd)
        except OSError:
            # The file is already published; a filesystem that cannot sync directories is no reason to fail.
            log.warning("could not fsync directory %s", self.path, exc_info=True)

    def _link(self, temp: str, name: str) -> None:
        if HAS_DIR_FD:
            os.link(temp, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        else:
            self._verify()
            os.link(self.path / temp, self.path / name)

    def _replace(self, temp: str, name: str) -> None:
        if HAS_DIR_FD:
            os.rename(temp, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        else:
            self._verify()
            os.replace(self.path / temp, self.path / name)

    def _verify(self) -> None:
        if os.path.normcase(os.path.realpath(self.path)) != os.path.normcase(str(self.path)):
            raise PathChanged(self.path)


def write_atomic(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` (absolute and symlink-free, as ``Policy.path_in`` gives it; missing
    folders are created). Raises FileExistsError when ``path`` exists and ``overwrite`` is false,
    PathChanged when a folder on the way was swapped, OSError for any other failure."""
    with Directory(path.parent, create=True) as directory:
        temp = temp_name(path.name)
        fd = directory.create(temp)
        published = False
        try:
            try:
                write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            directory.publish(temp, path.name, overwrite=overwrite)
            published = True
        finally:
            if not published:
                directory.remove(temp)
        directory.sync()


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _walk(path: Path, create: bool) -> int:
    """A descriptor of ``path``, reached from ``/`` without following any symlink."""
    if not path.is_absolute():
        raise ValueError(f"{path} is not absolute")
    fd = os.open(path.anchor, _DIRECTORY)
    try:
        for part in path.parts[1:]:
            child = _open_child(fd, part, create, path)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_child(parent: int, name: str, create: bool, path: Path) -> int:
    try:
        return _open_folder(parent, name, path)
    except FileNotFoundError:
        if not create:
            raise
    try:
        os.mkdir(name, 0o777, dir_fd=parent)
    except FileExistsError:
        pass  # made meanwhile by someone else: opened (and checked) below like any other
    return _open_folder(parent, name, path)


def _open_folder(parent: int, name: str, path: Path) -> int:
    try:
        return os.open(name, _DIRECTORY, dir_fd=parent)
    except OSError as exc:
        if exc.errno in _SWAPPED:
            raise PathChanged(path) from None
        raise


def _open_by_path(path: Path, create: bool) -> int:
    if create:
        os.makedirs(path, exist_ok=True)
    if os.path.normcase(os.path.realpath(path)) != os.path.normcase(str(path)):
        raise PathChanged(path)
    return -1
