"""The zoo of emulated iPhones is the real captures: each profile serves its samples unchanged,
through the real wire, to the real client (pymobiledevice3)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sidecar_devkit.emulate.ios import captures, running_ios
from sidecar_devkit.emulate.ios.profiles import PROFILES, describe
from sidecar_devkit.emulate.ios.zoo import ZOO
from tests.devices.ios_corpus import ROOT, read

pytest.importorskip("pymobiledevice3")

from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.services.diagnostics import DiagnosticsService

# What a profile may change in a capture, and why: a device id must be a real one.
SUBSTITUTED = {("iphone16plus-ios26", "UniqueDeviceID")}


@pytest.mark.parametrize("name", sorted(captures.SAMPLES))
def test_each_capture_is_its_corpus_sample_unchanged(name: str) -> None:
    assert getattr(captures, name) == read(ROOT / captures.SAMPLES[name])


def test_every_profile_has_a_one_line_description() -> None:
    lines = describe()
    assert set(lines) == set(PROFILES)
    assert all(line and "\n" not in line for line in lines.values())


@pytest.mark.parametrize("profile", ZOO, ids=lambda p: p.name)
def test_zoo_profiles_name_the_samples_they_serve(profile: Any) -> None:
    assert profile.captures["values"]
    for part, sample in profile.captures.items():
        assert (ROOT / sample).is_file(), (part, sample)
    values = read(ROOT / profile.captures["values"])
    changed = {key for key in values if profile.values[key] != values[key]}
    assert {(profile.name, key) for key in changed} <= SUBSTITUTED
    assert profile.values.keys() == values.keys()
    if "battery" in profile.captures:
        assert profile.battery == read(ROOT / profile.captures["battery"])
    if "disk_usage" in profile.captures:
        assert profile.domains["com.apple.disk_usage"] == read(ROOT / profile.captures["disk_usage"])


@pytest.mark.parametrize("profile", [p for p in ZOO if p.paired], ids=lambda p: p.name)
def test_pymobiledevice3_reads_the_captured_values_and_registry(profile: Any, tmp_path: Path) -> None:
    with running_ios(profile.name) as ios:

        async def scenario() -> tuple[dict, dict | None, dict | None]:
            lockdown = await create_using_usbmux(serial=ios.udid, usbmux_address=ios.usbmux_address, autopair=False, pairing_records_cache_folder=tmp_path)
            try:
                async with DiagnosticsService(lockdown) as diagnostics:
                    by_class = await diagnostics.ioregistry(ioclass="IOPMPowerSource")
                    by_name = await diagnostics.ioregistry(name=profile.power_source)
                return await lockdown.get_value(), by_class, by_name
            finally:
                await lockdown.close()

        values, by_class, by_name = asyncio.run(scenario())
    assert values == profile.values
    assert by_name == profile.battery
    assert by_class == (profile.battery if profile.power_source_by_class else {})


def test_an_ios12_power_source_answers_by_entry_name_only(tmp_path: Path) -> None:
    with running_ios("iphone6plus-ios12") as ios:

        async def scenario() -> list[Any]:
            lockdown = await create_using_usbmux(serial=ios.udid, usbmux_address=ios.usbmux_address, autopair=False, pairing_records_cache_folder=tmp_path)
            try:
                async with DiagnosticsService(lockdown) as diagnostics:
                    return [
                        await diagnostics.ioregistry(ioclass="IOPMPowerSource"),
                        await diagnostics.ioregistry(name="AppleSmartBattery"),
                        await diagnostics.ioregistry(name="AppleARMPMUCharger"),
                    ]
            finally:
                await lockdown.close()

        answers = asyncio.run(scenario())
    assert [bool(a) for a in answers] == [False, False, True]
    assert answers[2]["CurrentCapacity"] == 2600  # mAh, as the capture has it
