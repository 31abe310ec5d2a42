"""Reading the iOS corpus (tests/corpus/ios) into the dicts a device would give.

The captures are stored exactly as published, in the publisher's format; the readers for the
formats that need one live here, not in product code. A sample ``<stem>.<ext>`` has its
expectations, written from the raw data, in ``<stem>.expect.json``. The formats, by name:

* ``*.plist``: XML property list (the diagnostics relay's answer, ``{"IORegistry": {...}}``);
* ``*.json``: JSON (``*.idb-describe.json`` is idb's describe output, lockdown values under
  ``extended.device``);
* ``*.ideviceinfo.txt`` and the ``disk_usage``/``battery_domain`` texts: libimobiledevice's
  ``Key: value`` listing, nested entries indented by one space per level;
* ``*.lockdown-info.txt``: ``pymobiledevice3 lockdown info`` JSON with identifiers masked by
  ``*`` (so not JSON); only its top-level entries are read;
* ``*.swift.txt``: a Swift dictionary literal; ``*.dart.txt``: a Dart map literal of strings;
* ``*.gomap.txt``: Go's ``fmt`` printing of a map (``map[Key:value ...]``), as go-ios logged a
  service's answer; a map cut short by its publisher ends where the text ends;
* other ``ioregistry/*.txt``: Foundation's description of an NSDictionary (``Key = value;``),
  or a list of ``"Key = value"`` strings as ioreg prints them.
"""

from __future__ import annotations

import ast
import json
import plistlib
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1] / "corpus" / "ios"


@dataclass(frozen=True)
class Sample:
    path: Path

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def expect(self) -> dict[str, Any]:
        return _dict(json.loads(self.path.with_name(self.path.name.rsplit(".", 1)[0] + ".expect.json").read_text()))

    def data(self) -> dict[str, Any]:
        return read(self.path)


def _dict(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict), f"a capture that is not a dictionary: {type(value).__name__}"
    return value


def samples(kind: str) -> list[Sample]:
    return [Sample(p) for p in sorted((ROOT / kind).iterdir()) if not p.name.endswith(".expect.json")]


def read(path: Path) -> dict[str, Any]:
    name, text = path.name, path.read_text(encoding="utf-8")
    if name.endswith(".plist"):
        return _dict(plistlib.loads(path.read_bytes())["IORegistry"])
    if name.endswith(".idb-describe.json"):
        return _dict(json.loads(text)["extended"]["device"])
    if name.endswith(".json"):
        return _dict(json.loads(text))
    if name.endswith(".lockdown-info.txt"):
        return masked_json_top_level(text)
    if name.endswith(".swift.txt"):
        return swift_literal(text)
    if name.endswith(".gomap.txt"):
        return go_map(text)
    if name.endswith(".dart.txt"):
        return {key: _typed(value) for key, value in ast.literal_eval(text.strip()).items()}
    if path.parent.name in ("lockdown", "disk_usage", "battery_domain"):
        return ideviceinfo(text)
    if text.lstrip().startswith("/*"):
        return ioreg_strings(text)
    return nsdictionary_description(text)


# ---- libimobiledevice's ideviceinfo text


def ideviceinfo(text: str) -> dict[str, Any]:
    lines = [line for line in textwrap.dedent(text).splitlines() if line.strip()]
    parsed, _ = _block(lines, 0, 0)
    return parsed


def _block(lines: list[str], start: int, depth: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    i = start
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip(" "))
        if indent < depth:
            break
        key, _, value = line.strip().partition(":")
        value = value.strip()
        i += 1
        array = re.fullmatch(r"(.+)\[\d+\]", key)
        if not value and i < len(lines) and len(lines[i]) - len(lines[i].lstrip(" ")) > depth:
            nested, i = _block(lines, i, depth + 1)
            out[array.group(1) if array else key] = list(nested.values()) if array else nested
        elif array:
            out[array.group(1)] = []
        else:
            out[key] = value if key.endswith(_TEXT_KEYS) else _typed(value)
    return out, i


