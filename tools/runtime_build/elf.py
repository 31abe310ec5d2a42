"""Shared libraries: every library an ELF file in the runtime needs beyond the base system is copied in,
and every RPATH points inside the runtime, relative to $ORIGIN."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .base import Base
from .common import BuildError, c_locale, is_elf, log, run

# The base system: glibc's libraries, which every Linux desktop has and which must come from it.
BASE_SYSTEM = frozenset(
    {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
)
# Libraries a package loads with ctypes instead of linking them; each goes beside the package, where it looks first.
DLOPENED = {"usb1": "libusb-1.0.so.0"}


@dataclass(frozen=True)
class Elf:
    needed: tuple[str, ...]
    rpath: tuple[str, ...]  # the RPATH or RUNPATH entries


def read_elf(path: Path) -> Elf:
    dynamic = run(["readelf", "-d", path], env=c_locale())
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dynamic)
    paths = re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]", dynamic)
    return Elf(tuple(needed), tuple(entry for value in paths for entry in value.split(":") if entry))


def elf_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink() and is_elf(path))


def system_libraries() -> dict[str, Path]:
    """soname -> file, from the dynamic linker's cache, for this machine's architecture."""
    arch = {"x86_64": "x86-64", "aarch64": "AArch64"}[platform.machine()]
    listing = run([shutil.which("ldconfig") or "/sbin/ldconfig", "-p"], env=c_locale())
    found: dict[str, Path] = {}
    for match in re.finditer(r"^\s*(\S+) \(([^)]*)\) => (\S+)$", listing, re.MULTILINE):
        if arch in match[2]:
            found.setdefault(match[1], Path(match[3]))
    return found


def strip(paths: Sequence[Path]) -> None:
    if paths:
        run(["strip", "--strip-unneeded", *paths])


def copy_library(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)  # the file behind any link, under the name the loader asks for
    target.chmod(0o644)
    strip([target])


def bundle_dlopened(stage: Path, base: Base, system: dict[str, Path]) -> dict[str, Path]:
    site = stage / "lib" / f"python{base.short}" / "site-packages"
    bundled = {}
    for package, soname in DLOPENED.items():
        if soname not in system:
            raise BuildError(f"{package} loads {soname} at run time and this machine has none; install it (see requirements/apt.txt)")
        copy_library(system[soname], site / package / soname)
        bundled[soname] = system[soname]
    return bundled


def origin_path(directory: Path, start: Path) -> str:
    return "$ORIGIN" if directory == start else f"$ORIGIN/{os.path.relpath(directory, start)}"


def relocate(stage: Path, base: Base, system: dict[str, Path]) -> dict[str, Path]:
    """Copy every library an ELF file in the stage needs, beyond the base system, into lib/ (until
    nothing more is needed), and leave only $ORIGIN-relative RPATHs. Returns soname -> the file copied.

    RPATHs are set as DT_RPATH, not DT_RUNPATH: the loader then searches them before LD_LIBRARY_PATH,
    so a user's environment cannot swap the runtime's libraries.
    """
    lib = stage / "lib"
    copied: dict[str, Path] = {}
    pending = elf_files(stage)
    while pending:
        path = pending.pop()
        elf = read_elf(path)
        inside = [entry for entry in elf.rpath if entry.startswith(("$ORIGIN", "${ORIGIN}"))]
        search = [Path(entry.replace("${ORIGIN}", str(path.parent)).replace("$ORIGIN", str(path.parent))) for entry in inside]
        needs_lib = False
        for soname in elf.needed:
            if soname in BASE_SYSTEM or any((directory / soname).is_file() for directory in search):
                continue
            needs_lib = True
            if not (lib / soname).is_file():
                source = base.prefix / "lib" / soname if (base.prefix / "lib" / soname).is_file() else system.get(soname)
                if source is None:
                    raise BuildError(f"{path.relative_to(stage)} needs {soname}, which is neither in the runtime nor on this machine")
                log.info("copying in %s (needed by %s)", soname, path.relative_to(stage))
                copy_library(source, lib / soname)
                copied[soname] = source
                pending.append(lib / soname)
        wanted = list(dict.fromkeys(inside + ([origin_path(lib, path.parent)] if needs_lib else [])))
        if tuple(wanted) != elf.rpath:
            run(["patchelf", "--force-rpath", "--set-rpath", ":".join(wanted), path] if wanted else ["patchelf", "--remove-rpath", path])
    return copied


def copy_licenses(stage: Path, libraries: dict[str, Path]) -> None:
    """The Debian copyright file of each system library copied in (libusb and libudev are LGPL)."""
    if shutil.which("dpkg-query") is None:
        log.warning("no dpkg-query here: add the licenses of %s to licenses/ by hand", ", ".join(sorted(libraries)))
        return
    for soname, source in sorted(libraries.items()):
        real = source.resolve()
        # A library no package owns makes dpkg-query fail: that is "no owner", not an error.
        owners = subprocess.run(["dpkg-query", "-S", f"*/{real.name}"], capture_output=True, text=True, check=False).stdout
        packages = {line.split(":")[0] for line in owners.splitlines() if Path(line.partition(": ")[2]).resolve() == real}
        notices = [notice for package in sorted(packages) if (notice := Path("/usr/share/doc", package, "copyright")).is_file()]
        if not notices:
            log.warning("no copyright file found for %s (%s): add its license to licenses/ by hand", soname, real)
        for notice in notices:
            (stage / "licenses").mkdir(exist_ok=True)
            shutil.copyfile(notice, stage / "licenses" / f"{notice.parent.name}.copyright")
