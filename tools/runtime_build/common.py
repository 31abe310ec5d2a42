"""Paths, the error type, and the small file and process helpers every stage uses."""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

log = logging.getLogger("build_runtime")

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "runtime" / "requirements.lock"
BASE_PINS = REPO / "runtime" / "base-archives.sha256"
CACHE = REPO / "runtime" / "cache"
DIST = REPO / "runtime" / "dist"
# 1980-01-01: the time of every archive member and of every file in a wheel we build, so bytes depend on content only.
FIXED_MTIME = 315_532_800


class BuildError(Exception):
    """A build or check that cannot go on; the message says why and what to do."""


def run(argv: Sequence[object], **options) -> str:
    """Run a tool; its stdout as text. Failure raises BuildError with the tool's own message."""
    command = [str(arg) for arg in argv]
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    if done.returncode != 0:
        raise BuildError(f"{' '.join(command)} failed with exit code {done.returncode}:\n{done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def c_locale() -> dict[str, str]:
    """The environment with LC_ALL=C, for tools whose output we parse."""
    return {**os.environ, "LC_ALL": "C"}


def sha256_file(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def walk(root: Path) -> list[tuple[str, Path]]:
    """(path relative to root, path) of every file under root, sorted by relative path. Links are
    included, also links to folders (which os.walk lists with the folders and does not enter)."""
    found = [
        Path(directory, name) for directory, dirs, files in os.walk(root) for name in files + [d for d in dirs if os.path.islink(os.path.join(directory, d))]
    ]
    return sorted((path.relative_to(root).as_posix(), path) for path in found)


def file_entries(root: Path) -> Iterator[tuple[str, int, str]]:
    """(relative path, size, sha256) of every file under root, sorted by path; a runtime holds no links."""
    for relative, path in walk(root):
        if path.is_symlink():
            raise BuildError(f"{relative} is a symbolic link; a runtime holds only plain files (bundlers do not keep links)")
        yield relative, path.stat().st_size, sha256_file(path)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for relative, _, sha in file_entries(root):
        digest.update(f"{relative}\0{sha}\n".encode())
    return digest.hexdigest()


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(4) == b"\x7fELF"
    except (FileNotFoundError, IsADirectoryError):
        return False


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def host_target() -> str:
    """The Rust target triple this machine builds for (the host looks for runtime/<triple>/bin/python3)."""
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        raise BuildError(f"only glibc Linux targets are implemented (this is {sys.platform}); see docs/RUNTIME.md")
    machine = platform.machine()
    if machine not in ("x86_64", "aarch64"):
        raise BuildError(f"unsupported machine {machine}: x86_64 and aarch64 Linux are implemented")
    return f"{machine}-unknown-linux-gnu"
