"""Every phone of the Android zoo (emulated from real captures) through the real sidecar, end to end.

The values are checked against what a technician read in the same captures (tests/corpus), so
the zoo proves the whole path (ADB wire, shell generation, parsers, assembly) on real output.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from sidecar_devkit.emulate.android import running_adbd
from sidecar_devkit.emulate.android.profiles import AuthPolicy
from sidecar_devkit.emulate.android.zoo import CORPUS, ZOO, profiles

from .conftest import android_ref
from .results import fields_warned, unexplained_nulls
from .test_devices_e2e import assert_android_read_only

pytestmark = pytest.mark.e2e

ZOO_PROFILES = profiles()


def _expect(kind: str, stem: str) -> dict:
    return json.loads((CORPUS / kind / f"{stem}.expect.json").read_text(encoding="utf-8"))


def test_the_zoo_has_its_ten_phones_across_generations() -> None:
    assert len(ZOO_PROFILES) == len(ZOO) >= 10
    assert len({profile.sdk for profile in ZOO_PROFILES.values()}) >= 6


@pytest.fixture(params=[phone.name for phone in ZOO])
def zoo_phone(request, adb_key: Path):
    phone = next(p for p in ZOO if p.name == request.param)
    trusted = AuthPolicy(trusted_keys=(adb_key.with_suffix(".pub").read_text(),))
    with running_adbd(msgspec.structs.replace(ZOO_PROFILES[phone.name], auth=trusted)) as device:
        yield phone, device


def test_a_zoo_phone_is_inspected_as_its_captures_read(device_sidecar, zoo_phone) -> None:
    phone, device = zoo_phone
    expect = _expect("getprop", phone.getprop)
    basic = device_sidecar.request("inspect/basic", android_ref(device))
    data = basic["data"]
    assert (data["model"], data["manufacturer"], data["os_version"]) == (expect["model"], expect["manufacturer"], expect["os_version"])
    assert data["build"] == expect["build"] and data["model_name"] == expect["marketing_name"]
    assert data["bootloader_locked"] == expect["bootloader_locked"]
    if phone.battery:
        assert data["battery_level"] == _expect("battery", phone.battery)["level"]
    deep = device_sidecar.request("inspect/deep", android_ref(device))
    assert deep["data"]["security_patch"] == expect["security_patch"]
    for command, kind, stem in phone.extra:
        if kind == "users":
            assert deep["data"]["supervision"]["work_profile"] is _expect(kind, stem)["work_profile"]
        if kind == "pm":
            counted = deep["data"]["packages"]["user" if command.endswith("-3") else "system"]
            assert counted == _expect(kind, stem)["packages"]
    assert not any(i.startswith("su binary") for i in deep["data"]["root_indicators"])  # old shells' "not found" is not a path
    for result in (basic, deep):
        assert unexplained_nulls(result, "android") == []
    assert_android_read_only(device)


def test_a_zoo_phone_gives_its_logs_and_crash_files_without_a_refusal(device_sidecar, zoo_phone) -> None:
    _, device = zoo_phone
    log = device_sidecar.request("logs/collect", {**android_ref(device), "max_lines": 50})
    text = Path(log["path"]).read_text()
    assert log["log_count"] > 10 and "Unable to open log device" not in text and "\r" not in text
    crash = device_sidecar.request("logs/collect", {**android_ref(device), "scope": "crash"})
    assert "crash_files" in fields_warned(crash)  # /data/anr is not the shell's to read
    assert_android_read_only(device)
