"""runtime/requirements.lock pins exactly what requirements/ lists for the runtime, with hashes; a
difference between the two is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.runtime_build.common import LOCK, BuildError
from tools.runtime_build.lock import REQUIREMENTS, lock_drift, read_lock, read_requirements

from ..conftest import REPO


@pytest.fixture
def requirements(tmp_path: Path) -> list[Path]:
    """Copies of the runtime's requirement files, to change."""
    return [Path(shutil.copy(path, tmp_path / path.name)) for path in REQUIREMENTS]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_lock_agrees_with_the_runtime_requirements_and_hashes_every_pin() -> None:
    pins = read_lock()
    assert lock_drift(read_requirements(), pins) == []
    assert all(pin.hashes for pin in pins)
    assert {"pymobiledevice3", "yt-dlp", "fpdf2", "adb-shell", "msgspec"} <= {pin.name for pin in pins}
    # Test tools stay out: they are in dev.txt and report-dev.txt only.
    assert not {"pytest", "hypothesis", "setuptools"} & {pin.name for pin in pins}
    checked = subprocess.run([sys.executable, str(REPO / "build_runtime.py"), "lock", "--check"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_a_version_bumped_in_requirements_but_not_in_the_lock_is_drift(requirements) -> None:
    download = next(path for path in requirements if path.name == "download.txt")
    edit(download, "yt-dlp==", "yt-dlp==1999.1.1\n# was ")
    assert lock_drift(read_requirements(requirements), read_lock()) == [f"yt-dlp: requirements pin 1999.1.1, the lock has {pin_of('yt-dlp')}"]


def test_a_package_added_to_or_dropped_from_requirements_is_drift(requirements) -> None:
    report = next(path for path in requirements if path.name == "report.txt")
    edit(report, "defusedxml==0.7.1\n", "brotli==1.1.0\n")
    assert lock_drift(read_requirements(requirements), read_lock()) == [
        "brotli: requirements pin 1.1.0, the lock has nothing",
        "defusedxml: the lock has 0.7.1, no requirements file lists it",
    ]


def test_two_requirement_files_pinning_one_package_differently_are_refused(requirements) -> None:
    edit(requirements[0], "idna==", "idna==0.1\n# was ")
    with pytest.raises(BuildError, match="idna is pinned to both"):
        read_requirements(requirements)


def pin_of(name: str) -> str:
    return next(pin.version for pin in read_lock(LOCK) if pin.name == name)
