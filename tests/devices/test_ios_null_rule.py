"""The null-needs-a-warning rule on iOS, by construction: whatever keys a real capture loses,
every null field of the assembled result is either not applicable to iOS or named (itself or a
parent) in the warnings, before ``Findings.seal`` has to step in, and nothing raises."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.devices.findings import NOT_APPLICABLE, Findings, null_fields
from sidecar.devices.ios.assemble import Readings, basic_info, deep_signals

from .ios_corpus import samples

LOCKDOWN = [s.data() for s in samples("lockdown")]
POWER = [s.data() for s in samples("ioregistry")]
DISK = [s.data() for s in samples("disk_usage")]
DOMAIN = [s.data() for s in samples("battery_domain")]
PROFILES = [s.data() for s in samples("mobileconfig")]


@st.composite
def thinned(draw: st.DrawFn, captures: list[dict[str, Any]]) -> dict[str, Any]:
    """One capture with a random set of its keys removed (the nested BatteryData's too)."""
    capture = draw(st.sampled_from(captures))
    drop = draw(st.sets(st.sampled_from(sorted(capture)))) if capture else set()
    kept = {k: v for k, v in capture.items() if k not in drop}
    nested = kept.get("BatteryData")
    if isinstance(nested, dict) and nested:
        gone = draw(st.sets(st.sampled_from(sorted(nested))))
        kept["BatteryData"] = {k: v for k, v in nested.items() if k not in gone}
    return kept


readings = st.builds(
    Readings,
    paired=st.booleans(),
    values=thinned(LOCKDOWN),
    find_my=st.sampled_from([None, True, False]),
    battery_domain=thinned(DOMAIN) | st.just({}),
    power=thinned(POWER) | st.just({}),
    disk=thinned(DISK) | st.just({}),
    developer_mode=st.sampled_from([None, True, False]),
    cloud=st.sampled_from([None, {}, {"IsSupervised": True, "OrganizationName": "Example"}]),
    profiles=thinned(PROFILES) | st.none() | st.just({}),
)


def unexplained(findings: Findings, result: Any) -> list[str]:
    """Null fields neither in NOT_APPLICABLE["ios"] nor named, or under a named parent, in the warnings."""
    assert all(findings.explained(f) for f in NOT_APPLICABLE["ios"])
    return [f for f in null_fields(result) if not findings.explained(f)]


@settings(max_examples=300)
@given(readings)
def test_every_null_basic_field_is_not_applicable_or_warned(got: Readings) -> None:
    findings = Findings("ios")
    info = basic_info(got, findings)
    assert unexplained(findings, info) == []


@settings(max_examples=300)
@given(readings)
def test_every_null_deep_field_is_not_applicable_or_warned(got: Readings) -> None:
    findings = Findings("ios")
    signals = deep_signals(got, findings)
    assert unexplained(findings, signals) == []


# Values of any plist type under the keys the parsers read: a device answering nonsense gives nulls
# with reasons, never an exception.
_KEYS = [
    "CurrentCapacity",
    "MaxCapacity",
    "DesignCapacity",
    "NominalChargeCapacity",
    "AppleRawMaxCapacity",
    "Temperature",
    "Voltage",
    "AppleRawBatteryVoltage",
    "CycleCount",
    "IsCharging",
    "BatteryData",
    "BatteryCurrentCapacity",
    "BatteryIsCharging",
    "TotalDiskCapacity",
    "AmountDataAvailable",
    "TotalDataAvailable",
    "AmountDataReserved",
    "ProductType",
    "ProductVersion",
    "BuildVersion",
    "SerialNumber",
    "OrderedIdentifiers",
    "IsSupervised",
    "OrganizationName",
    "ConfigurationURL",
]
_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=True) | st.text(max_size=8) | st.binary(max_size=4)
_PLIST = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4), max_leaves=6)
_ANSWER = st.dictionaries(st.sampled_from(_KEYS), _PLIST, max_size=12)


@settings(max_examples=300)
@given(
    st.builds(
        Readings,
        paired=st.booleans(),
        values=_ANSWER,
        find_my=_SCALARS,
        battery_domain=_ANSWER,
        power=_ANSWER,
        disk=_ANSWER,
        developer_mode=_SCALARS,
        cloud=_ANSWER | st.none(),
        profiles=_ANSWER | st.none(),
    )
)
def test_answers_of_any_shape_give_explained_nulls_and_never_raise(got: Readings) -> None:
    findings = Findings("ios")
    assert unexplained(findings, basic_info(got, findings)) == []
    assert unexplained(findings, deep_signals(got, findings)) == []


def test_non_finite_readings_are_no_readings() -> None:
    findings = Findings("ios")
    signals = deep_signals(
        Readings(paired=True, power={"CurrentCapacity": float("nan"), "MaxCapacity": 100, "Temperature": float("inf"), "Voltage": float("-inf")}), findings
    )
    battery = signals.battery
    assert (battery.level, battery.temperature_c, battery.voltage_mv) == (None, None, None)
    assert unexplained(findings, signals) == []
