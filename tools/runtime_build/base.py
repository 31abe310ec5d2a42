"""The CPython a runtime starts from: this machine's own, or a pinned python-build-standalone archive.

Either way the base is checked (a base that cannot be made relocatable is refused, with the reasons),
then copied into the stage with its standard library pruned.
"""

from __future__ import annotations

import ast
import re
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .common import BASE_PINS, CACHE, BuildError, is_elf, remove, sha256_file

# Replaces the base's own prefix in its build-time sysconfig data (python-build-standalone's reads the same).
STAGING_PREFIX = "/install"
# Standard-library entries nothing in the runtime uses: test suites, GUIs, installers, 2to3, pydoc's help
# texts, distutils (only builds use it), curses, and the base's own site-packages (we install ours).
STDLIB_PRUNED = frozenset(
    {
        "test",
        "idlelib",
        "tkinter",
        "turtledemo",
        "turtle.py",
        "ensurepip",
        "venv",
        "lib2to3",
        "pydoc_data",
        "distutils",
        "curses",
        "crypt.py",
        "__phello__",
        "site-packages",
    }
)
# Extension modules left out: CPython's test modules, readline (GPL), and modules whose libraries we
# would otherwise ship for nothing (Tcl/Tk, ncurses, libnsl, libcrypt).
DYNLOAD_PRUNED = ("_test", "_ctypes_test", "_xxtestfuzz", "xxlimited", "_tkinter", "readline", "_curses", "nis", "_crypt")


@dataclass(frozen=True)
class Base:
    prefix: Path
    short: str  # "3.11"
    soname: str | None  # libpython's file name for a shared-library build, None for a static one
    origin: dict  # for the manifest: what the base is and its hash


def sysconfig_data(stdlib: Path) -> dict:
    """The base's build-time configuration (its _sysconfigdata module), read without running it."""
    for path in sorted(stdlib.glob("_sysconfigdata_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "build_time_vars" for t in node.targets):
                return ast.literal_eval(node.value)
    return {}


def open_base(prefix: Path, origin: dict) -> Base:
    """The CPython at ``prefix``, or BuildError saying why it cannot be made relocatable."""
    landmarks = sorted(path for path in prefix.glob("lib/python3.*/os.py") if re.fullmatch(r"python3\.\d+", path.parent.name))
    if not landmarks:
        raise BuildError(f"the base at {prefix} cannot be made relocatable: it holds no CPython standard library (lib/python3.X/os.py)")
    stdlib = landmarks[-1].parent
    short = stdlib.name.removeprefix("python")
    config = sysconfig_data(stdlib)
    soname = config.get("INSTSONAME") if config.get("Py_ENABLE_SHARED") else None
    problems = []
    if prefix.resolve() == Path("/usr"):
        problems.append("it is the system's own Python, which the distribution patches and which shares /usr with everything else")
    if tuple(int(part) for part in short.split(".")) < (3, 11):
        problems.append(f"Python {short} is older than 3.11")
    if not config:
        problems.append(f"{stdlib.name} has no _sysconfigdata module to read its build configuration from")
    if config.get("PYTHONFRAMEWORK"):
        problems.append("it is a macOS framework build")
    if not is_elf(prefix / "bin" / f"python{short}"):
        problems.append(f"bin/python{short} is missing or not an ELF executable")
    if not (stdlib / "lib-dynload").is_dir():  # CPython finds its exec_prefix by it
        problems.append(f"{stdlib.name}/lib-dynload is missing")
    if soname and not is_elf(prefix / "lib" / soname):
        problems.append(f"it is a shared-library build, but lib/{soname} is missing")
    if problems:
        raise BuildError(f"the base at {prefix} cannot be made relocatable: " + "; ".join(problems))
    return Base(prefix, short, soname, origin)


def read_base_pins(path: Path) -> dict[str, str]:
    """archive file name -> sha256, from lines in sha256sum's format (as in the releases' SHA256SUMS)."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")] if path.exists() else []
    return {name.lstrip("*"): sha for sha, name in lines}


def archive_base(archive: Path, pins: Path = BASE_PINS, cache: Path = CACHE / "base") -> Base:
    """A python-build-standalone install_only(_stripped) archive, checked against its pin and extracted."""
    digest = sha256_file(archive)
    pinned = read_base_pins(pins).get(archive.name)
    if pinned is None:
        raise BuildError(
            f"{archive.name} has no pin in {pins}; add the line '<sha256>  {archive.name}' from the release's SHA256SUMS (checked against its signature) first"
        )
    if pinned != digest:
        raise BuildError(f"{archive} has sha256 {digest}, but {pins.name} pins {pinned}: refusing a different file")
    into = cache / digest
    if not (into / "python" / "bin").is_dir():
        partial = cache / f"{digest}.partial"
        remove(partial)
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(partial, filter="data")  # refuses absolute paths, '..' and links out of the tree
        except (tarfile.TarError, OSError) as error:
            raise BuildError(f"{archive.name} cannot be extracted safely: {error}") from error
        if not (partial / "python" / "bin").is_dir():
            raise BuildError(f"{archive.name} is not laid out like a python-build-standalone install_only archive (no python/bin/)")
        remove(into)
        partial.rename(into)
    return open_base(into / "python", {"kind": "python-build-standalone", "archive": archive.name, "sha256": digest})


def stage_base(base: Base, stage: Path) -> None:
    """Copy the interpreter, libpython and the pruned standard library; no links, no bytecode."""
    (stage / "bin").mkdir(parents=True)
    shutil.copy2(base.prefix / "bin" / f"python{base.short}", stage / "bin" / "python3")
    source = base.prefix / "lib" / f"python{base.short}"
    shutil.copytree(source, stage / "lib" / source.name, ignore=_stdlib_filter(source))
    if base.soname:
        shutil.copy2(base.prefix / "lib" / base.soname, stage / "lib" / base.soname)
    (stage / "lib" / source.name / "site-packages").mkdir()
    # Its build-time paths are data nothing at run time needs; left as they are they would name the build machine.
    for data in (stage / "lib" / source.name).glob("_sysconfigdata_*.py"):
        data.write_text(data.read_text().replace(str(base.prefix), STAGING_PREFIX))


def _stdlib_filter(stdlib: Path):
    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {name for name in names if name == "__pycache__" or name.endswith((".pyc", ".a"))}
        if Path(directory) == stdlib:
            skipped |= {name for name in names if name in STDLIB_PRUNED or name.startswith("config-")}
        elif Path(directory) == stdlib / "lib-dynload":
            skipped |= {name for name in names if name.startswith(DYNLOAD_PRUNED)}
        return skipped

    return ignore
