"""Every iPhone of the iOS zoo (emulated from real captures) through the real sidecar, end to end:
pymobiledevice3 over the emulated usbmux/lockdown wire, then parsing and assembly.

The values are checked against what a technician read in the same captures (the corpus's
``.expect.json``, found through each profile's ``captures``), and against the facts each profile
states about itself below, so the zoo proves the whole path on real output.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from sidecar_devkit.emulate.ios.zoo import IPHONE16PLUS_IOS26, ZOO

from .conftest import ios_ref
from .ios_corpus import ROOT
from .results import unexplained_nulls
from .test_devices_e2e import assert_ios_read_only

pytestmark = pytest.mark.e2e

# What each profile is, beyond its samples (see tools/devkit/sidecar_devkit/emulate/ios/zoo.py): Find My, management.
STATED: dict[str, dict[str, Any]] = {
    "iphone6plus-ios12": {
        "activation_locked": None,
        "mdm_enrolled": False,
        "supervision": {"supervised": False, "mdm_enrolled": False, "organization_name": None, "profile_count": 0},
    },
    "iphone12-ios18-supervised": {
        "activation_locked": None,
        "mdm_enrolled": None,
        "supervision": {"supervised": True, "mdm_enrolled": None, "organization_name": "Example Repair Lab", "profile_count": 1},
    },
    "iphone16plus-ios26": {
        "activation_locked": True,
        "mdm_enrolled": False,
        "supervision": {"supervised": False, "mdm_enrolled": False, "organization_name": None, "profile_count": 0},
    },
}


def test_the_ios_zoo_spans_the_generations_it_was_built_from() -> None:
    versions = {profile.values["ProductVersion"].split(".")[0] for profile in ZOO}
    assert len(ZOO) >= 4 and versions >= {"12", "13", "18", "26"}
    assert any(not profile.paired for profile in ZOO) and set(STATED) == {p.name for p in ZOO if p.paired}


@pytest.mark.parametrize("profile", [p for p in ZOO if p.paired], ids=lambda p: p.name)
def test_a_paired_zoo_iphone_is_inspected_as_its_captures_read(device_sidecar, ios, profile) -> None:
    iphone = ios(profile.name)
    identity, battery, storage = (_expect(profile, part) for part in ("values", "battery", "disk_usage"))
    stated = STATED[profile.name]
    basic = device_sidecar.request("inspect/basic", ios_ref(iphone))
    data = basic["data"]
    assert {key: data[key] for key in identity["identity"]} == identity["identity"]
    assert data["battery_level"] == battery["battery"]["level"]
    assert (data["activation_locked"], data["mdm_enrolled"]) == (stated["activation_locked"], stated["mdm_enrolled"])
    deep = device_sidecar.request("inspect/deep", ios_ref(iphone))["data"]
    health = battery["battery"]["health_percent"]
    assert deep["battery"] == {key: value for key, value in battery["battery"].items() if key != "health_percent"} | {
        "health": None if health is None else f"{health}% of design capacity"
    }
    assert deep["storage"] == storage["storage"]
    assert {key: deep["supervision"][key] for key in stated["supervision"]} == stated["supervision"]
    assert deep["encryption"] == "data protection (always on)"
    assert_ios_read_only(iphone)


@pytest.mark.parametrize("profile", ZOO, ids=lambda p: p.name)
def test_every_null_of_a_zoo_iphone_is_named_in_its_warnings(device_sidecar, ios, profile) -> None:
    iphone = ios(profile.name)
    for method in ("inspect/basic", "inspect/deep"):
        result = device_sidecar.request(method, ios_ref(iphone))
        assert unexplained_nulls(result, "ios") == [], (method, result["warnings"])
    assert_ios_read_only(iphone)


def test_an_unpaired_zoo_iphone_gives_its_public_identity_and_says_why_the_rest_is_missing(device_sidecar, ios) -> None:
    (profile,) = [p for p in ZOO if not p.paired]
    iphone = ios(profile.name)
    result = device_sidecar.request("inspect/basic", ios_ref(iphone))
    expected = _expect(profile, "values")["identity"] | {"serial": None}
    assert {key: result["data"][key] for key in expected} == expected
    not_paired = {w.get("field") for w in result["warnings"] if w["code"] == "not_paired"}
    assert {"serial", "activation_locked", "battery_level", "mdm_enrolled"} <= not_paired
    assert not any(r.request in ("Pair", "StartService", "StartSession") for r in iphone.received)
    assert_ios_read_only(iphone)


def test_a_registry_without_a_power_source_leaves_the_battery_to_lockdown_and_says_so(device_sidecar, ios) -> None:
    iphone = ios(replace(IPHONE16PLUS_IOS26, battery={}))
    result = device_sidecar.request("inspect/deep", ios_ref(iphone))
    battery = result["data"]["battery"]
    assert (battery["level"], battery["charging"]) == (12, False)  # the battery domain still says
    assert battery["health"] is None and battery["cycle_count"] is None
    assert any(w["field"] == "battery" and "power source" in w["message"] for w in result["warnings"])
    asked = [r.argument for r in iphone.received if r.request == "IORegistry"]
    assert asked == ["IOPMPowerSource", "AppleSmartBattery", "AppleARMPMUCharger"]  # by class, then by each name
    assert_ios_read_only(iphone)


def _expect(profile: Any, part: str) -> dict:
    sample = profile.captures[part]
    return json.loads((ROOT / f"{sample.rsplit('.', 1)[0]}.expect.json").read_text(encoding="utf-8"))
