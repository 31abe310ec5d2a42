"""iOS parsing on output captured from real iPhones (tests/corpus/ios, sources in
tests/corpus/SOURCES.md), checked against expectations written from the raw data as a technician
reads it (the ``.expect.json`` beside each sample), never from the parsers' output."""

from __future__ import annotations

from typing import Any

import pytest

from sidecar.devices.findings import Findings, null_fields
from sidecar.devices.ios import parse
from sidecar.devices.ios.assemble import Readings, basic_info, deep_signals

from .ios_corpus import Sample, samples


def _ids(kind: str) -> dict[str, Any]:
    found = samples(kind)
    return {"argvalues": found, "ids": [s.id for s in found]}


def assert_every_null_is_explained(findings: Findings, result: object, prefix: str = "") -> None:
    unexplained = [f for f in null_fields(result, prefix) if not findings.explained(f)]  # type: ignore[arg-type]
    assert unexplained == [], f"null without a warning naming it: {unexplained}"


@pytest.mark.parametrize("sample", **_ids("ioregistry"))
def test_battery_is_read_as_a_technician_reads_the_registry(sample: Sample) -> None:
    findings = Findings("ios")
    battery = parse.battery(sample.data(), {}, findings)
    expect = sample.expect["battery"]
    health = None if expect["health_percent"] is None else f"{expect['health_percent']}% of design capacity"
    assert battery.level == expect["level"]
    assert battery.health == health
    assert battery.temperature_c == expect["temperature_c"]
    assert battery.voltage_mv == expect["voltage_mv"]
    assert battery.cycle_count == expect["cycle_count"]
    assert battery.charging is expect["charging"]
    assert_every_null_is_explained(findings, battery, "battery.")


def test_absent_temperature_is_null_with_a_warning_naming_it() -> None:
    (sample,) = [s for s in samples("ioregistry") if "ipanicx" in s.id]
    findings = Findings("ios")
    assert parse.battery(sample.data(), {}, findings).temperature_c is None
    assert "battery.temperature_c" in {w.field for w in findings.warnings}


@pytest.mark.parametrize("sample", **_ids("lockdown"))
def test_identity_and_marketing_name_from_lockdown_values(sample: Sample) -> None:
    findings = Findings("ios")
    info = basic_info(Readings(paired=True, values=sample.data()), findings)
    got = {key: getattr(info, key) for key in sample.expect["identity"]}
    assert got == sample.expect["identity"]


@pytest.mark.parametrize("sample", **_ids("disk_usage"))
def test_free_space_is_what_settings_shows_and_purgeable_is_apart(sample: Sample) -> None:
    findings = Findings("ios")
    storage = parse.storage(sample.data(), findings)
    assert {"total_bytes": storage.total_bytes, "free_bytes": storage.free_bytes, "purgeable_bytes": storage.purgeable_bytes} == sample.expect["storage"]
    assert_every_null_is_explained(findings, storage, "storage.")


@pytest.mark.parametrize("sample", **_ids("battery_domain"))
def test_battery_domain_gives_level_and_charging(sample: Sample) -> None:
    findings = Findings("ios")
    domain = sample.data()
    assert parse.battery_level(domain, None) == sample.expect["battery_level"]
    assert parse.battery({}, domain, findings).charging is sample.expect["charging"]


@pytest.mark.parametrize("sample", **_ids("mobileconfig"))
def test_profile_list_counts_profiles_and_does_not_guess_mdm(sample: Sample) -> None:
    findings = Findings("ios")
    readings = Readings(paired=True, cloud={}, profiles=sample.data())
    supervision = deep_signals(readings, findings).supervision
    assert supervision.profile_count == sample.expect["profile_count"]
    assert supervision.mdm_enrolled == sample.expect["mdm_enrolled"]
    assert supervision.supervised is False
    assert findings.explained("supervision.mdm_enrolled")


@pytest.mark.parametrize("sample", **_ids("cloud_configuration"))
def test_supervision_is_read_from_a_real_cloud_configuration_answer(sample: Sample) -> None:
    # pymobiledevice3 hands over the answer's CloudConfiguration (None when there is none, which
    # the inspection takes as "none set"); the rest of the answer is the service's envelope.
    cloud = sample.data().get("CloudConfiguration") or {}
    findings = Findings("ios")
    supervision = deep_signals(Readings(paired=True, cloud=cloud, profiles=None), findings).supervision
    expect = sample.expect["cloud_configuration"]
    assert bool(cloud) is expect["present"]
    assert supervision.supervised is expect["supervised"]
    assert supervision.organization_name == expect["organization_name"]
    assert_every_null_is_explained(findings, supervision, "supervision.")
