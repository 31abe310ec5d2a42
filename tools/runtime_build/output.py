"""What a build leaves: the runtime's manifest (and the check against it), its archive, its size report.

manifest.json, at the runtime's top, lists every other file with its size and sha256, sorted by path;
docs/RUNTIME.md describes the format for the host's own check.
"""

from __future__ import annotations

import json
import sys
import tarfile
from collections.abc import Iterable
from pathlib import Path

from .common import FIXED_MTIME, file_entries, sha256_file, walk

ARCHIVE_BUDGET = 60_000_000  # bytes of .tar.xz
MANIFEST = "manifest.json"


def write_manifest(root: Path, header: dict) -> None:
    files = [{"path": relative, "size": size, "sha256": sha} for relative, size, sha in file_entries(root) if relative != MANIFEST]
    (root / MANIFEST).write_text(_lines({**header, "files": files}))


def _lines(manifest: dict) -> str:
    """JSON with one top-level key per line and one list item per line, so that manifests diff well."""

    def value(item: object) -> str:
        return "[\n" + ",\n".join(f"  {json.dumps(entry)}" for entry in item) + "\n ]" if isinstance(item, list) else json.dumps(item)

    return "{\n" + ",\n".join(f" {json.dumps(key)}: {value(item)}" for key, item in manifest.items()) + "\n}\n"


def verify(root: Path) -> list[str]:
    """How ``root`` differs from its manifest, one line per file ("changed: PATH", "missing: PATH",
    "extra: PATH"); empty when it matches."""
    try:
        files = json.loads((root / MANIFEST).read_text())["files"]
        expected = {entry["path"]: (entry["size"], entry["sha256"]) for entry in files}
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{MANIFEST} cannot be read: {error}"]
    problems, seen = [], set()
    for relative, path in walk(root):
        if relative == MANIFEST:
            continue
        seen.add(relative)
        if relative not in expected:
            problems.append(f"extra: {relative}")
        elif path.is_symlink() or (path.stat().st_size, sha256_file(path)) != expected[relative]:
            problems.append(f"changed: {relative}")
    problems += [f"missing: {relative}" for relative in sorted(expected.keys() - seen)]
    return problems


def write_archive(root: Path, archive: Path, preset: int = 6) -> None:
    """A .tar.xz of root (as its top folder) whose bytes depend on the files only: sorted members, fixed
    times, owners and modes."""
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:xz", format=tarfile.PAX_FORMAT, preset=preset) as tar:
        for path in sorted([root, *root.rglob("*")], key=lambda p: p.relative_to(root).as_posix()):
            info = tar.gettarinfo(path, arcname=path.relative_to(root.parent).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = FIXED_MTIME, 0, 0, "", ""
            info.mode = 0o755 if path.is_dir() or path.stat().st_mode & 0o100 else 0o644
            if path.is_file():
                with open(path, "rb") as file:
                    tar.addfile(info, file)
            else:
                tar.addfile(info)
    partial.replace(archive)


def largest(sizes: Iterable[tuple[str, int]], count: int = 12) -> list[dict]:
    totals: dict[str, int] = {}
    for part, size in sizes:
        totals[part] = totals.get(part, 0) + size
    return [{"part": part, "bytes": size} for part, size in sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:count]]


def part_of(relative: str) -> str:
    """What a runtime file belongs to, for the size report: a package, the stdlib, or a library in lib/."""
    parts = relative.split("/")
    if len(parts) > 3 and parts[2] == "site-packages":
        return "*.dist-info (metadata)" if parts[3].endswith(".dist-info") else parts[3].removesuffix(".py")
    if len(parts) > 3 and parts[2] == "lib-dynload":
        return "stdlib extension modules"
    if len(parts) > 2 and parts[1].startswith("python"):
        return "stdlib"
    return relative


def size_report(root: Path, archive: Path) -> dict:
    entries = [(relative, path.stat().st_size) for relative, path in walk(root)]
    return {
        "target": root.name,
        "runtime_bytes": sum(size for _, size in entries),
        "runtime_files": len(entries),
        "site_packages_bytes": sum(size for relative, size in entries if "/site-packages/" in relative),
        "archive": archive.name,
        "archive_bytes": archive.stat().st_size,
        "archive_budget_bytes": ARCHIVE_BUDGET,
        "largest": largest((part_of(relative), size) for relative, size in entries),
    }


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def print_sizes(title: str, rows: list[dict]) -> None:
    print(title, file=sys.stderr)
    for row in rows:
        print(f"  {row['part']:<40} {megabytes(row['bytes']):>10}", file=sys.stderr)
