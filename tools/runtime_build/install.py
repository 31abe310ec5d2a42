"""The runtime's packages: the locked distributions (fetched into runtime/cache/ once, hash-checked) and
the sidecar's own wheel, installed by the staged interpreter itself."""

from __future__ import annotations

import csv
import os
import shutil
import sys
from pathlib import Path

from .base import Base
from .common import CACHE, FIXED_MTIME, LOCK, REPO, BuildError, log, remove, run, sha256_file
from .lock import Pin, distribution_of

# What a runtime's top level holds once pip is done (pip may add include/, share/ and scripts).
TOP_LEVEL_KEPT = ("bin", "lib", "licenses", "THIRD-PARTY-NOTICES", "manifest.json")


def fetch(pins: list[Pin], base: Base) -> dict[str, Path]:
    """sha256 -> file for the locked distributions in runtime/cache/downloads, fetching what is missing.

    A warm cache needs no network: a cached file counts when its sha256 is one the lock names. Fetching
    goes through pip, which checks every file against the lock's hashes.
    """
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    cached = {sha256_file(path): path for path in downloads.iterdir()}
    if any(not cached.keys() & set(pin.hashes) for pin in pins):
        log.info("fetching the locked distributions into %s", downloads)
        target = [] if base.short == "{}.{}".format(*sys.version_info[:2]) else ["--python-version", base.short]
        run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation", *target, "-r", LOCK, "-d", downloads])
        cached = {sha256_file(path): path for path in downloads.iterdir()}
    for pin in pins:
        if not cached.keys() & set(pin.hashes):
            raise BuildError(f"pip fetched no file matching the locked hashes of {pin.name}=={pin.version}")
    return cached


def reproducible_env() -> dict[str, str]:
    """For wheel builds: fixed zip timestamps, so a wheel's hash depends on its sources only."""
    return {**os.environ, "SOURCE_DATE_EPOCH": str(FIXED_MTIME)}


def built_wheel(sdist: Path, sha: str) -> Path:
    """The wheel of a hash-checked sdist, built once per sdist hash with the build venv's pinned setuptools."""
    out = CACHE / "built" / sha
    if not any(out.glob("*.whl")):
        log.info("building a wheel from %s", sdist.name)
        partial = CACHE / "built" / f"{sha}.partial"
        remove(partial)
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", partial, sdist], env=reproducible_env())
        remove(out)
        partial.rename(out)
    return next(out.glob("*.whl"))


def sidecar_wheel(work: Path) -> Path:
    """The sidecar's wheel (with its templates and fonts), built from a copy so the tree gets no build/ or egg-info."""
    source = work / "source"
    shutil.copytree(REPO / "sidecar", source / "sidecar", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "COPYING", "LICENSE"):  # the last two: license-files
        shutil.copy2(REPO / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", work / "wheel", source], env=reproducible_env())
    return next((work / "wheel").glob("sidecar-*.whl"))


def install(stage: Path, pins: list[Pin], cached: dict[str, Path], work: Path) -> str:
    """Install the locked wheels and the sidecar's into the stage, hash-checked, with no index and no
    dependency resolution, by the staged interpreter itself (its own tags and install scheme).
    Returns the sidecar wheel's sha256."""
    import pip  # the build venv's, which runs this

    links = {CACHE / "downloads"}
    lines = []
    for pin in pins:
        hashes = pin.hashes
        if pin.sdist_only:
            sdist_sha = next(sha for sha in pin.hashes if sha in cached)
            wheel = built_wheel(cached[sdist_sha], sdist_sha)
            links.add(wheel.parent)
            hashes = (sha256_file(wheel),)
        lines.append(f"{pin.name}=={pin.version} " + " ".join(f"--hash=sha256:{sha}" for sha in hashes))
    wheel = sidecar_wheel(work)
    sidecar_sha = sha256_file(wheel)
    links.add(wheel.parent)
    lines.append(f"sidecar=={distribution_of(wheel.name)[1]} --hash=sha256:{sidecar_sha}")
    requirements = work / "install.txt"
    requirements.write_text("\n".join(lines) + "\n")
    # pip alone in a folder: run from the build venv's site-packages, it would take that venv's packages as installed.
    pip_only = shutil.copytree(Path(pip.__file__).parent, work / "pip-only" / "pip", ignore=shutil.ignore_patterns("__pycache__"))
    run(
        [
            stage / "bin" / "python3",
            "-B",
            "-s",
            "-E",
            pip_only,
            "install",
            "--isolated",
            "--no-index",
            "--no-deps",
            "--no-compile",
            "--only-binary=:all:",
            "--require-hashes",
            "--disable-pip-version-check",
            "--no-warn-script-location",
            *(f"--find-links={link}" for link in sorted(links)),
            "-r",
            requirements,
        ],
        env={"PATH": os.defpath},
    )
    return sidecar_sha


def tidy(stage: Path) -> None:
    """Keep the runtime only: console scripts (their first line names the build's interpreter), data
    directories some wheels install, and bytecode pip or the base left."""
    for entry in stage.iterdir():
        if entry.name not in TOP_LEVEL_KEPT:
            remove(entry)
    for entry in (stage / "bin").iterdir():
        if entry.name != "python3":
            remove(entry)
    for cache in list(stage.rglob("__pycache__")):
        remove(cache)
    for record in stage.glob("lib/python*/site-packages/*.dist-info/RECORD"):
        _forget_removed(record)


def _forget_removed(record: Path) -> None:
    """Drop the lines of files tidy removed from a distribution's RECORD (a script's hash covers its
    first line, which names the build folder, so it would make builds differ)."""
    site = record.parent.parent
    with open(record, newline="") as file:
        rows = [row for row in csv.reader(file) if (site / row[0]).exists()]
    with open(record, "w", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)
