"""The fake iOS device driven by real clients: pymobiledevice3 and libimobiledevice's ideviceinfo.

pymobiledevice3 never gets to write a pair record into the home folder: every
lockdown client here is created with ``autopair=False`` and a tmp
``pairing_records_cache_folder``; the fake's usbmuxd hands out the pair record.
"""

from __future__ import annotations

import asyncio
import os
import plistlib
import shutil
import socket
import subprocess
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sidecar_devkit.emulate.ios import IosHandle, Received, read_record, running_ios
from sidecar_devkit.emulate.ios.wire import UsbmuxDecoder, UsbmuxPacket, encode_usbmux, encode_usbmux_plist

from ..support.ios_read_only import IOS_READ_ONLY

pytest.importorskip("pymobiledevice3")

from pymobiledevice3.exceptions import (
    AfcException,
    LockdownError,
    MissingValueError,
    NotPairedError,
    ProfileError,
    PyMobileDevice3Exception,
    SetProhibitedError,
)
from pymobiledevice3.lockdown import UsbmuxLockdownClient, create_using_usbmux
from pymobiledevice3.services.crash_reports import CrashReportsManager
from pymobiledevice3.services.diagnostics import DiagnosticsService
from pymobiledevice3.services.mobile_config import MobileConfigService
from pymobiledevice3.services.syslog import SyslogService

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def assert_read_only(received: list[Received]) -> None:
    assert received, "the fake recorded nothing"
    assert [r for r in received if r.refused] == []
    assert [r for r in received if r.request not in IOS_READ_ONLY[r.layer]] == []


@pytest.fixture
def ios(request: pytest.FixtureRequest) -> Iterator[IosHandle]:
    with running_ios(getattr(request, "param", "paired")) as handle:
        yield handle


