"""The runtime's pins and their lock.

requirements/{runtime,devices,ios,report,download}.txt say what the runtime holds (name==version);
runtime/requirements.lock adds the sha256 of every file pip may fetch for them. The build refuses to
run when the two disagree, and a test fails.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .common import CACHE, LOCK, REPO, BuildError, log, run, sha256_file

# What the sidecar imports. dev.txt and report-dev.txt are test tools and stay out.
REQUIREMENTS = tuple(REPO / "requirements" / name for name in ("runtime.txt", "devices.txt", "ios.txt", "report.txt", "download.txt"))


@dataclass(frozen=True)
class Pin:
    name: str  # normalized (PEP 503)
    version: str
    hashes: tuple[str, ...] = ()
    sdist_only: bool = False  # the index has no wheel: the build makes one from the hash-checked sdist


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(files: Sequence[Path] = REQUIREMENTS) -> dict[str, str]:
    """name -> version over the runtime's requirement files, which must agree where they overlap."""
    pins: dict[str, str] = {}
    for file in files:
        for number, text in enumerate(file.read_text().splitlines(), 1):
            line = text.split("#", 1)[0].strip()
            if not line:
                continue
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
            if match is None:
                raise BuildError(f"{file}:{number}: expected an exact pin 'name==version', got {line!r}")
            name, version = canonical(match[1]), match[2]
            if pins.setdefault(name, version) != version:
                raise BuildError(f"{name} is pinned to both {pins[name]} and {version} under requirements/; make them agree")
    return pins


def read_lock(path: Path = LOCK) -> list[Pin]:
    if not path.exists():
        raise BuildError(f"{path} is missing; create it with `.venv/bin/python build_runtime.py lock`")
    sdist_only: set[str] = set()
    pins = []
    for text in path.read_text().replace("\\\n", " ").splitlines():
        line = text.split("#", 1)[0].strip()
        if not line or line == "--only-binary :all:":
            continue
        if line.startswith("--no-binary "):
            sdist_only.add(canonical(line.split()[1]))
            continue
        match = re.fullmatch(r"(\S+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)", line)
        if match is None:
            raise BuildError(f"{path}: cannot read {line!r}; delete the file and regenerate it with `build_runtime.py lock`")
        pins.append(Pin(canonical(match[1]), match[2], tuple(re.findall(r"[0-9a-f]{64}", match[3]))))
    return [Pin(p.name, p.version, p.hashes, p.name in sdist_only) for p in pins]


def lock_drift(requirements: dict[str, str], pins: list[Pin]) -> list[str]:
    """Where the lock and requirements/*.txt disagree, one line each (empty when they agree)."""
    locked = {pin.name: pin.version for pin in pins}
    drift = [
        f"{name}: requirements pin {version}, the lock has {locked.get(name, 'nothing')}"
        for name, version in sorted(requirements.items())
        if locked.get(name) != version
    ]
    drift += [f"{name}: the lock has {version}, no requirements file lists it" for name, version in sorted(locked.items()) if name not in requirements]
    return drift


def checked_lock() -> list[Pin]:
    pins = read_lock()
    drift = lock_drift(read_requirements(), pins)
    if drift:
        raise BuildError(
            "runtime/requirements.lock disagrees with requirements/:\n  " + "\n  ".join(drift) + "\nRegenerate it: .venv/bin/python build_runtime.py lock"
        )
    return pins


def distribution_of(filename: str) -> tuple[str, str]:
    """(normalized name, version) from a wheel's or an sdist's file name."""
    stem = filename.removesuffix(".whl").removesuffix(".tar.gz").removesuffix(".zip")
    name, version = stem.split("-")[:2] if filename.endswith(".whl") else stem.rsplit("-", 1)
    return canonical(name), version


def make_lock() -> None:
    """Download every pin (a wheel where the index has one) and write their hashes into the lock.

    Hashes already in the lock for the same versions are kept, so running this on another platform adds
    that platform's wheels instead of replacing this one's.
    """
    requirements = read_requirements()
    kept = {(pin.name, pin.version): set(pin.hashes) for pin in read_lock()} if LOCK.exists() else {}
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wanted = Path(tmp, "pins.txt")
        wanted.write_text("".join(f"{name}=={version}\n" for name, version in sorted(requirements.items())))
        fetched = Path(tmp, "fetched")
        run([sys.executable, "-m", "pip", "download", "--no-deps", "--prefer-binary", "--no-build-isolation", "-r", wanted, "-d", fetched])
        hashes, sdists = dict(kept), set()
        for path in sorted(fetched.iterdir()):
            key = distribution_of(path.name)
            hashes.setdefault(key, set()).add(sha256_file(path))
            if not path.name.endswith(".whl"):
                sdists.add(key[0])
            shutil.copy2(path, downloads / path.name)  # warms the build's cache
    lines = [
        "# Generated by `.venv/bin/python build_runtime.py lock` from requirements/{runtime,devices,ios,report,download}.txt.",
        "# Do not edit; a test fails when this and those files disagree. The build fetches with",
        "# `pip download --no-deps -r` this file (pip checks every hash), then installs wheels only.",
        "--only-binary :all:",
    ]
    lines += [f"# {name} is published only as an sdist: the build checks its hash and makes the wheel.\n--no-binary {name}" for name in sorted(sdists)]
    for name, version in sorted(requirements.items()):
        lines.append(f"{name}=={version} \\\n" + " \\\n".join(f"    --hash=sha256:{sha}" for sha in sorted(hashes[name, version])))
    LOCK.write_text("\n".join(lines) + "\n")
    log.info("wrote %s (%d pins)", LOCK.relative_to(REPO), len(requirements))
