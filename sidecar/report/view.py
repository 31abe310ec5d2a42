"""The device report as a format-neutral document: what every format shows, decided once.

HTML, Markdown and PDF all render the same :class:`Document`, so they carry the same
content. The decisions (which checks apply to a platform, what counts as a concern,
how numbers read) live here and nowhere else. Every string that came from a device
passes through :func:`displayable`; escaping for each format is the renderers' job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypeVar

from ..devices.types import BasicInfo, DeepSignals, LogsCollectResult, Warning
from .types import DeviceReportData, ReportEvidence

Tone = Literal["good", "warn", "bad", "info", "unknown"]
T = TypeVar("T")

# Tone -> the sign every format shows before a value, so a state reads without colour.
SIGNS: dict[str, str] = {"good": "✔", "warn": "⚠", "bad": "✘", "info": "", "unknown": ""}

UNKNOWN = "Unknown"
STALE_PATCH_DAYS = 180
HOT_BATTERY_C = 45.0
LOW_BATTERY_PERCENT = 15
FULL_STORAGE_PERCENT = 90
MAX_LISTED = 20  # root indicators shown one by one; the rest are counted
# A device string longer than this is cut in the report (with the count of what was left out):
# a value can then never outgrow a page, whatever a phone or a host sends.
MAX_SHOWN_CHARS = 400


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    tone: Tone = "info"
    mono: bool = False  # paths, hashes, serials
    meter: float | None = None  # 0-100, drawn as a bar where the format can


@dataclass(frozen=True)
class Notice:
    code: str
    message: str
    field: str | None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: tuple[Row, ...] = ()
    notices: tuple[Notice, ...] = ()
    note: str | None = None  # says what is missing, or that there is nothing to show


@dataclass(frozen=True)
class Verdict:
    tone: Tone
    headline: str
    detail: str


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    report_id: str
    generated_at: str
    created: datetime
    verdict: Verdict
    highlights: tuple[Row, ...]
    sections: tuple[Section, ...]


# C0/C1 controls and bidirectional marks and overrides: invisible, or able to reorder what a reader sees.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def displayable(text: str) -> str:
    """A device-supplied string made safe to show: whitespace controls become spaces, other controls a
    visible code, and a string longer than ``MAX_SHOWN_CHARS`` cut with the number of characters left out."""
    if len(text) > MAX_SHOWN_CHARS:
        text = f"{text[:MAX_SHOWN_CHARS]}… ({len(text) - MAX_SHOWN_CHARS:,} more characters)"
    return _HIDDEN.sub(lambda m: " " if m.group() in "\t\n\r" else f"[U+{ord(m.group()):04X}]", text)


def device_document(report_id: str, data: DeviceReportData) -> Document:
    basic, deep = data.device, data.deep
    security = _security_section(basic, deep, data.generated_at.date())
    battery = _battery_section(basic, deep)
    sections = (
        _device_section(basic),
        security,
        battery,
        _system_section(basic, deep),
        _warnings_section(data.warnings),
        _logs_section(data.logs),
        _evidence_section(data.evidence),
    )
    verdict = _verdict(security, len(data.warnings))
    return Document(
        title=displayable(data.title) if data.title else "Device inspection report",
        subtitle=" · ".join([_device_name(basic), _software(basic)]),
        report_id=report_id,
        generated_at=_timestamp(data.generated_at),
        created=data.generated_at,
        verdict=verdict,
        highlights=(
            Row("Software", _shortened(_software(basic))),
            Row("Security", verdict.headline, verdict.tone),
            _battery_level_row(basic, deep),
            _free_space_row(deep),
        ),
        sections=tuple(section for section in sections if section is not None),
    )


# ---- sections


def _device_section(basic: BasicInfo) -> Section:
    rows = [
        Row("Platform", _PLATFORM_NAMES[basic.platform]),
        _text_row("Manufacturer", basic.manufacturer),
        # iPhones always have one; most Android phones do not state theirs, so it is shown when they do.
        _applicable(basic.platform == "ios", basic.model_name, _text_row("Model name", basic.model_name)),
        _text_row("Model", basic.model),
        _text_row("OS version", basic.os_version),
        _text_row("Build", basic.build, mono=True),
        _text_row("Serial number", basic.serial, mono=True),
    ]
    return Section("device", "Device", tuple(row for row in rows if row is not None))


def _security_section(basic: BasicInfo, deep: DeepSignals | None, today: date) -> Section:
    android = basic.platform == "android"
    supervision = deep.supervision if deep else None
    mdm = basic.mdm_enrolled if basic.mdm_enrolled is not None else (supervision.mdm_enrolled if supervision else None)
    rows = [
        _applicable(basic.platform == "ios", basic.activation_locked, _flag("Activation Lock", basic.activation_locked, ("Engaged", "bad"), ("Off", "good"))),
        _applicable(android, basic.frp_locked, _flag("Factory reset protection", basic.frp_locked, ("Engaged", "bad"), ("Off", "good"))),
        _flag("MDM enrollment", mdm, ("Enrolled", "warn"), ("Not enrolled", "good")),
        _applicable(android, basic.bootloader_locked, _flag("Bootloader", basic.bootloader_locked, ("Locked", "good"), ("Unlocked", "bad"))),
        _applicable(android, basic.verified_boot_state, _verified_boot_row(basic.verified_boot_state)),
        _applicable(False, basic.efi_locked, _flag("EFI firmware lock", basic.efi_locked, ("Locked", "good"), ("Off", "warn"))),
    ]
    note = None
    if deep is None:
        note = "Deep inspection was not included: the patch level, encryption, debugging, supervision and root checks are not shown."
    else:
        rows += _deep_security_rows(android, deep, today)
    return Section("security", "Security state", tuple(row for row in rows if row is not None), note=note)


def _deep_security_rows(android: bool, deep: DeepSignals, today: date) -> list[Row | None]:
    supervision = deep.supervision
    return [
        _applicable(android, deep.security_patch, _patch_row(deep.security_patch, today)),  # iOS: the OS version is the patch level
        _encryption_row(deep.encryption),
        _applicable(android, deep.selinux, _selinux_row(deep.selinux)),
        _applicable(
            android,
            deep.developer_options,
            _flag("Developer options" if android else "Developer Mode", deep.developer_options, ("On", "warn"), ("Off", "good")),
        ),
        _applicable(android, deep.adb_enabled, _flag("USB debugging (ADB)", deep.adb_enabled, ("On", "warn"), ("Off", "good"))),
        _applicable(android, deep.adb_over_network, _flag("ADB over network", deep.adb_over_network, ("On", "bad"), ("Off", "good"))),
        _applicable(
            not android,
            supervision.supervised,
            _flag("Supervised" if not android else "Fully managed (device owner)", supervision.supervised, ("Yes", "warn"), ("No", "good")),
        ),
        _applicable(False, supervision.owners, _owners_row(supervision.owners)),
        _applicable(False, supervision.work_profile, _flag("Work profile", supervision.work_profile, ("Present", "warn"), ("None", "good"))),
        _applicable(False, supervision.organization_name, _text_row("Managing organization", supervision.organization_name)),
        _applicable(
            False, supervision.profile_count, _measured("Configuration profiles", supervision.profile_count, "{:,}".format, lambda n: "warn" if n else "good")
        ),
        _indicators_row("Root indicators" if android else "Jailbreak indicators", deep.root_indicators),
    ]


def _battery_section(basic: BasicInfo, deep: DeepSignals | None) -> Section:
    level = _battery_level_row(basic, deep)
    if deep is None:
        return Section("battery", "Battery and storage", (level,), note="Deep inspection was not included: only the battery level is known.")
    battery, storage = deep.battery, deep.storage
    rows = [
        level,
        _battery_health_row(battery.health),
        _measured("Temperature", battery.temperature_c, "{:.1f} °C".format, lambda t: "warn" if t >= HOT_BATTERY_C else "info"),
        _measured("Voltage", battery.voltage_mv, lambda mv: f"{mv / 1000:.2f} V"),
        _applicable(basic.platform == "ios", battery.cycle_count, _measured("Charge cycles", battery.cycle_count, "{:,}".format)),
        _measured("Charging", battery.charging, lambda on: "Yes" if on else "No"),
        _measured("Storage capacity", storage.total_bytes, human_bytes),
        _storage_used_row(storage.total_bytes, storage.free_bytes),
        _free_space_row(deep),
        _applicable(False, storage.purgeable_bytes, _measured("Purgeable space (not counted as free)", storage.purgeable_bytes, human_bytes)),
    ]
    return Section("battery", "Battery and storage", tuple(row for row in rows if row is not None))


def _system_section(basic: BasicInfo, deep: DeepSignals | None) -> Section | None:
    if deep is None:
        return None
    android = basic.platform == "android"
    rows = [
        _applicable(android, deep.uptime_s, _measured("Uptime", deep.uptime_s, human_duration)),
        _applicable(android, deep.packages.user, _measured("Apps installed by the user", deep.packages.user, "{:,}".format)),
        _applicable(android, deep.packages.system, _measured("System apps", deep.packages.system, "{:,}".format)),
    ]
    shown = tuple(row for row in rows if row is not None)
    return Section("system", "System", shown) if shown else None


def _warnings_section(warnings: list[Warning]) -> Section:
    return Section("warnings", "Warnings", notices=_notices(warnings), note=None if warnings else "The inspection raised no warnings.")


def _logs_section(logs: LogsCollectResult | None) -> Section:
    if logs is None:
        return Section("logs", "Log summary", note="No logs were collected for this report.")
    rows = (
        Row("File", displayable(logs.path), mono=True),
        Row("Size", human_bytes(logs.bytes)),
        Row("Lines", f"{logs.log_count:,}"),
        Row("SHA-256", displayable(logs.sha256), mono=True),
        Row("Complete", "No: cut at the size limit" if logs.truncated else "Yes", "warn" if logs.truncated else "good"),
    )
    return Section("logs", "Log summary", rows, _notices(logs.warnings))


def _evidence_section(evidence: ReportEvidence | None) -> Section | None:
    """The host's evidence log entries this report comes from, and the log's head: what ties a printed report to the log."""
    if evidence is None:
        return None
    rows = [Row(f"{displayable(entry.method)} (entry {entry.seq:,})", entry.hash, mono=True) for entry in evidence.entries]
    rows.append(Row(f"Log head (entry {evidence.head_seq:,})", evidence.head, mono=True))
    if evidence.public_key:
        rows.append(Row("Signing key (Ed25519)", evidence.public_key, mono=True))
    note = "Check the log against this report with: sidecar-host evidence verify LOG --head " + evidence.head
    return Section("evidence", "Evidence", tuple(rows), note=note)


def _verdict(security: Section, warning_count: int) -> Verdict:
    bad = [row.label for row in security.rows if row.tone == "bad"]
    review = [row.label for row in security.rows if row.tone == "warn"]
    unread = sum(row.tone == "unknown" for row in security.rows)
    details = []
    if bad:
        tone: Tone = "bad"
        headline = _plural(len(bad), "security concern")
        details.append("Concerns: " + ", ".join(bad) + ".")
    elif review:
        tone, headline = "warn", _plural(len(review), "item") + " to review"
    else:
        tone, headline = "good", "No security concerns found"
    if review:
        details.append("To review: " + ", ".join(review) + ".")
    if unread:
        details.append(f"{_plural(unread, 'check')} could not be read.")
    if warning_count:
        details.append(f"{_plural(warning_count, 'warning')} recorded during inspection.")
    if not details:
        details.append("Every check that applies to this device passed.")
    return Verdict(tone, headline, " ".join(details))


# ---- rows


_PLATFORM_NAMES = {"android": "Android", "ios": "iOS"}


def _applicable(platform_applies: bool, value: object, row: Row) -> Row | None:
    """A row for a check that only some platforms have: shown when it applies, or when the device answered anyway."""
    return None if value is None and not platform_applies else row


def _flag(label: str, value: bool | None, when_true: tuple[str, Tone], when_false: tuple[str, Tone]) -> Row:
    if value is None:
        return Row(label, UNKNOWN, "unknown")
    text, tone = when_true if value else when_false
    return Row(label, text, tone)


def _text_row(label: str, value: str | None, mono: bool = False) -> Row:
    return Row(label, UNKNOWN, "unknown") if value is None else Row(label, displayable(value), mono=mono)


def _measured(label: str, value: T | None, show: Callable[[T], str], judge: Callable[[T], Tone] | None = None) -> Row:
    """A row for a number or state the device reported (never a device string: those go through displayable)."""
    if value is None:
        return Row(label, UNKNOWN, "unknown")
    return Row(label, show(value), judge(value) if judge else "info")


_BOOT_TONES: dict[str, Tone] = {"green": "good", "yellow": "warn", "orange": "bad", "red": "bad"}


def _verified_boot_row(state: str | None) -> Row:
    if state is None:
        return Row("Verified boot", UNKNOWN, "unknown")
    return Row("Verified boot", _capitalized(displayable(state)), _BOOT_TONES.get(state.strip().lower(), "info"))


def _selinux_row(mode: str | None) -> Row:
    if mode is None:
        return Row("SELinux", UNKNOWN, "unknown")
    return Row("SELinux", _capitalized(displayable(mode)), "good" if mode.strip().lower() == "enforcing" else "bad")


def _encryption_row(encryption: str | None) -> Row:
    if encryption is None:
        return Row("Encryption", UNKNOWN, "unknown")
    lowered = encryption.strip().lower()
    tone: Tone = (
        "bad" if lowered.startswith(("unencrypted", "unsupported", "none")) else "good" if lowered.startswith(("encrypted", "data protection")) else "info"
    )
    return Row("Encryption", _capitalized(displayable(encryption)), tone)


_PATCH_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _patch_row(patch: str | None, today: date) -> Row:
    if patch is None:
        return Row("Security patch level", UNKNOWN, "unknown")
    match = _PATCH_DATE.match(patch.strip())
    try:
        released = date(*map(int, match.groups())) if match else None
    except ValueError:  # matched the shape, but no such day
        released = None
    if released is None:
        return Row("Security patch level", displayable(patch))
    age = (today - released).days
    if age >= STALE_PATCH_DAYS:
        return Row("Security patch level", f"{released.isoformat()} ({age // 30} months old)", "warn")
    return Row("Security patch level", released.isoformat(), "good")


def _owners_row(owners: list[str] | None) -> Row:
    """Android's device and profile owner apps: who manages the phone."""
    if not owners:
        return Row("Managed by", UNKNOWN if owners is None else "No admin app", "unknown" if owners is None else "good")
    return Row("Managed by", _listed(owners), "warn", mono=True)


