"""The document view: which checks apply, what counts as a concern, how values read."""

from __future__ import annotations

import unicodedata

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from sidecar.report.types import DeviceReportData
from sidecar.report.view import Document, Row, device_document, displayable, human_bytes, human_duration

from . import samples


def document(data: dict) -> Document:
    return device_document("r1", msgspec.convert(data, DeviceReportData))


def rows(doc: Document, key: str) -> dict[str, Row]:
    section = next(section for section in doc.sections if section.key == key)
    return {row.label: row for row in section.rows}


def test_android_concerns_are_the_unlocked_bootloader_orange_boot_and_root_indicators() -> None:
    doc = document(samples.android())
    security = rows(doc, "security")
    assert {label for label, row in security.items() if row.tone == "bad"} == {"Bootloader", "Verified boot", "Root indicators"}
    assert security["Bootloader"].value == "Unlocked" and security["Verified boot"].value == "Orange"
    assert security["Factory reset protection"].tone == "good"
    assert "Charge cycles" not in rows(doc, "battery")  # Android reports none; not a gap worth a row
    assert doc.verdict.tone == "bad" and doc.verdict.headline == "3 security concerns"
    assert "To review: Security patch level, Developer options, USB debugging (ADB)." in doc.verdict.detail


def test_ios_shows_its_own_checks_and_none_of_androids() -> None:
    doc = document(samples.ios())
    security = rows(doc, "security")
    assert security["Activation Lock"].tone == "bad"
    assert security["Supervised"].value == "Yes" and security["Managing organization"].value == "Northwind Traders"
    assert security["Developer Mode"].value == "Off"
    assert security["Jailbreak indicators"].value == "None found"
    assert not {"Factory reset protection", "Bootloader", "Verified boot", "SELinux", "USB debugging (ADB)"} & set(security)
    assert rows(doc, "battery")["Charge cycles"].value == "512"
    assert "system" not in {section.key for section in doc.sections}  # uptime and app counts: not on iOS


def test_missing_values_read_unknown_and_a_missing_deep_inspection_is_said() -> None:
    doc = document(samples.android_basic_only())
    device, security = rows(doc, "device"), rows(doc, "security")
    assert device["Serial number"].value == "Unknown" and device["Serial number"].tone == "unknown"
    assert security["Verified boot"].tone == "unknown"
    assert "Security patch level" not in security
    sections = {section.key: section for section in doc.sections}
    assert "Deep inspection was not included" in sections["security"].note
    assert "system" not in sections
    assert sections["logs"].note == "No logs were collected for this report."
    assert "2 checks could not be read." in doc.verdict.detail  # MDM enrollment and verified boot
    assert doc.title == "Device inspection report"


def test_patch_level_is_judged_against_the_reports_own_date() -> None:
    data = samples.android()
    data["deep"]["security_patch"] = "2026-10-05"
    assert rows(document(data), "security")["Security patch level"].tone == "good"
    data["deep"]["security_patch"] = "2024-08-05"
    stale = rows(document(data), "security")["Security patch level"]
    assert stale.tone == "warn" and stale.value == "2024-08-05 (27 months old)"
    data["deep"]["security_patch"] = "2024-02-30"
    assert rows(document(data), "security")["Security patch level"].value == "2024-02-30"


def test_device_strings_lose_controls_and_direction_overrides_but_keep_their_text() -> None:
    assert displayable("ABC\u202eFDP.exe") == "ABC[U+202E]FDP.exe"
    assert displayable("a\nb\tc\x00d\x1b") == "a b c[U+0000]d[U+001B]"
    assert displayable("Ωμέγα 株式会社 🚀") == "Ωμέγα 株式会社 🚀"
    assert displayable("\u061c123\u200f") == "[U+061C]123[U+200F]"  # Arabic letter mark, right-to-left mark
    assert displayable("Галина هاتف 小米手机") == "Галина هاتف 小米手机"


@given(st.text())
def test_displayable_never_leaves_a_control_or_bidi_override(text: str) -> None:
    for char in displayable(text):
        assert unicodedata.category(char) != "Cc"
        assert char not in "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_sizes_read_in_decimal_units_and_durations_in_words() -> None:
    assert human_bytes(999) == "999 B"
    assert human_bytes(118_354_722_816) == "118.4 GB"
    assert human_duration(273_000.5) == "3 days, 3 h 50 min"
    assert human_duration(59) == "59 s"
    assert human_duration(3_660) == "1 h 1 min"


def test_the_marketing_name_leads_the_title_and_management_is_shown_where_the_phone_tells() -> None:
    ios = samples.ios()
    ios["device"]["model_name"] = "iPhone 13"
    ios["deep"]["storage"]["purgeable_bytes"] = 121_000_000_000
    doc = document(ios)
    assert rows(doc, "device")["Model name"].value == "iPhone 13" and "iPhone 13" in doc.subtitle
    assert rows(doc, "battery")["Purgeable space (not counted as free)"].value == "121.0 GB"
    android = samples.android()
    android["deep"]["supervision"].update(
        supervised=True, mdm_enrolled=True, owners=["com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"], work_profile=False
    )
    security = rows(document(android), "security")
    assert security["Fully managed (device owner)"].value == "Yes" and security["Work profile"].value == "None"
    assert security["Managed by"].value.startswith("com.google.android.apps.work.clouddpc/") and security["Managed by"].tone == "warn"
    assert "Model name" not in rows(document(android), "device")  # this Android phone states none: no empty row
