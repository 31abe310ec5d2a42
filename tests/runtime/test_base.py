"""The base CPython: a python-build-standalone archive is used only when its sha256 matches its pin,
and is extracted safely; a base that cannot be made relocatable is refused with the reasons. (A full
build from a real python-build-standalone archive is not run here: none is at hand offline.)"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tools.runtime_build.base import archive_base, open_base
from tools.runtime_build.common import BuildError, sha256_file

from ..conftest import REPO

BASE = Path(sys.base_prefix)
SHORT = f"{sys.version_info.major}.{sys.version_info.minor}"
NAME = f"cpython-{SHORT}.99+20991231-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"


def standalone_like(path: Path, extra: tarfile.TarInfo | None = None) -> Path:
    """A small archive laid out like python-build-standalone's install_only: python/bin, python/lib, a
    shared libpython, the standard library's landmark and build configuration."""
    tree = path.parent / "tree" / "python"
    stdlib = tree / "lib" / f"python{SHORT}"
    (stdlib / "lib-dynload").mkdir(parents=True)
    (tree / "bin").mkdir()
    shutil.copy(BASE / "bin" / f"python{SHORT}", tree / "bin" / f"python{SHORT}")  # a real ELF executable
    (tree / "bin" / "python3").symlink_to(f"python{SHORT}")
    shutil.copy(next((BASE / "lib" / f"python{SHORT}" / "lib-dynload").glob("_json*.so")), tree / "lib" / f"libpython{SHORT}.so.1.0")
    (stdlib / "os.py").write_text("")
    (stdlib / "_sysconfigdata__linux_x86_64-linux-gnu.py").write_text(
        f"build_time_vars = {{'Py_ENABLE_SHARED': 1, 'INSTSONAME': 'libpython{SHORT}.so.1.0', 'PYTHONFRAMEWORK': ''}}\n"
    )
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tree, arcname="python")
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b"x"))
    return path


def pins_for(tmp_path: Path, archive: Path, sha: str | None = None) -> Path:
    pins = tmp_path / "base-archives.sha256"
    pins.write_text(f"# sha256  file\n{sha or sha256_file(archive)}  {archive.name}\n")
    return pins


def test_a_pinned_archive_is_extracted_and_accepted_as_a_shared_library_base(tmp_path) -> None:
    archive = standalone_like(tmp_path / NAME)
    base = archive_base(archive, pins_for(tmp_path, archive), cache=tmp_path / "cache")
    assert base.prefix == tmp_path / "cache" / sha256_file(archive) / "python"
    assert (base.short, base.soname) == (SHORT, f"libpython{SHORT}.so.1.0")
    assert base.origin == {"kind": "python-build-standalone", "archive": NAME, "sha256": sha256_file(archive)}
    assert (base.prefix / "bin" / "python3").is_symlink()  # links inside the archive's tree are kept


def test_an_archive_whose_sha256_differs_from_its_pin_is_refused(tmp_path) -> None:
    archive = standalone_like(tmp_path / NAME)
    with pytest.raises(BuildError, match="refusing a different file"):
        archive_base(archive, pins_for(tmp_path, archive, sha="0" * 64), cache=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_an_archive_without_a_pin_is_refused(tmp_path) -> None:
    archive = standalone_like(tmp_path / NAME)
    pins = tmp_path / "empty.sha256"
    pins.write_text("")
    with pytest.raises(BuildError, match="has no pin"):
        archive_base(archive, pins, cache=tmp_path / "cache")


def test_an_archive_member_that_escapes_the_tree_is_refused(tmp_path) -> None:
    escape = tarfile.TarInfo("python/../../escaped")
    escape.size = 1
    archive = standalone_like(tmp_path / NAME, extra=escape)
    with pytest.raises(BuildError, match="cannot be extracted safely"):
        archive_base(archive, pins_for(tmp_path, archive), cache=tmp_path / "cache")
    assert not (tmp_path / "escaped").exists()


def test_a_base_that_cannot_be_made_relocatable_is_refused_with_every_reason(tmp_path) -> None:
    prefix = tmp_path / "old-python"
    (prefix / "lib" / "python3.10").mkdir(parents=True)
    (prefix / "lib" / "python3.10" / "os.py").write_text("")
    (prefix / "lib" / "python3.10" / "_sysconfigdata__linux_x86_64-linux-gnu.py").write_text(
        "build_time_vars = {'Py_ENABLE_SHARED': 1, 'INSTSONAME': 'libpython3.10.so.1.0'}\n"
    )
    with pytest.raises(BuildError) as refused:
        open_base(prefix, {"kind": "local"})
    message = str(refused.value)
    for reason in (
        "cannot be made relocatable",
        "older than 3.11",
        "bin/python3.10 is missing",
        "lib-dynload is missing",
        "lib/libpython3.10.so.1.0 is missing",
    ):
        assert reason in message, message
    # The command line says the same, and fails.
    done = subprocess.run(
        [sys.executable, str(REPO / "build_runtime.py"), "--base-prefix", str(prefix), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "older than 3.11" in done.stderr