def _indicators_row(label: str, indicators: list[str]) -> Row:
    if not indicators:
        return Row(label, "None found", "good")
    return Row(label, _listed(indicators), "bad")


def _listed(items: list[str]) -> str:
    """Items one after the other, as many as fit ``MAX_LISTED`` and ``MAX_SHOWN_CHARS``; the rest counted."""
    shown: list[str] = []
    for item in items[:MAX_LISTED]:
        text = displayable(item)
        if shown and sum(map(len, shown)) + len(text) > MAX_SHOWN_CHARS:
            break
        shown.append(text)
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


# Android's BatteryManager health names; iOS reports a capacity sentence, shown as it is.
_ANDROID_HEALTH: dict[str, tuple[str, Tone]] = {
    "good": ("Good", "good"),
    "overheat": ("Overheating", "bad"),
    "dead": ("Dead", "bad"),
    "over_voltage": ("Over voltage", "bad"),
    "failure": ("Failure", "bad"),
    "cold": ("Too cold", "warn"),
    "unknown": (UNKNOWN, "unknown"),
}


def _battery_health_row(health: str | None) -> Row:
    if health is None:
        return Row("Battery health", UNKNOWN, "unknown")
    text, tone = _ANDROID_HEALTH.get(health.strip().lower(), (displayable(health), "info"))
    return Row("Battery health", text, tone)


