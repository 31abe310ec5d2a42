"""`build_runtime.py --verify DIR` checks a runtime against its manifest and names what differs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ..support.runtime_verify import verify


@pytest.fixture
def linked_copy(built, tmp_path: Path) -> Path:
    """A copy of the runtime made of hard links (instant). Tests replace files rather than write into
    them, so the session's runtime stays intact."""
    copy = tmp_path / "copy"
    shutil.copytree(built.root, copy, copy_function=os.link)
    return copy


def test_the_runtime_as_built_matches_its_manifest(built) -> None:
    result = verify(built.root)
    assert result.returncode == 0, result.stderr
    assert "matches its manifest" in result.stderr


def test_a_file_changed_to_the_same_size_is_named(linked_copy) -> None:
    target = linked_copy / "lib" / "python3.11" / "os.py"
    content = target.read_bytes()
    target.unlink()
    target.write_bytes(content.replace(b"import", b"imp0rt", 1))
    result = verify(linked_copy)
    assert result.returncode == 1
    assert "changed: lib/python3.11/os.py" in result.stderr.splitlines()


def test_a_missing_file_is_named(linked_copy) -> None:
    (linked_copy / "bin" / "python3").unlink()
    result = verify(linked_copy)
    assert result.returncode == 1
    assert "missing: bin/python3" in result.stderr.splitlines()


def test_an_extra_file_is_named(linked_copy) -> None:
    (linked_copy / "lib" / "python3.11" / "site-packages" / "sitecustomize.py").write_text("print('hello')\n")
    result = verify(linked_copy)
    assert result.returncode == 1
    assert "extra: lib/python3.11/site-packages/sitecustomize.py" in result.stderr.splitlines()
