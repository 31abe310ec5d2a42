"""A whole build, stage by stage, and the comparison with an unpruned install."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .base import Base, stage_base
from .common import CACHE, LOCK, REPO, BuildError, host_target, is_elf, log, remove, run, sha256_file, tree_digest, walk
from .elf import bundle_dlopened, copy_licenses, elf_files, relocate, strip, system_libraries
from .install import fetch, install, tidy
from .lock import checked_lock, read_requirements
from .notices import write_notices
from .output import ARCHIVE_BUDGET, largest, megabytes, print_sizes, size_report, write_archive, write_manifest


def build(out: Path, base: Base, xz_preset: int = 6) -> Path:
    """Build the runtime ``out/<target>/`` from ``base``; its archive and size report go beside it."""
    started = time.monotonic()
    target = host_target()
    pins = checked_lock()
    stage = out / f".{target}.partial"
    remove(stage)
    log.info("staging CPython %s from %s into %s", base.short, base.prefix, stage)
    stage_base(base, stage)
    origin = base.origin if "sha256" in base.origin else {**base.origin, "sha256": tree_digest(stage)}
    system = system_libraries()
    cached = fetch(pins, base)
    with tempfile.TemporaryDirectory(prefix="build-runtime-") as work:
        sidecar_sha = install(stage, pins, cached, Path(work))
    libraries = bundle_dlopened(stage, base, system)
    tidy(stage)
    strip(elf_files(stage))
    libraries |= relocate(stage, base, system)
    copy_licenses(stage, libraries)
    write_notices(stage, target)
    log.info("compiling bytecode")
    compile_bytecode(stage)
    leaks = leaked_paths(stage, [str(base.prefix), str(stage), str(CACHE)])
    if leaks:
        raise BuildError("files in the runtime name build-machine paths: " + ", ".join(leaks[:20]))
    final = out / target
    remove(final)
    stage.rename(final)
    version = smoke_test(final)
    write_manifest(
        final,
        {
            "format": 1,
            "target": target,
            "python": {"version": version, "cache_tag": f"cpython-{base.short.replace('.', '')}"},
            "dependencies": [{"name": pin.name, "version": pin.version} for pin in pins],
            "inputs": {
                "base": origin,
                "lock_sha256": sha256_file(LOCK),
                "sidecar_wheel_sha256": sidecar_sha,
                "builder_sha256": builder_digest(),
                "system_libraries": {soname: sha256_file(source) for soname, source in sorted(libraries.items())},
                "tools": {tool: run([tool, "--version"]).splitlines()[0] for tool in ("patchelf", "strip")},
            },
        },
    )
    archive = out / f"{target}.tar.xz"
    log.info("writing %s", archive.name)
    write_archive(final, archive, xz_preset)
    report = size_report(final, archive)
    (out / f"{target}.size-report.json").write_text(json.dumps(report, indent=1) + "\n")
    print_sizes(
        f"runtime {target}: {megabytes(report['runtime_bytes'])} in {report['runtime_files']} files, "
        f"archive {megabytes(report['archive_bytes'])} (budget {megabytes(ARCHIVE_BUDGET)}); largest parts:",
        report["largest"],
    )
    if report["archive_bytes"] > ARCHIVE_BUDGET:
        raise BuildError(f"{archive.name} is {megabytes(report['archive_bytes'])}, over the {megabytes(ARCHIVE_BUDGET)} budget")
    log.info("built %s in %.0f s", final, time.monotonic() - started)
    return final


def compile_bytecode(stage: Path) -> None:
    """Unchecked-hash .pyc for every module, by the runtime's own interpreter (so its cache tag), one file
    after another with a fixed hash seed (so the bytes repeat), naming sources relative to the runtime."""
    code = (
        "import compileall, py_compile, sys; sys.exit(not compileall.compile_dir(sys.argv[1], quiet=1, stripdir=sys.argv[2], "
        "force=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH))"
    )
    # -B: the modules this process imports must not get ordinary (timestamp) .pyc files on the way.
    run([stage / "bin" / "python3", "-B", "-s", "-c", code, stage / "lib", stage], env={"PYTHONHASHSEED": "0"})


def leaked_paths(root: Path, needles: Sequence[str]) -> list[str]:
    """Files under root, other than ELF binaries, whose bytes name any of needles (build-machine paths).
    (libpython keeps its configure-time prefix as a last resort that this layout never reaches.)"""
    encoded = [needle.encode() for needle in needles]
    return [relative for relative, path in walk(root) if not is_elf(path) and any(needle in path.read_bytes() for needle in encoded)]


def smoke_test(root: Path) -> str:
    """Start the runtime as the host does, with an empty environment; its Python version."""
    probe = "import json, platform, sys, sidecar.server.run; print(json.dumps([platform.python_version(), sys.prefix, sys.path]))"
    version, prefix, paths = json.loads(run([root / "bin" / "python3", "-I", "-c", probe], env={}))
    outside = [entry for entry in [prefix, *paths] if not entry.startswith(str(root))]
    if outside:
        raise BuildError(f"the runtime at {root} looks outside itself: {outside}")
    return version


def builder_digest() -> str:
    """The build recipe's hash: build_runtime.py and this package's modules."""
    digest = hashlib.sha256()
    for path in [REPO / "build_runtime.py", *sorted(Path(__file__).parent.glob("*.py"))]:
        digest.update(f"{path.name}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def weigh_unpruned(out: Path) -> dict:
    """What a plain `pip install` of the same pins (every declared dependency, no pruning) puts in a venv."""
    with tempfile.TemporaryDirectory(prefix="unpruned-") as tmp:
        venv = Path(tmp, "venv")
        run([sys.executable, "-m", "venv", venv])
        pins = [f"{name}=={version}" for name, version in sorted(read_requirements().items())]
        log.info("installing %d pins with all their dependencies into a throwaway venv", len(pins))
        run([venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *pins])
        site = next(venv.glob("lib/python*/site-packages"))
        installer = ("pip", "setuptools", "_distutils_hack", "pkg_resources", "distutils-precedence.pth")
        entries = [(relative, path.stat().st_size) for relative, path in walk(site) if not relative.startswith(installer)]
        report = {
            "site_packages_bytes": sum(size for _, size in entries),
            "distributions": sum(1 for entry in site.glob("*.dist-info") if not entry.name.startswith(installer)),
            "largest": largest((relative.split("/")[0].removesuffix(".py"), size) for relative, size in entries),
        }
    out.mkdir(parents=True, exist_ok=True)
    (out / "unpruned-size.json").write_text(json.dumps(report, indent=1) + "\n")
    print_sizes(
        f"unpruned: {megabytes(report['site_packages_bytes'])} of site-packages in {report['distributions']} distributions; largest:", report["largest"]
    )
    return report
