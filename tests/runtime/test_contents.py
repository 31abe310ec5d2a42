"""What the runtime holds: a trimmed standard library, no installers, precompiled reproducible bytecode,
and an archive within the size budget."""

from __future__ import annotations

import json
import marshal
import tarfile

from tools.runtime_build.common import FIXED_MTIME
from tools.runtime_build.output import ARCHIVE_BUDGET

from .conftest import TARGET, run_python

PRUNED = ["test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data", "distutils", "curses"]
NOT_IMPORTABLE = ["pip", "setuptools", "wheel", "_distutils_hack", "readline", "tkinter", "_tkinter", "lib2to3", "ensurepip", "_testcapi"]


def test_test_suites_guis_installers_and_build_leftovers_are_left_out(built) -> None:
    (stdlib,) = (built.root / "lib").glob("python3.*")
    assert sorted(entry.name for entry in built.root.iterdir()) == ["THIRD-PARTY-NOTICES", "bin", "lib", "licenses", "manifest.json"]
    assert [entry.name for entry in (built.root / "bin").iterdir()] == ["python3"]
    assert [name for name in PRUNED if (stdlib / name).exists()] == []
    assert list(stdlib.glob("config-*")) == [] and list(built.root.rglob("*.a")) == []
    assert [path for path in built.root.rglob("*") if path.is_symlink()] == []
    found = run_python(built, f"import importlib.util, json; print(json.dumps([m for m in {NOT_IMPORTABLE!r} if importlib.util.find_spec(m)]))")
    assert found == []


def test_the_development_tools_are_left_out(built) -> None:
    # The emulated phones, the test client and the demo are the devkit's (tools/devkit), never the product's.
    (site,) = (built.root / "lib").glob("python3.*/site-packages")
    assert sorted(path.name for path in site.glob("sidecar*")) == ["sidecar", "sidecar-0.1.0.dist-info"]
    assert [name for name in ("emulate", "client.py", "demo.py") if (site / "sidecar" / name).exists()] == []
    found = run_python(built, "import importlib.util, json; print(json.dumps(importlib.util.find_spec('sidecar_devkit') is not None))")
    assert found is False


def test_every_module_has_unchecked_hash_bytecode_for_the_runtimes_tag_naming_its_source_relatively(built) -> None:
    tag = run_python(built, "import json, sys; print(json.dumps(sys.implementation.cache_tag))")
    sources = list((built.root / "lib").rglob("*.py"))
    assert [s for s in sources if not (s.parent / "__pycache__" / f"{s.stem}.{tag}.pyc").is_file()] == []
    wrong = []
    for pyc in (built.root / "lib").rglob("*.pyc"):
        data = pyc.read_bytes()
        flags = int.from_bytes(data[4:8], "little")  # PEP 552: bit 0 hash-based, bit 1 check_source
        filename = marshal.loads(data[16:]).co_filename
        if pyc.parent.name != "__pycache__" or not pyc.name.endswith(f".{tag}.pyc") or flags != 0b01 or filename.startswith("/"):
            wrong.append(f"{pyc.relative_to(built.root)}: flags {flags:#b}, co_filename {filename}")
    assert wrong == []
    assert len(sources) > 1000


def test_the_archive_is_within_budget_and_the_size_report_describes_it(built) -> None:
    report = json.loads((built.out / f"{TARGET}.size-report.json").read_text())
    archive = built.out / report["archive"]
    # The test build uses xz level 0: a release build (level 6) is smaller still.
    assert report["archive_bytes"] == archive.stat().st_size <= ARCHIVE_BUDGET == report["archive_budget_bytes"]
    assert report["runtime_bytes"] == sum(path.stat().st_size for path in built.root.rglob("*") if path.is_file())
    sizes = [part["bytes"] for part in report["largest"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] > 0
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert f"{TARGET}/bin/python3" in {member.name for member in members}
    assert {(member.mtime, member.uid, member.gid, member.uname) for member in members} == {(FIXED_MTIME, 0, 0, "")}
