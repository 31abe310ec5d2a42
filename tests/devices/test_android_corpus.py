"""Android inspection on output captured from real phones (tests/corpus/android, sources in SOURCES.md).

The expectations were written by reading each raw capture as a technician would; these tests
hold the product's parsers and inspection to them, and check that every field the product
cannot fill is null with a warning naming it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecar.devices.android import owners, parse
from sidecar.devices.android.logcat_refusal import logcat_refusal
from sidecar.devices.android.shell_errors import ShellError, lf, shell_error

from .captured import inspect_captured, unexplained_nulls
from .corpus import Sample, samples

GETPROP = samples("android/getprop")
BATTERY = samples("android/battery")

# "shell@android:/data/local/tmp $ ls", "255|r0q:/ $ su", quoted with "> " in a forum post
_PROMPT = re.compile(r"^(> )?(\d+\|)?[\w.-]+(@[\w.-]+)?:\S* [$#]( |$)")

# The plain reading of a value a technician notes down; the product reports "no reading" as null.
_NO_READING = {"voltage_mv": 0}


def _encryption(expect: dict[str, Any]) -> str | None:
    state, kind = expect["encryption"]["state"], expect["encryption"]["type"]
    return f"{state} ({kind})" if state == "encrypted" and kind else state


# Makers as the phones name themselves, without emulators and boards that give none.
_NOT_A_VENDOR = {"", "unknown", "qemu", "qualcomm", "qualcomm technology", "allwinner", "leadcore", "mediatek", "alps"}


def test_the_corpus_spans_vendors_and_every_android_generation() -> None:
    """Issue 10 asks for 100 dumps from 15 makers; what the corpus reached is held here so it never shrinks."""
    vendors = {s.expect["manufacturer"].strip().lower() for s in GETPROP if s.expect["manufacturer"]} - _NOT_A_VENDOR
    majors = {s.expect["os_version"].split(".")[0] for s in GETPROP if s.expect["os_version"]}
    assert len(GETPROP) >= 100 and len(vendors) >= 16, (len(GETPROP), sorted(vendors))
    assert {str(v) for v in range(3, 18)} <= majors, sorted(majors, key=int)
    assert len(BATTERY) >= 8


@pytest.mark.parametrize("sample", GETPROP, ids=str)
def test_identity_and_boot_state_read_from_real_getprop_dumps(sample: Sample) -> None:
    expect = sample.expect
    basic, found = inspect_captured({"getprop": sample.text}, "basic")
    assert (basic.model, basic.manufacturer, basic.os_version) == (expect["model"], expect["manufacturer"], expect["os_version"])
    # A blank prop is no serial; "********" or "xxxxxxxx" is the poster masking it (no phone says that), read as none too.
    assert basic.build == expect["build"] and _unmasked(basic.serial) == (expect["serial"] or None)
    assert basic.model_name == expect["marketing_name"]
    assert basic.bootloader_locked == expect["bootloader_locked"]
    assert basic.verified_boot_state == (expect["verified_boot_state"] or None)
    assert unexplained_nulls(basic, found) == []


@pytest.mark.parametrize("sample", GETPROP, ids=str)
def test_security_signals_read_from_real_getprop_dumps(sample: Sample) -> None:
    expect = sample.expect
    deep, found = inspect_captured({"getprop": sample.text}, "deep")
    assert deep.security_patch == expect["security_patch"]
    assert deep.encryption == _encryption(expect)
    assert ("ro.debuggable=1" in deep.root_indicators) is bool(expect["debuggable"])
    if (expect["adb_tcp_port"] or 0) > 0:  # -1 is how some vendors say "no port"
        assert deep.adb_over_network is True
    assert not any(i.startswith("su binary") for i in deep.root_indicators)  # the shell answered "not found"
    assert unexplained_nulls(deep, found) == []


# Read from the raw dumps: ro.boot.* says locked/green while vendor.boot.* says unlocked/orange, beside
# Magisk's random service names (their expectation notes say so); every other dump's copies agree.
_ROOT_KIT_HIDING_THE_UNLOCK = {
    "oneplus-nord-n10-5g-be2029-a10-oxygenos10-magisk-spoofed-boot",
    "oneplus-7-pro-5g-gm1925-a10-oxygenos10-sprint",
    "oneplus-7t-hd1905-a10-oxygenos10-ob1-eea",
}


def test_boot_props_that_disagree_are_a_root_indicator_on_exactly_the_tampered_dumps() -> None:
    flagged = set()
    for sample in GETPROP:
        deep, _ = inspect_captured({"getprop": sample.text}, "deep")
        if any(i.startswith("boot props disagree") for i in deep.root_indicators):
            flagged.add(str(sample))
            basic, _ = inspect_captured({"getprop": sample.text}, "basic")
            assert basic.bootloader_locked is False, sample  # the unlocked word wins
    assert flagged == _ROOT_KIT_HIDING_THE_UNLOCK


@pytest.mark.parametrize("sample", BATTERY, ids=str)
def test_battery_read_from_real_dumpsys_battery(sample: Sample) -> None:
    expect = sample.expect
    reading = parse.battery(lf(sample.text))
    for field in ("level", "health", "temperature_c", "voltage_mv", "charging"):
        wanted = None if _NO_READING.get(field, object()) == expect[field] else expect[field]
        assert getattr(reading, field) == wanted, field


@pytest.mark.parametrize("sample", samples("android/shell"), ids=str)
def test_shell_wording_of_every_generation_is_read_as_what_it_means(sample: Sample) -> None:
    meaning = {"not_found": ShellError.NOT_FOUND, "no_such_file": ShellError.NO_SUCH_FILE, "permission_denied": ShellError.PERMISSION_DENIED, "ok": None}[
        sample.expect["meaning"]
    ]
    assert shell_error(_output(sample)) is meaning


@pytest.mark.parametrize("sample", samples("android/df"), ids=str)
def test_storage_read_from_real_df(sample: Sample) -> None:
    expect = sample.expect
    sizes = parse.df_data(lf(sample.text))
    if expect["data"] is None:  # no /data row: not found, never another row
        assert sizes is None
        return
    assert sizes is not None
    total, free, exact = sizes
    if expect["total_kib"] is not None:
        assert exact and (total, free) == (expect["total_kib"] * 1024, expect["available_kib"] * 1024)
    else:  # toolbox prints rounded sizes only
        assert not exact and (total, free) == (_rounded(expect["data"]["size"]), _rounded(expect["data"]["free"]))


# What publishers type over a serial before posting a dump: a run of one masking character.
_MASKS = ({"*"}, {"x"}, {"X"})


def _unmasked(value: str | None) -> str | None:
    return None if value is not None and set(value) in _MASKS else value


def _output(sample: Sample) -> str:
    """The command's output in a published shell session: without the prompt lines around it."""
    return "\n".join(line for line in lf(sample.text).split("\n") if not _PROMPT.match(line))


