"""Two builds from the same inputs give the same runtime, byte for byte, and the same archive."""

from __future__ import annotations

import json

import pytest

from tools.runtime_build.common import sha256_file

from .conftest import TARGET, build_runtime


@pytest.mark.e2e
def test_a_second_build_from_the_same_inputs_has_the_same_manifest_and_archive(built, tmp_path_factory) -> None:
    out = tmp_path_factory.mktemp("second-build")
    build_runtime(out)
    first, second = (json.loads((root / "manifest.json").read_text()) for root in (built.root, out / TARGET))
    first_files, second_files = ({entry["path"]: entry for entry in manifest.pop("files")} for manifest in (first, second))
    assert first == second  # python, dependencies and the inputs' hashes (the sources must not change meanwhile)
    assert sorted(path for path in first_files.keys() | second_files.keys() if first_files.get(path) != second_files.get(path)) == []
    assert (built.root / "manifest.json").read_bytes() == (out / TARGET / "manifest.json").read_bytes()
    assert sha256_file(built.out / f"{TARGET}.tar.xz") == sha256_file(out / f"{TARGET}.tar.xz")