# Lockdown gives these as strings even when they look like numbers ("13.0", "2", "460", an ICCID).
_TEXT_KEYS = ("Version", "DeviceColor", "Identity", "Identifier", "MCC", "MNC", "Code", "Number")


def _typed(value: str) -> Any:
    """ideviceinfo prints integers, reals and booleans bare; a string of digits was one of them."""
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return value


# ---- pymobiledevice3's lockdown info JSON, masked by its publisher


def masked_json_top_level(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in text.splitlines():
        match = re.fullmatch(r' {3}"([^"]+)": (.*?),?\s*', line)
        if not match or match.group(2) in ("{", "["):
            continue
        raw = match.group(2)
        try:
            out[match.group(1)] = json.loads(raw)
        except json.JSONDecodeError:
            out[match.group(1)] = raw  # a masked number ("16******"), kept as the text it is
    return out


# ---- Swift and Foundation renderings of dictionaries


def swift_literal(text: str) -> dict[str, Any]:
    code = re.sub(r"//[^\n]*", "", text).replace("as [String: Any]", "")
    code = code.replace("[", "{").replace("]", "}").replace("true", "True").replace("false", "False")
    return _dict(ast.literal_eval(code.strip()))


def nsdictionary_description(text: str) -> dict[str, Any]:
    """Foundation's ``-description`` of an NSDictionary: ``{ Key = value; ... }``, ``( ... )`` arrays, ``<hex>`` data."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|<[^>;}]*>?|[{}();=,]|[^\s{}();=,"]+', text)
    value, _ = _ns_value(tokens, 0)
    return _dict(value)


def _ns_value(tokens: list[str], i: int) -> tuple[Any, int]:
    token = tokens[i]
    if token == "{":
        out: dict[str, Any] = {}
        i += 1
        while tokens[i] != "}":
            key = _ns_scalar(tokens[i])
            assert tokens[i + 1] == "=", tokens[i : i + 3]
            out[key], i = _ns_value(tokens, i + 2)
            if tokens[i] == ";":
                i += 1
        return out, i + 1
    if token == "(":
        items: list[Any] = []
        i += 1
        while tokens[i] != ")":
            item, i = _ns_value(tokens, i)
            items.append(item)
            if tokens[i] == ",":
                i += 1
        return items, i + 1
    return _ns_scalar(token), i + 1


def _ns_scalar(token: str) -> Any:
    """NSNumbers print bare (booleans as 0/1); a quoted number ("-670") is one too."""
    if token.startswith('"'):
        token = token[1:-1]
    return int(token) if re.fullmatch(r"-?\d+", token) else token


def go_map(text: str) -> dict[str, Any]:
    """``map[Key:value Key:map[...]]``; a value is a bare word (true/false and integers typed)."""
    tokens = re.findall(r"map\[|\]|[^\s:\[\]]+:|[^\s\[\]]+", text)
    value, _ = _go_map(tokens, 1)
    return value


def _go_map(tokens: list[str], i: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while i < len(tokens) and tokens[i] != "]":
        key = tokens[i].removesuffix(":")
        following = tokens[i + 1] if i + 1 < len(tokens) else "]"
        if following == "map[":
            out[key], i = _go_map(tokens, i + 2)
        elif following == "]" or following.endswith(":"):  # no value before the next key: cut short
            out[key], i = "", i + 1
        else:
            out[key], i = _go_scalar(following), i + 2
    return out, i + 1


def _go_scalar(token: str) -> Any:
    if token in ("true", "false"):
        return token == "true"
    return int(token) if re.fullmatch(r"-?\d+", token) else token


def ioreg_strings(text: str) -> dict[str, Any]:
    """``"Key = value"`` strings, one per line, as a battery app logged them; Yes/No are booleans."""
    out: dict[str, Any] = {}
    for match in re.finditer(r'^ "([^"=]+?) = (.*)",?$', text, re.MULTILINE):
        key, value = match.groups()
        out[key] = {"Yes": True, "No": False}.get(value, int(value) if re.fullmatch(r"-?\d+", value) else value)
    return out
