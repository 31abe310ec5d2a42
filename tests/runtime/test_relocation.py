"""The moved runtime names no path of the build machine: RPATHs are $ORIGIN-relative, every library an
ELF file needs resolves inside the runtime or to the base system, and no text file mentions the base
CPython, the build folder or the cache."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tools.runtime_build.elf import BASE_SYSTEM, elf_files

from ..conftest import REPO

C = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}


def test_every_rpath_is_relative_to_its_file_and_points_inside_the_runtime(built) -> None:
    outside = []
    for path in elf_files(built.root):
        dynamic = subprocess.run(["readelf", "-d", str(path)], env=C, capture_output=True, text=True, check=True).stdout
        for value in re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]", dynamic):
            for entry in value.split(":"):
                resolved = Path(entry.replace("$ORIGIN", str(path.parent))).resolve()
                if not entry.startswith("$ORIGIN") or not resolved.is_relative_to(built.root):
                    outside.append(f"{path.relative_to(built.root)}: {entry}")
    assert outside == []


def test_every_elf_file_finds_its_libraries_inside_the_runtime_or_in_the_base_system(built) -> None:
    problems = []
    elves = elf_files(built.root)
    assert len(elves) > 50  # the interpreter, libpython, extension modules, copied libraries
    for path in elves:
        listing = subprocess.run(["ldd", str(path)], env=C, capture_output=True, text=True).stdout
        for line in listing.splitlines():
            match = re.match(r"\s*(\S+) => (.+?) \(0x", line)
            if "not found" in line:
                problems.append(f"{path.relative_to(built.root)}: {line.strip()}")
            elif match and not Path(match[2]).resolve().is_relative_to(built.root) and match[1] not in BASE_SYSTEM:
                problems.append(f"{path.relative_to(built.root)}: {match[1]} from {match[2]}")
    assert problems == []


def test_no_text_file_names_the_base_python_the_build_folder_or_the_cache(built) -> None:
    needles = [sys.base_prefix, str(built.built_at), str(REPO / "runtime" / "cache")]
    found = subprocess.run(["grep", "-rIlF", *(f"--regexp={needle}" for needle in needles), "."], cwd=built.root, capture_output=True, text=True)
    assert (found.returncode, found.stdout) == (1, ""), found.stdout or found.stderr
