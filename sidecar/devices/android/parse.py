"""Parsers for the output of the allowed Android commands. Pure: text in, values out, never raises.

Each parser takes the output as the device printed it, of any Android generation (the
corpus in tests/corpus/android holds what real phones print), with ``\\r\\n`` already
turned into ``\\n`` (:func:`~sidecar.devices.android.shell_errors.lf`).
"""

from __future__ import annotations

import re

import msgspec

_PROP_START = re.compile(r"^\[(?P<key>[^\]]+)\]: \[(?P<value>.*)$")
# "...][next.key]: [...": two entries on one line (a capture lost the line break between them).
_GLUED = re.compile(r"\](?=\[[A-Za-z0-9_.\-]+\]: \[)")
_BATTERY_HEALTH = {1: "unknown", 2: "good", 3: "overheat", 4: "dead", 5: "over_voltage", 6: "failure", 7: "cold"}
_STATUS_CHARGING = 2  # BatteryManager.BATTERY_STATUS_CHARGING
_UNITS = {"K": 1, "M": 1024, "G": 1024**2, "T": 1024**3}


def getprop_listing(text: str) -> dict[str, str]:
    """``getprop`` with no argument: ``[key]: [value]`` per property; a value may span lines.

    A value left open by a line that starts the next property is taken as it stands, and two
    entries found glued on one line are read as two (a damaged capture must not lose them)."""
    props: dict[str, str] = {}
    key: str | None = None
    value: list[str] = []
    for line in _GLUED.sub("]\n", text).split("\n"):  # not splitlines(): values may hold \x85, \x1c...
        match = _PROP_START.match(line.lstrip())
        if match:
            if key is not None:
                props[key] = "\n".join(value)
            key, value = match["key"], [match["value"]]
        elif key is not None:
            value.append(line)
        else:
            continue
        if value[-1].rstrip().endswith("]"):
            value[-1] = value[-1].rstrip()[:-1]
            props[key] = "\n".join(value)
            key = None
    return props


def setting(text: str) -> str | None:
    """``settings get``: the value, or None where Android prints ``null`` (unset)."""
    value = text.strip()
    return None if value in ("", "null") else value


def key_values(text: str) -> dict[str, str]:
    """``key: value`` lines, as ``dumpsys battery`` prints them (the first of a repeated key wins)."""
    values: dict[str, str] = {}
    for line in text.split("\n"):
        key, sep, value = line.strip().partition(": ")
        if sep and key:
            values.setdefault(key, value.strip())
    return values


def as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class BatteryReading(msgspec.Struct, frozen=True):
    level: int | None  # percent
    health: str | None
    temperature_c: float | None
    voltage_mv: int | None
    charging: bool | None


def battery(text: str) -> BatteryReading:
    """``dumpsys battery``: level in percent (``level`` of ``scale``), health, °C, mV, charging.

    BatteryService prints no cycle count (any version); the kernel's power supply class has it."""
    values = key_values(text)
    level, scale = as_int(values.get("level")), as_int(values.get("scale")) or 100
    temperature = as_int(values.get("temperature"))
    status = as_int(values.get("status"))
    health = as_int(values.get("health"))
    return BatteryReading(
        level=None if level is None or level < 0 else round(level * 100 / scale),
        health=_BATTERY_HEALTH.get(health) if health is not None else None,
        temperature_c=None if temperature is None else temperature / 10,
        voltage_mv=_positive(as_int(values.get("voltage"))),
        charging=None if status is None else status == _STATUS_CHARGING,  # full (5) is plugged in, not charging
    )


def _positive(value: int | None) -> int | None:
    """None for the 0 or -1 that devices print when they have no reading."""
    return value if value is not None and value > 0 else None


def df_data(text: str) -> tuple[int, int, bool] | None:
    """``df -k /data`` -> (total bytes, available bytes, exact) of the filesystem mounted at /data, or None.

    toybox (Android 7 on) prints 1K blocks, the mount point last. toolbox (Android 6 and older)
    ignores ``-k`` (it says ``-k: No such file or directory``) and prints sizes rounded to K/M/G
    with the mount point first: those figures are approximate (``exact`` False). A listing
    without a /data row (some rooted boxes mount it elsewhere) gives None, never another row."""
    rows = [line.split() for line in text.split("\n") if line.strip()]
    header = next((i for i, cells in enumerate(rows) if cells[0] == "Filesystem"), None)
    if header is None:
        return None
    toolbox = "Blksize" in rows[header]
    for row in _df_rows(rows[header + 1 :]):
        if toolbox and row[0] == "/data" and len(row) >= 4:
            size, free = _rounded_kib(row[1]), _rounded_kib(row[3])
            if size is not None and free is not None:
                return size * 1024, free * 1024, False
        elif not toolbox and row[-1] == "/data" and len(row) >= 6 and all(cell.isdigit() for cell in row[1:4]):
            return int(row[1]) * 1024, int(row[3]) * 1024, True
    return None


def _df_rows(rows: list[list[str]]) -> list[list[str]]:
    """Rows of cells; a device name too long for its column sits alone on a line, its figures on the next."""
    joined: list[list[str]] = []
    pending: list[str] = []
    for cells in rows:
        if len(cells) == 1:
            pending = cells
            continue
        joined.append(pending + cells if pending and cells[0][:1].isdigit() else cells)
        pending = []
    return joined


def _rounded_kib(cell: str) -> int | None:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT])", cell)
    return None if match is None else round(float(match[1]) * _UNITS[match[2]])


def package_names(text: str) -> set[str] | None:
    """``pm list packages``: the package names (None if the output is not a listing)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if any(not line.startswith("package:") for line in lines):
        return None
    return {line.removeprefix("package:") for line in lines}


def uptime_seconds(text: str) -> float | None:
    """``cat /proc/uptime``: the first number."""
    try:
        return float(text.split(maxsplit=1)[0])
    except (IndexError, ValueError):
        return None


def listing(text: str) -> list[str]:
    """``ls DIR`` (a listing the shell did not refuse): the names, one per line (ls writes to a pipe)."""
    return [line.strip() for line in text.split("\n") if line.strip()]
