"""The runtime's THIRD-PARTY-NOTICES: every component it ships is named with its licence text, verbatim,
and a build refuses a component that has none.

Expectations come from the files the runtime holds (each *.dist-info's licence files, CPython's
LICENSE.txt, the system libraries' copyright files, the fonts' LICENSE), found here by their names,
not through the build's own selection.
"""

from __future__ import annotations

import json
import re
import shutil
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest

from tools.runtime_build.common import BuildError
from tools.runtime_build.notices import NOTICES, write_notices

from ..conftest import REPO
from .conftest import TARGET, Built

LICENCE_LOOKING = re.compile(r"(?i)^(licen[cs]e|copying|notice|copyright|authors)([.\-_].*)?$")


def site_packages(root: Path) -> Path:
    (site,) = root.glob("lib/python3.*/site-packages")
    return site


def metadata_of(dist_info: Path) -> Message:
    with open(dist_info / "METADATA", "rb") as file:
        return BytesHeaderParser().parse(file)


def notices_of(built: Built) -> str:
    return (built.root / NOTICES).read_text(encoding="utf-8")


def given(notices: str, path: str, text: str) -> bool:
    """Whether the notices give ``text`` for ``path``: printed after its heading, or named as the same
    text as a path printed earlier. Texts are compared with line ends unified and outer blank lines
    dropped (some wheels ship CRLF)."""
    text = text.replace("\r\n", "\n").strip("\n")
    if f"--- {path}\n\n{text}\n" in notices:
        return True
    same = re.search(rf"^--- {re.escape(path)}: the same text as (\S+) above$", notices, re.MULTILINE)
    return bool(same) and f"--- {same[1]}\n\n{text}\n" in notices


def licence_texts(root: Path, dist_info: Path) -> dict[str, str]:
    """A distribution's licence files as its wheel installed them: PEP 639's licenses/ folder, and
    licence-looking files beside METADATA (older wheels)."""
    paths = [path for path in dist_info.glob("licenses/**/*") if path.is_file()]
    paths += [path for path in dist_info.iterdir() if path.is_file() and LICENCE_LOOKING.match(path.name)]
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8", errors="replace") for path in paths}


def test_every_distribution_in_the_runtime_is_listed_with_its_licence_texts(built: Built) -> None:
    notices = notices_of(built)
    site = site_packages(built.root)
    dist_infos = sorted(site.glob("*.dist-info"))
    missing = []
    for dist_info in dist_infos:
        metadata = metadata_of(dist_info)
        texts = licence_texts(built.root, dist_info)
        assert texts, f"{dist_info.name} ships no licence file"
        if metadata["Name"] != "sidecar":
            assert re.search(rf"^\d+\. {re.escape(metadata['Name'])} {re.escape(metadata['Version'])}$", notices, re.MULTILINE), dist_info.name
        missing += [path for path, text in texts.items() if metadata["Name"] != "sidecar" and not given(notices, path, text)]
    assert missing == []
    # Every locked pin is installed, so each is among the listed distributions (and the sidecar besides).
    manifest = json.loads((built.root / "manifest.json").read_text())
    assert len(dist_infos) == len(manifest["dependencies"]) + 1


def test_the_gpl_components_are_named_gpl(built: Built) -> None:
    notices = notices_of(built)
    for name in ("pymobiledevice3", "pycrashreport", "pygnuutils"):
        (line,) = re.findall(rf"^ +\d+\. {name} [^:]+: (.*)$", notices, re.MULTILINE)
        assert "GPL" in line and "3" in line, line


def test_the_sidecar_itself_is_gpl_3_or_later_and_ships_the_gpl_text(built: Built) -> None:
    notices = notices_of(built)
    (own,) = site_packages(built.root).glob("sidecar-*.dist-info")
    metadata = metadata_of(own)
    assert metadata["License-Expression"] == "GPL-3.0-or-later"
    assert (own / "licenses" / "COPYING").read_bytes() == (REPO / "COPYING").read_bytes()
    assert "GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007" in (REPO / "COPYING").read_text()
    assert f"runs sidecar {metadata['Version']}, licensed GPL-3.0-or-later ({own.relative_to(built.root).as_posix()}/licenses/COPYING" in notices


def test_cpython_the_system_libraries_and_the_fonts_are_listed_with_their_texts(built: Built) -> None:
    notices = notices_of(built)
    site = site_packages(built.root)
    expected = [site.parent / "LICENSE.txt", *sorted((built.root / "licenses").glob("*.copyright")), site / "sidecar" / "report" / "fonts" / "LICENSE"]
    assert len(expected) > 5  # CPython, libssl, libffi, libusb, libudev, ... and the fonts
    assert [path.name for path in expected if not given(notices, path.relative_to(built.root).as_posix(), path.read_text())] == []
    assert "SIL OPEN FONT LICENSE Version 1.1" in notices and "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in notices


def test_the_notices_are_part_of_the_verified_runtime(built: Built) -> None:
    manifest = json.loads((built.root / "manifest.json").read_text())
    assert NOTICES in {entry["path"] for entry in manifest["files"]}
    assert notices_of(built).startswith(f"THIRD-PARTY NOTICES: the sidecar's Python runtime ({TARGET})\n")


@pytest.fixture
def runtime_copy(built: Built, tmp_path: Path) -> Path:
    """What the notices stage reads of the built runtime (the standard library's landmark and licence,
    every *.dist-info, the sidecar's fonts folder, licenses/), copied so that parts can be taken away."""
    root = tmp_path / "runtime"
    site = site_packages(built.root)
    copy = root / site.relative_to(built.root)
    copy.mkdir(parents=True)
    for name in ("os.py", "LICENSE.txt"):
        shutil.copy2(site.parent / name, copy.parent / name)
    for dist_info in site.glob("*.dist-info"):
        shutil.copytree(dist_info, copy / dist_info.name)
    shutil.copytree(site / "sidecar" / "report" / "fonts", copy / "sidecar" / "report" / "fonts")
    shutil.copytree(built.root / "licenses", root / "licenses")
    return root


def test_the_copy_the_refusal_tests_start_from_passes(runtime_copy: Path) -> None:
    assert write_notices(runtime_copy, TARGET).is_file()


def test_a_distribution_with_no_licence_text_stops_the_build(runtime_copy: Path) -> None:
    (dist_info,) = site_packages(runtime_copy).glob("mdurl-*.dist-info")
    for path in licence_texts(runtime_copy, dist_info):
        (runtime_copy / path).unlink()
    with pytest.raises(BuildError, match=r"no licence text found for mdurl \d"):
        write_notices(runtime_copy, TARGET)
    assert not (runtime_copy / NOTICES).exists()


def test_a_sidecar_without_its_own_licence_stops_the_build(runtime_copy: Path) -> None:
    (own,) = site_packages(runtime_copy).glob("sidecar-*.dist-info")
    shutil.rmtree(own / "licenses")
    with pytest.raises(BuildError, match=r"no licence text found for sidecar \d"):
        write_notices(runtime_copy, TARGET)
