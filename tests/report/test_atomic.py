"""Atomic publication: whole file or nothing, never a silent overwrite, no temporary file left."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from sidecar import atomic
from sidecar.atomic import write_atomic


def entries(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def test_writes_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    write_atomic(tmp_path / "r.html", b"<p>report</p>", overwrite=False)
    assert (tmp_path / "r.html").read_bytes() == b"<p>report</p>"
    assert entries(tmp_path) == ["r.html"]


def test_an_existing_file_is_kept_unless_overwriting_is_asked(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_bytes(b"first")
    with pytest.raises(FileExistsError):
        write_atomic(target, b"second", overwrite=False)
    assert target.read_bytes() == b"first" and entries(tmp_path) == ["r.md"]
    write_atomic(target, b"third", overwrite=True)
    assert target.read_bytes() == b"third" and entries(tmp_path) == ["r.md"]


def test_a_write_that_fails_midway_leaves_neither_file_nor_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(fd: int, data: bytes) -> None:
        os.write(fd, data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "write_all", disk_full)
    with pytest.raises(OSError, match=os.strerror(errno.ENOSPC)) as failure:
        write_atomic(tmp_path / "r.pdf", b"x" * 1000, overwrite=False)
    assert failure.value.errno == errno.ENOSPC
    assert entries(tmp_path) == []


def test_a_failed_overwrite_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.json"
    target.write_bytes(b"old")

    def disk_full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "write_all", disk_full)
    with pytest.raises(OSError, match=os.strerror(errno.ENOSPC)):
        write_atomic(target, b"new", overwrite=True)
    assert target.read_bytes() == b"old" and entries(tmp_path) == ["r.json"]


def test_without_hard_links_the_name_is_still_claimed_exclusively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(atomic.os, "link", no_links)
    write_atomic(tmp_path / "r.html", b"content", overwrite=False)
    assert (tmp_path / "r.html").read_bytes() == b"content"
    with pytest.raises(FileExistsError):
        write_atomic(tmp_path / "r.html", b"other", overwrite=False)
    assert (tmp_path / "r.html").read_bytes() == b"content" and entries(tmp_path) == ["r.html"]


def test_of_concurrent_writers_of_one_name_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def writer(index: int) -> None:
        start.wait()
        try:
            write_atomic(target, f"writer {index}".encode() * 1000, overwrite=False)
            outcomes.append(f"writer {index}")
        except FileExistsError:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [outcome for outcome in outcomes if outcome != "refused"]
    assert len(winners) == 1 and len(outcomes) == 8
    assert target.read_bytes() == winners[0].encode() * 1000
    assert entries(tmp_path) == ["r.html"]