def _battery_level_row(basic: BasicInfo, deep: DeepSignals | None) -> Row:
    level = deep.battery.level if deep and deep.battery.level is not None else basic.battery_level
    if level is None:
        return Row("Battery level", UNKNOWN, "unknown")
    return Row("Battery level", f"{level} %", "warn" if level <= LOW_BATTERY_PERCENT else "info", meter=float(max(0, min(100, level))))


def _storage_used_row(total: int | None, free: int | None) -> Row:
    if total is None or free is None or total <= 0:
        return Row("Storage used", UNKNOWN, "unknown")
    used = max(0, total - free)
    percent = min(100.0, 100 * used / total)
    return Row("Storage used", f"{human_bytes(used)} ({percent:.0f} %)", "warn" if percent >= FULL_STORAGE_PERCENT else "info", meter=round(percent, 1))


def _free_space_row(deep: DeepSignals | None) -> Row:
    free = deep.storage.free_bytes if deep else None
    return Row("Free space", UNKNOWN, "unknown") if free is None else Row("Free space", human_bytes(free))


def _notices(warnings: list[Warning]) -> tuple[Notice, ...]:
    return tuple(Notice(w.code, displayable(w.message), displayable(w.field) if w.field else None) for w in warnings)


# ---- wording and numbers


def _device_name(basic: BasicInfo) -> str:
    """The name it is sold under where known ("Apple iPhone 13"), else the model code."""
    name = basic.model_name or basic.model
    model = displayable(name) if name else "Unknown model"
    maker = displayable(basic.manufacturer) if basic.manufacturer else ""
    return model if not maker or model.lower().startswith(maker.lower()) else f"{maker} {model}"


def _software(basic: BasicInfo) -> str:
    name = _PLATFORM_NAMES[basic.platform]
    return f"{name} {displayable(basic.os_version)}" if basic.os_version else f"{name}, version unknown"


def _timestamp(moment: datetime) -> str:
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("+0000", "-0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}"


def _shortened(text: str, limit: int = 40) -> str:
    """At most ``limit`` characters, for the summary cards; the full text is in the sections."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _capitalized(text: str) -> str:
    """Device enums read as words: "orange" becomes "Orange"; the rest of the text is kept."""
    return text[:1].upper() + text[1:]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def human_bytes(count: int) -> str:
    """Decimal units, as storage is sold: 128 GB is 128 000 000 000 bytes."""
    if count < 1000:
        return f"{count} B"
    value = float(count)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 1000 or unit == "PB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{_plural(days, 'day')}, {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{int(seconds)} s"