def _rounded(cell: str) -> int:
    return round(float(cell[:-1]) * {"K": 1, "M": 1024, "G": 1024**2}[cell[-1]]) * 1024


@pytest.mark.parametrize("sample", samples("android/pm"), ids=str)
def test_package_lists_are_counted_by_name(sample: Sample) -> None:
    if sample.expect.get("refused"):
        assert shell_error(lf(sample.text)) is not None  # e.g. a SecurityException for another user
        return
    names = parse.package_names(lf(sample.text))
    assert names is not None and len(names) == sample.expect["packages"]


@pytest.mark.parametrize("sample", samples("android/logcat"), ids=str)
def test_a_logcat_refusal_is_told_from_a_log(sample: Sample) -> None:
    if "refused" in sample.expect and "log_lines" in sample.expect:  # the command asked for a log
        assert (logcat_refusal(lf(sample.text)) is not None) is sample.expect["refused"]


def _some_lines(data: st.DataObject, text: str) -> str:
    lines = text.split("\n")
    kept = data.draw(st.lists(st.sampled_from(range(len(lines))), unique=True, max_size=len(lines)).map(sorted))
    return "\n".join(lines[i] for i in kept)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data(), depth=st.sampled_from(["basic", "deep"]))
def test_no_field_is_ever_null_without_a_warning_naming_it(data: st.DataObject, depth: str) -> None:
    """A phone made of real captures with random lines removed: whatever is missing, each null field is explained."""
    phone: dict[str, str] = {}
    for command, kind in (
        ("getprop", "android/getprop"),
        ("dumpsys battery", "android/battery"),
        ("df -k /data", "android/df"),
        ("pm list packages -s", "android/pm"),
        ("pm list users", "android/users"),
        ("dumpsys device_policy", "android/device_policy"),
        ("cmd device_policy list-owners", "android/dpm"),
    ):
        choices = samples(kind)
        if not choices:
            continue
        if data.draw(st.booleans(), label=f"has {command}"):
            phone[command] = _some_lines(data, data.draw(st.sampled_from(choices), label=command).text)
    result, found = inspect_captured(phone, depth)
    assert unexplained_nulls(result, found) == []


@pytest.mark.parametrize("sample", samples("android/users"), ids=str)
def test_work_profiles_read_from_real_user_lists(sample: Sample) -> None:
    assert owners.has_managed_profile(lf(sample.text)) is sample.expect["work_profile"]
