"""devices/watch without an adb server: iOS through usbmuxd's Listen (the emulated usbmuxd, whose
device is plugged out and in), and an Android TCP endpoint that appears and goes away."""

from __future__ import annotations

import msgspec
import pytest

from sidecar_devkit.emulate.android import PROFILES, running_adbd
from sidecar_devkit.emulate.android.profiles import AuthPolicy

from .test_adb_server_e2e import wait_for, watch_reports

pytestmark = pytest.mark.e2e


def cancel(sidecar, request_id: str) -> dict:
    sidecar.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": request_id}})
    reply = sidecar.read_message(timeout=10)
    while "id" not in reply:
        reply = sidecar.read_message(timeout=10)
    return reply


def test_watch_follows_an_iphone_plugged_out_and_in(device_sidecar, ios) -> None:
    iphone = ios("paired")
    device_sidecar.send({"jsonrpc": "2.0", "id": "w", "method": "devices/watch", "params": {"usbmux_address": iphone.usbmux_address, "progress_token": "t"}})
    reports = watch_reports(device_sidecar, "t")
    first = {d["device_id"]: d for d in next(reports)}
    assert first[iphone.udid]["state"] == "ready" and first[iphone.udid]["hints"]["usbmux_address"] == iphone.usbmux_address
    iphone.unplug()
    wait_for(reports, lambda d: iphone.udid not in d)
    iphone.plug_in()
    back = wait_for(reports, lambda d: iphone.udid in d)
    assert back[iphone.udid]["model"] == "iPhone14,5"
    assert cancel(device_sidecar, "w")["error"]["code"] == -32800
    assert {r.request for r in iphone.received if r.layer == "usbmux"} <= {"ListDevices", "Listen", "ReadBUID", "ReadPairRecord", "Connect"}


def test_watch_without_usbmuxd_warns_once_and_keeps_going(device_sidecar) -> None:
    device_sidecar.send({"jsonrpc": "2.0", "id": "w", "method": "devices/watch", "params": {"usbmux_address": "127.0.0.1:1", "progress_token": "t"}})
    reports = watch_reports(device_sidecar, "t")
    first = next(reports)
    assert first == []
    assert device_sidecar.request("health")["status"] == "ok"
    assert cancel(device_sidecar, "w")["error"]["code"] == -32800


def test_watch_sees_an_android_tcp_endpoint_go_away(device_sidecar, adb_key) -> None:
    profile = msgspec.structs.replace(PROFILES["pixel"], auth=AuthPolicy(trusted_keys=(adb_key.with_suffix(".pub").read_text(),)))
    with running_adbd(profile) as phone:
        params = {"android_tcp": [phone.serial], "usbmux_address": "127.0.0.1:1", "progress_token": "t"}
        device_sidecar.send({"jsonrpc": "2.0", "id": "w", "method": "devices/watch", "params": params})
        reports = watch_reports(device_sidecar, "t")
        assert {d["device_id"]: d["state"] for d in next(reports)} == {phone.serial: "ready"}
    gone = wait_for(reports, lambda d: d[phone.serial]["state"] == "offline", timeout=30)
    assert gone[phone.serial]["model"] is None
    assert cancel(device_sidecar, "w")["error"]["code"] == -32800
