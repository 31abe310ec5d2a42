"""Parsers for the output of the allowed Android commands. Pure: text in, values out, never raises."""

from __future__ import annotations

import re

_PROP_LINE = re.compile(r"^\[(?P<key>[^\]]+)\]: \[(?P<value>.*)\]$")
_BATTERY_HEALTH = {1: "unknown", 2: "good", 3: "overheat", 4: "dead", 5: "over_voltage", 6: "failure", 7: "cold"}
_STATUS_CHARGING, _STATUS_FULL = 2, 5


def getprop_listing(text: str) -> dict[str, str]:
    """``getprop`` with no argument: one ``[key]: [value]`` per line."""
    props = {}
    for line in text.split("\n"):  # not splitlines(): values may hold \x85, \x1c... which it splits on
        match = _PROP_LINE.match(line.strip())
        if match:
            props[match["key"]] = match["value"]
    return props


def setting(text: str) -> str | None:
    """``settings get``: the value, or None where Android prints ``null`` (unset)."""
    value = text.strip()
    return None if value in ("", "null") else value


def key_values(text: str) -> dict[str, str]:
    """``key: value`` lines, as ``dumpsys battery`` prints them (indented, one per line)."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(": ")
        if sep and key:
            values[key] = value.strip()
    return values


def as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def battery(text: str) -> dict[str, object]:
    """``dumpsys battery`` -> level (percent), health, temperature (C), voltage (mV), charging."""
    values = key_values(text)
    level, scale = as_int(values.get("level")), as_int(values.get("scale")) or 100
    temperature = as_int(values.get("temperature"))
    status = as_int(values.get("status"))
    health = as_int(values.get("health"))
    return {
        "level": None if level is None else round(level * 100 / scale),
        "health": _BATTERY_HEALTH.get(health) if health is not None else None,
        "temperature_c": None if temperature is None else temperature / 10,
        "voltage_mv": as_int(values.get("voltage")),
        "charging": None if status is None else status in (_STATUS_CHARGING, _STATUS_FULL),
    }


def df_kib(text: str) -> tuple[int, int] | None:
    """``df -k PATH`` -> (total bytes, available bytes) of its one filesystem, or None."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("Filesystem"):
        return None
    # Old toolboxes wrap a long device name onto its own line: join the data lines back.
    cells = " ".join(lines[1:]).split()
    numbers = [cell for cell in cells[1:] if cell.isdigit()]
    if len(numbers) < 3:
        return None
    size_kb, _used_kb, available_kb = (int(n) for n in numbers[:3])
    return size_kb * 1024, available_kb * 1024


def package_count(text: str) -> int | None:
    """``pm list packages``: the number of ``package:`` lines (None if the output is not a listing)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(not line.startswith("package:") for line in lines):
        return None
    return len(lines)


def uptime_seconds(text: str) -> float | None:
    """``cat /proc/uptime``: the first number."""
    try:
        return float(text.split()[0])
    except (IndexError, ValueError):
        return None


def listing(text: str) -> list[str] | None:
    """``ls DIR``: the names, or None when ls refused or found nothing to list."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(line.startswith("ls:") for line in lines):
        return None
    return lines


def refused(text: str) -> bool:
    """Whether a command's output is the shell saying no (absent program, no permission)."""
    lowered = text.lower()
    return "permission denied" in lowered or "inaccessible or not found" in lowered or "not found" in lowered.split("\n", 1)[0]
