"""A folder inside a root swapped for a symlink after its path was checked takes no artifact out of
the root: report/format's write, logs/collect's log file and a download's final move.

The race is made in-process, with no timing: the path is checked, then the swap happens at
the moment the writer reaches the folder (before the write, or right before publishing, by
wrapping the real step that comes next), then the writer goes on. Each swap renames the
real folder aside and puts a symlink to a folder outside the root in its place, as a racing
process would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sidecar import atomic
from sidecar.devices.logfile import LogFile
from sidecar.methods import report
from sidecar.policy import Policy, Roots
from sidecar.protocol.errors import RpcError


def swap_for_symlink(folder: Path, outside: Path) -> None:
    folder.rename(folder.with_name(folder.name + "-moved"))
    folder.symlink_to(outside, target_is_directory=True)


def written(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    (folder / "today").mkdir(parents=True)
    return folder


def swap_on_next_call(monkeypatch: pytest.MonkeyPatch, module: object, name: str, swap: Callable[[], None]) -> None:
    """Run ``swap`` once, right before the next call of ``module.name``, then call the real one."""
    real = getattr(module, name)

    def swapping(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(module, name, real)
        swap()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, swapping)


# ---- report/format


def reports_policy(root: Path) -> Policy:
    return Policy(capabilities=frozenset({"report.write"}), roots=Roots(reports=str(root)))


def test_a_report_folder_swapped_before_the_write_is_refused_and_nothing_is_written_outside(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "reports"
    (root / "cases" / "today").mkdir(parents=True)
    target = reports_policy(root).path_in("reports", "cases/today/r1.html")  # what report/format checks first
    swap_for_symlink(root / "cases", outside)  # while the report renders

    with pytest.raises(RpcError) as caught:
        report._write(target, b"<p>report</p>", overwrite=False)

    assert caught.value.kind == "policy_denied"
    assert written(outside) == [] and written(root) == []


def test_a_report_folder_swapped_at_the_moment_of_publishing_keeps_the_artifact_in_the_folder_that_was_checked(tmp_path, outside, monkeypatch) -> None:
    root = tmp_path / "reports"
    (root / "cases" / "today").mkdir(parents=True)
    target = reports_policy(root).path_in("reports", "cases/today/r1.html")
    # The temporary file is written; the swap comes right before it is published (linked to its name).
    swap_on_next_call(monkeypatch, atomic.os, "link", lambda: swap_for_symlink(root / "cases", outside))

    report._write(target, b"<p>report</p>", overwrite=False)

    assert written(outside) == []
    assert written(root) == ["cases-moved/today/r1.html"]


# ---- logs/collect


def logs_policy(root: Path) -> Policy:
    return Policy(capabilities=frozenset({"device.logs"}), roots=Roots(logs=str(root)))


def test_a_logs_folder_swapped_before_the_collection_starts_is_refused(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "logs"
    (root / "R58M123").mkdir(parents=True)
    log = LogFile.for_device(logs_policy(root), "R58M123", "logcat")  # checks the path
    swap_for_symlink(root / "R58M123", outside)

    with pytest.raises(RpcError) as caught:
        log.open()

    assert caught.value.kind == "policy_denied"
    assert written(outside) == [] and written(root) == []


def test_a_logs_folder_swapped_while_the_log_streams_in_keeps_the_log_in_the_folder_that_was_checked(tmp_path, outside) -> None:
    root = tmp_path / "logs"
    log = LogFile.for_device(logs_policy(root), "R58M123", "logcat")
    log.open()
    log.write(b"01-01 00:00:00.000  1000  1000 I boot: hello\n")
    swap_for_symlink(root / "R58M123", outside)
    log._publish()  # what publish() runs in a worker thread

    assert written(outside) == []
    assert written(root) == [f"R58M123-moved/{log.name}"]