def with_profile(name: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("ios", [name], indirect=True)


async def connect(ios: IosHandle, pair_records: Path) -> UsbmuxLockdownClient:
    return await create_using_usbmux(serial=ios.udid, usbmux_address=ios.usbmux_address, autopair=False, pairing_records_cache_folder=pair_records)


# --- pymobiledevice3: lockdown ----------------------------------------------


def test_paired_device_answers_every_value_in_a_session(ios: IosHandle, tmp_path: Path) -> None:
    async def scenario() -> dict[str, Any]:
        lockdown = await connect(ios, tmp_path)
        try:
            assert lockdown.paired
            return {
                "all": await lockdown.get_value(),
                "serial": await lockdown.get_value(key="SerialNumber"),
                "activation": await lockdown.get_value(key="ActivationState"),
                "fmip": await lockdown.get_value("com.apple.fmip", "IsAssociated"),
                "chaperone": await lockdown.get_value("com.apple.mobile.chaperone"),
                "disk": await lockdown.get_value("com.apple.disk_usage"),
                "battery": await lockdown.get_value("com.apple.mobile.battery"),
                "buddy": await lockdown.get_value("com.apple.PurpleBuddy", "SetupDone"),
            }
        finally:
            await lockdown.close()

    got = run(scenario())
    assert got["all"]["ProductType"] == "iPhone14,5"
    assert got["all"]["UniqueDeviceID"] == ios.udid
    assert {"ProductVersion", "BuildVersion", "DeviceName", "HardwareModel", "DeviceClass"} <= got["all"].keys()
    assert got["serial"] == "F2LXK0Q1N6Y7"
    assert got["activation"] == "Activated"
    assert got["fmip"] is False
    assert got["chaperone"] == {"DeviceIsChaperoned": False}
    assert got["disk"]["TotalDiskCapacity"] > got["disk"]["TotalDataAvailable"] > 0
    assert set(got["battery"]) >= {"BatteryCurrentCapacity", "BatteryIsCharging"}
    assert got["buddy"] is True
    assert list(tmp_path.iterdir()) == []  # no pair record written
    assert_read_only(ios.received)
    assert any(r.layer == "lockdown" and r.request == "StartSession" for r in ios.received)


def test_paired_device_services_read_through_pymobiledevice3(ios: IosHandle, tmp_path: Path) -> None:
    out = tmp_path / "crashes"
    out.mkdir()

    async def scenario() -> dict[str, Any]:
        lockdown = await connect(ios, tmp_path / "pair")
        try:
            async with DiagnosticsService(lockdown) as diagnostics:
                battery = await diagnostics.ioregistry(ioclass="IOPMPowerSource")
            async with MobileConfigService(lockdown) as mc:
                cloud, profiles = await mc.get_cloud_configuration(), await mc.get_profile_list()
            async with SyslogService(lockdown) as syslog:
                lines = [line async for line in _first(syslog.watch(), 3)]
            async with CrashReportsManager(lockdown) as crashes:
                listing = await crashes.ls("/", depth=-1)
                await crashes.pull(str(out), "/", erase=False, progress_bar=False)
            mover = await lockdown.start_lockdown_service("com.apple.crashreportmover")
            try:
                ack = await mover.recvall(5)
            finally:
                await mover.close()
            return {"battery": battery, "cloud": cloud, "profiles": profiles, "lines": lines, "listing": listing, "ack": ack}
        finally:
            await lockdown.close()

    got = run(scenario())
    assert {"CycleCount", "DesignCapacity", "AppleRawMaxCapacity", "Temperature", "Voltage", "IsCharging", "CurrentCapacity"} <= got["battery"].keys()
    assert got["cloud"] == {}
    assert got["profiles"]["ProfileMetadata"] == {}
    assert got["lines"] == list(ios.profile.syslog[:3])
    assert sorted(got["listing"]) == sorted([*(f.path for f in ios.profile.crash_reports), "/Retired"])
    for crash in ios.profile.crash_reports:
        assert (out / crash.path.lstrip("/")).read_bytes() == crash.content
    assert got["ack"] == b"ping\x00"
    assert_read_only(ios.received)


async def _first(lines: Any, count: int) -> Any:
    async for line in lines:
        yield line
        count -= 1
        if count == 0:
            return


@with_profile("supervised_mdm")
def test_supervised_mdm_device_reports_its_organisation(ios: IosHandle, tmp_path: Path) -> None:
    async def scenario() -> tuple[Any, ...]:
        lockdown = await connect(ios, tmp_path)
        try:
            async with MobileConfigService(lockdown) as mc:
                cloud, profiles = await mc.get_cloud_configuration(), await mc.get_profile_list()
            return cloud, profiles, await lockdown.get_value("com.apple.mobile.chaperone", "DeviceIsChaperoned")
        finally:
            await lockdown.close()

    cloud, profiles, chaperoned = run(scenario())
    assert cloud["IsSupervised"] is True
    assert cloud["OrganizationName"] == "Example Corp"
    assert cloud["IsMDMUnremovable"] is True
    assert cloud["ConfigurationURL"].startswith("https://")
    assert profiles["OrderedIdentifiers"] == ["com.example.mdm.enrollment"]
    assert profiles["ProfileMetadata"]["com.example.mdm.enrollment"]["PayloadOrganization"] == "Example Corp"
    assert chaperoned is True
    assert_read_only(ios.received)


@with_profile("activation_locked")
def test_activation_locked_device_has_find_my_on(ios: IosHandle, tmp_path: Path) -> None:
    async def scenario() -> tuple[Any, Any]:
        lockdown = await connect(ios, tmp_path)
        try:
            return await lockdown.get_value("com.apple.fmip", "IsAssociated"), await lockdown.get_value(key="ActivationState")
        finally:
            await lockdown.close()

    assert run(scenario()) == (True, "Activated")
    assert_read_only(ios.received)


@with_profile("unpaired")
def test_unpaired_device_answers_only_public_values(ios: IosHandle, tmp_path: Path) -> None:
    async def scenario() -> tuple[bool, dict[str, Any], Any]:
        lockdown = await connect(ios, tmp_path)
        try:
            with pytest.raises(MissingValueError):
                await lockdown.get_value(key="SerialNumber")
            with pytest.raises(MissingValueError):
                await lockdown.get_value("com.apple.fmip")
            with pytest.raises(NotPairedError):
                await DiagnosticsService(lockdown).connect()
            itunes = await lockdown.get_value("com.apple.mobile.iTunes")
            return lockdown.paired, await lockdown.get_value(), itunes
        finally:
            await lockdown.close()

    paired, values, itunes = run(scenario())
    assert paired is False
    assert values["ProductType"] == "iPhone14,5"
    assert values["UniqueDeviceID"] == ios.udid
    assert {"SerialNumber", "ActivationState", "PasswordProtected"}.isdisjoint(values)
    assert itunes == {"FamilyID": 10024, "MinITunesVersion": "12.12.4", "MinMacOSVersion": "10.15.0", "iTunesSetupComplete": True}
    assert_read_only(ios.received)
    assert not any(r.request == "StartService" for r in ios.received)


def test_a_foreign_host_id_gets_no_session(ios: IosHandle, tmp_path: Path) -> None:
    record = dict(ios.pair_record or {}, HostID="00000000-0000-0000-0000-000000000000")

    async def scenario() -> bool:
        lockdown = await create_using_usbmux(
            serial=ios.udid,
            usbmux_address=ios.usbmux_address,
            autopair=False,
            pair_record=record,
            pairing_records_cache_folder=tmp_path,
        )
        await lockdown.close()
        return lockdown.paired

    assert run(scenario()) is False
    assert [r.request for r in ios.received if r.layer == "lockdown"][-1] == "StartSession"


# --- writes are refused and recorded ------------------------------------------


def test_writes_are_refused_and_recorded(ios: IosHandle, tmp_path: Path) -> None:
    async def scenario() -> None:
        lockdown = await connect(ios, tmp_path)
        try:
            with pytest.raises(SetProhibitedError):
                await lockdown.set_value("Renamed", key="DeviceName")
            with pytest.raises(LockdownError):
                await lockdown.remove_value("com.apple.mobile.wireless_lockdown", "EnableWifiDebugging")
            with pytest.raises(LockdownError):
                await lockdown.enter_recovery()
            async with MobileConfigService(lockdown) as mc:
                with pytest.raises(ProfileError):
                    await mc.install_profile(b"<plist/>")
                with pytest.raises(ProfileError):
                    await mc.erase_device(preserve_data_plan=False, disallow_proximity_setup=False)
            async with DiagnosticsService(lockdown) as diagnostics:
                with pytest.raises(PyMobileDevice3Exception):
                    await diagnostics.restart()
            async with CrashReportsManager(lockdown) as crashes:
                with pytest.raises(AfcException):
                    await crashes.clear()
        finally:
            await lockdown.close()

    run(scenario())
    refused = [(r.layer, r.service, r.request) for r in ios.received if r.refused]
    assert refused[:6] == [
        ("lockdown", None, "SetValue"),
        ("lockdown", None, "RemoveValue"),
        ("lockdown", None, "EnterRecovery"),
        ("service", "com.apple.mobile.MCInstall", "InstallProfile"),
        ("service", "com.apple.mobile.MCInstall", "EraseDevice"),
        ("service", "com.apple.mobile.diagnostics_relay", "Restart"),
    ]
    assert {request for layer, _, request in refused[6:]} == {"REMOVE_PATH"}
    # Every crash report is still there for the next reader.
    assert not any(r.request == "FILE_OPEN" and r.refused for r in ios.received)


def test_pairing_is_refused_and_recorded(tmp_path: Path) -> None:
    with running_ios("unpaired") as ios:

        async def scenario() -> None:
            lockdown = await connect(ios, tmp_path)
            try:
                with pytest.raises(LockdownError, match="PairingProhibited"):
                    await lockdown.pair(timeout=0)
            finally:
                await lockdown.close()

        run(scenario())
        assert [r.request for r in ios.received if r.refused] == ["Pair"]
    assert list(tmp_path.iterdir()) == []


def test_record_file_matches_memory(tmp_path: Path) -> None:
    path = tmp_path / "record.jsonl"
    with running_ios("paired", record_path=path) as ios:
        run(_get_product_type(ios, tmp_path / "pair"))
        received = ios.received
    assert read_record(path) == received
    assert any(r.layer == "lockdown" and r.request == "GetValue" for r in received)


async def _get_product_type(ios: IosHandle, pair_records: Path) -> Any:
    lockdown = await connect(ios, pair_records)
    try:
        return await lockdown.get_value(key="ProductType")
    finally:
        await lockdown.close()


# --- usbmuxd details pymobiledevice3 does not exercise -----------------------


def _usbmux_exchange(ios: IosHandle, packet: bytes, replies: int = 1) -> UsbmuxPacket:
    """Send one packet, return the last of ``replies`` packets received."""
    host, port = ios.usbmux_address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(packet)
        decoder = UsbmuxDecoder()
        for _ in range(replies):
            while (reply := decoder.next_packet()) is None:
                data = sock.recv(65536)
                assert data, "usbmuxd closed without answering"
                decoder.feed(data)
        return reply


def _connect_request(device_id: int, port: int) -> dict[str, Any]:
    return {"MessageType": "Connect", "DeviceID": device_id, "PortNumber": socket.htons(port)}


@pytest.mark.parametrize(
    ("request_", "number"),
    [
        (_connect_request(1, 49999), 3),  # no service listens there
        (_connect_request(7, 62078), 2),  # no such device
        ({"MessageType": "SavePairRecord", "PairRecordID": "x", "PairRecordData": b""}, 1),
    ],
)
def test_usbmuxd_error_results_echo_the_tag(ios: IosHandle, request_: dict[str, Any], number: int) -> None:
    reply = _usbmux_exchange(ios, encode_usbmux_plist(41, request_))
    assert reply.tag == 41
    assert reply.plist() == {"MessageType": "Result", "Number": number}


def test_usbmuxd_lists_the_device_as_usb(ios: IosHandle) -> None:
    reply = _usbmux_exchange(ios, encode_usbmux_plist(2, {"MessageType": "ListDevices"}))
    (device,) = reply.plist()["DeviceList"]
    assert device["MessageType"] == "Attached"
    assert device["Properties"]["SerialNumber"] == ios.udid
    assert device["Properties"]["ConnectionType"] == "USB"


def test_usbmuxd_listen_announces_the_device_with_tag_zero(ios: IosHandle) -> None:
    event = _usbmux_exchange(ios, encode_usbmux_plist(3, {"MessageType": "Listen"}), replies=2)
    assert event.tag == 0
    assert event.plist()["MessageType"] == "Attached"
    assert event.plist()["Properties"]["SerialNumber"] == ios.udid


@with_profile("unpaired")
def test_usbmuxd_has_no_pair_record_for_an_unpaired_device(ios: IosHandle) -> None:
    request = {"MessageType": "ReadPairRecord", "PairRecordID": ios.udid}
    assert "PairRecordData" not in _usbmux_exchange(ios, encode_usbmux_plist(5, request)).plist()


def test_usbmuxd_pair_record_names_the_host_the_device_trusts(ios: IosHandle) -> None:
    request = {"MessageType": "ReadPairRecord", "PairRecordID": ios.udid}
    record = plistlib.loads(_usbmux_exchange(ios, encode_usbmux_plist(5, request)).plist()["PairRecordData"])
    assert record == ios.pair_record


def test_usbmuxd_refuses_the_binary_protocol(ios: IosHandle) -> None:
    reply = _usbmux_exchange(ios, encode_usbmux(UsbmuxPacket(0, 3, 9, b"")))
    assert reply.plist()["Number"] == 1
    assert ios.received[-1].refused


# --- libimobiledevice's ideviceinfo --------------------------------------------

ideviceinfo = shutil.which("ideviceinfo")
needs_ideviceinfo = pytest.mark.skipif(ideviceinfo is None, reason="libimobiledevice-utils not installed")


def _ideviceinfo(ios: IosHandle, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    # HOME points away from the user's: libimobiledevice keeps its config there.
    env = dict(os.environ, USBMUXD_SOCKET_ADDRESS=ios.usbmux_address, HOME=str(home))
    return subprocess.run([str(ideviceinfo), *args], env=env, capture_output=True, text=True, timeout=30, check=False)


@needs_ideviceinfo
def test_ideviceinfo_simple_mode_reads_without_a_session(ios: IosHandle, tmp_path: Path) -> None:
    result = _ideviceinfo(ios, "-s", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ProductType: iPhone14,5" in result.stdout.splitlines()
    assert f"UniqueDeviceID: {ios.udid}" in result.stdout.splitlines()
    assert not any(line.startswith("SerialNumber:") for line in result.stdout.splitlines())
    assert_read_only(ios.received)
    assert not any(r.request in ("ReadPairRecord", "StartSession") for r in ios.received)


@needs_ideviceinfo
def test_ideviceinfo_key_query_uses_the_usbmuxd_pair_record(ios: IosHandle, tmp_path: Path) -> None:
    result = _ideviceinfo(ios, "-u", ios.udid, "-k", "SerialNumber", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "F2LXK0Q1N6Y7"
    disk = _ideviceinfo(ios, "-u", ios.udid, "-q", "com.apple.disk_usage", "-k", "TotalDiskCapacity", home=tmp_path)
    assert disk.stdout.strip() == "128000000000"
    assert_read_only(ios.received)
    assert [r.request for r in ios.received if r.layer == "lockdown"].count("StartSession") == 2


@needs_ideviceinfo
@with_profile("unpaired")
def test_ideviceinfo_on_an_unpaired_device_tries_to_pair_and_is_refused(ios: IosHandle, tmp_path: Path) -> None:
    result = _ideviceinfo(ios, "-u", ios.udid, "-k", "ProductVersion", home=tmp_path)
    assert result.returncode != 0
    assert [(r.layer, r.request) for r in ios.received if r.refused] == [("lockdown", "Pair")]
