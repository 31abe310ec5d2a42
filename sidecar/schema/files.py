"""Write the schema artifacts under schemas/, or check that the checked-in ones are current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..server.table import MethodTable
from .openrpc import bundle_schema, openrpc_document, type_schemas


def render(table: MethodTable) -> dict[str, str]:
    """Every schema file, as relative path -> exact text."""
    document = openrpc_document(table)
    files = {"openrpc.json": _text(document), "sidecar.schema.json": _text(bundle_schema(document))}
    for name, schema in type_schemas(document).items():
        files[f"json/{name}.schema.json"] = _text(schema)
    return files


def write(table: MethodTable, out_dir: Path) -> list[str]:
    """Write the files; remove stale per-type files; return the paths that changed."""
    files = render(table)
    changed = [path for path, text in files.items() if _read(out_dir / path) != text]
    for path in changed:
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[path], encoding="utf-8")
    for stale in _stale(out_dir, files):
        stale.unlink()
        changed.append(str(stale.relative_to(out_dir)))
    return changed


def drift(table: MethodTable, out_dir: Path) -> list[str]:
    """The paths whose checked-in content differs from what the code generates (missing and stale included)."""
    files = render(table)
    differing = [path for path, text in files.items() if _read(out_dir / path) != text]
    return differing + [str(path.relative_to(out_dir)) for path in _stale(out_dir, files)]


def _stale(out_dir: Path, files: dict[str, Any]) -> list[Path]:
    per_type = out_dir / "json"
    if not per_type.is_dir():
        return []
    return sorted(path for path in per_type.glob("*.schema.json") if f"json/{path.name}" not in files)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _text(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
