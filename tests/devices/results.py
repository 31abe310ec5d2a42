"""Reading an inspection result (as JSON) for the null-needs-a-warning rule."""

from __future__ import annotations

from typing import Any

from sidecar.devices.findings import NOT_APPLICABLE


def fields_warned(result: dict[str, Any]) -> set[str | None]:
    return {w.get("field") for w in result["warnings"]}


def unexplained_nulls(result: dict[str, Any], platform: str) -> list[str]:
    """The null fields of ``result["data"]`` that no warning names (nor a parent's), and that the platform has."""
    warned = fields_warned(result)
    return [
        field for field in _null_fields(result["data"]) if field not in NOT_APPLICABLE[platform] and not any(prefix in warned for prefix in _prefixes(field))
    ]


def _null_fields(data: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in data.items():
        if isinstance(value, dict):
            found += _null_fields(value, f"{prefix}{key}.")
        elif value is None:
            found.append(prefix + key)
    return found


def _prefixes(field: str) -> list[str]:
    parts = field.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
