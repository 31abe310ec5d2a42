"""Device methods end to end: the real sidecar over stdio, against emulated phones speaking the
real ADB and usbmux/lockdown wire protocols on loopback. The fakes record every request; the
read-only promise is checked against allowlists written here, independently of the code."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from sidecar_devkit.client import SidecarError
from sidecar_devkit.emulate.android import PROFILES as ANDROID_PROFILES
from sidecar_devkit.emulate.android.profiles import Disconnect, Hang

from ..support.ios_read_only import IOS_READ_ONLY
from .conftest import android_ref, ios_ref
from .results import fields_warned

pytestmark = pytest.mark.e2e

# Every service string an Android device may receive from the sidecar.
ANDROID_ALLOWED = [
    r"shell:getprop( ro\.build\.version\.sdk)?",
    r"shell:settings get (global|secure|system) [a-z][a-z0-9_.]*",
    r"shell:dumpsys battery",
    r"shell:df -k /data",
    r"shell:pm list packages( --user 0)? -[s3]",
    r"shell:getenforce",
    r"shell:cat /proc/uptime",
    r"shell:cat /sys/class/power_supply/battery/cycle_count",
    r"shell:which su",
    r"shell:ls (/data/anr|/data/tombstones|/system/xbin/su|/system/bin/su|/sbin/su)",
    r"shell:cat /data/(anr|tombstones)/[A-Za-z0-9][A-Za-z0-9_.-]*",
    r"shell:logcat -v threadtime( -b (main|system|crash|events))+( -d)?( -t \d+)?( -T '[0-9: .-]+')?",
    r"shell:cmd device_policy list-owners",
    r"shell:dumpsys device_policy",
    r"shell:pm list users",
]


def android_profile(name: str):
    return ANDROID_PROFILES[name]


def assert_android_read_only(device) -> None:
    assert device.received, "the fake saw nothing"
    outside = [s for s in device.received if not any(re.fullmatch(p, s) for p in ANDROID_ALLOWED)]
    assert outside == [], f"commands outside the allowlist reached the device: {outside}"


def assert_ios_read_only(device) -> None:
    assert device.received, "the fake saw nothing"
    assert [r for r in device.received if r.refused or r.request not in IOS_READ_ONLY[r.layer]] == []


# ---- devices/list


def test_list_shows_android_tcp_endpoints_and_usbmux_devices(device_sidecar, android, ios) -> None:
    phone, iphone = android(), ios("paired")
    result = device_sidecar.request("devices/list", {"android_tcp": [phone.serial], "usbmux_address": iphone.usbmux_address})
    by_id = {d["device_id"]: d for d in result["devices"]}
    assert by_id[phone.serial] == {
        "device_id": phone.serial,
        "platform": "android",
        "connection": "tcp",
        "model": "Pixel 7",
        "os_version": "14",
        "state": "ready",
        "hints": {"connection": "tcp", "address": phone.serial, "usbmux_address": None, "adb_server": None},
        "state_detail": None,
    }
    assert by_id[iphone.udid]["hints"] == {"connection": "usb", "address": None, "usbmux_address": iphone.usbmux_address, "adb_server": None}
    assert by_id[iphone.udid]["platform"] == "ios" and by_id[iphone.udid]["state"] == "ready"
    assert_android_read_only(phone)
    assert_ios_read_only(iphone)


def test_list_reports_unreachable_backends_as_warnings_not_failures(device_sidecar, android) -> None:
    phone = android(trusted=False)
    result = device_sidecar.request("devices/list", {"android_tcp": [phone.serial, "127.0.0.1:1"], "usbmux_address": "127.0.0.1:1"})
    states = {d["device_id"]: d["state"] for d in result["devices"]}
    assert states == {phone.serial: "unauthorized", "127.0.0.1:1": "offline"}
    assert any(w["code"] == "backend_unavailable" and "usbmuxd" in w["message"] for w in result["warnings"])


# ---- Android inspection


def test_android_basic_reports_identity_lock_state_and_battery(device_sidecar, android) -> None:
    phone = android("pixel")
    result = device_sidecar.request("inspect/basic", android_ref(phone))
    data = result["data"]
    assert (data["model"], data["manufacturer"], data["os_version"]) == ("Pixel 7", "Google", "14")
    assert data["frp_locked"] is False and data["bootloader_locked"] is True and data["verified_boot_state"] == "green"
    assert data["battery_level"] == 87 and data["efi_locked"] is None and data["serial"]
    assert data["mdm_enrolled"] is False  # `cmd device_policy list-owners` said "no owners"
    assert data["model_name"] is None and "model_name" in fields_warned(result)  # null, and said why
    assert_android_read_only(phone)


def test_android_frp_and_unlocked_bootloader_variants(device_sidecar, android) -> None:
    frp = device_sidecar.request("inspect/basic", android_ref(android("frp")))["data"]
    unlocked = device_sidecar.request("inspect/basic", android_ref(android("bootloader-unlocked")))["data"]
    assert frp["frp_locked"] is True
    assert unlocked["bootloader_locked"] is False and unlocked["verified_boot_state"] == "orange"


def test_android_deep_reports_every_signal(device_sidecar, android) -> None:
    phone = android("pixel")
    data = device_sidecar.request("inspect/deep", android_ref(phone))["data"]
    assert data["battery"]["level"] == 87 and data["battery"]["temperature_c"] > 0 and data["battery"]["voltage_mv"] > 3000
    assert data["storage"]["total_bytes"] > data["storage"]["free_bytes"] > 0
    assert data["security_patch"] and data["encryption"].startswith("encrypted") and data["selinux"] == "Enforcing"
    assert isinstance(data["developer_options"], bool) and isinstance(data["adb_over_network"], bool)
    assert data["uptime_s"] > 0 and data["packages"]["user"] > 0 and data["packages"]["system"] > 0
    assert data["root_indicators"] == []
    assert_android_read_only(phone)


@pytest.mark.parametrize("sdk", ["34", "29"])  # Android 12 on lists owners with `cmd`; older ones in the dump
def test_android_company_managed_phone_is_reported_with_its_owners_and_work_profile(device_sidecar, android, sdk) -> None:
    phone = android(
        "pixel",
        props={**android_profile("pixel").props, "ro.build.version.sdk": sdk},
        device_owner="com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
        work_profile_owner="com.afwsamples.testdpc/.DeviceAdminReceiver",
    )
    basic = device_sidecar.request("inspect/basic", android_ref(phone))["data"]
    supervision = device_sidecar.request("inspect/deep", android_ref(phone))["data"]["supervision"]
    assert basic["mdm_enrolled"] is True and supervision["mdm_enrolled"] is True and supervision["supervised"] is True
    assert supervision["work_profile"] is True
    assert [owner.split("/")[0] for owner in supervision["owners"]] == ["com.google.android.apps.work.clouddpc", "com.afwsamples.testdpc"]
    assert_android_read_only(phone)


def test_android_rooted_device_shows_root_indicators(device_sidecar, android) -> None:
    data = device_sidecar.request("inspect/deep", android_ref(android("rooted")))["data"]
    indicators = " ".join(data["root_indicators"])
    assert "su binary" in indicators and "test-keys" in indicators and data["selinux"] == "Permissive"


def test_android_device_that_has_not_authorised_this_host_is_never_prompted(device_sidecar, android) -> None:
    phone = android(trusted=False)
    with pytest.raises(SidecarError) as caught:
        device_sidecar.request("inspect/basic", android_ref(phone))
    assert caught.value.kind == "device_unauthorized" and caught.value.data["retryable"] is True
    assert "authorised" in caught.value.data["message"] and "Allow USB debugging" in caught.value.data["suggestion"]
    assert phone.received == []  # not even a command: AUTH failed and no public key was offered


@pytest.mark.parametrize("fault", [Disconnect(after_bytes=40), Disconnect(after_bytes=40, abort=True), Hang()])
def test_device_vanishing_mid_call_gives_device_unavailable_and_the_sidecar_stays_healthy(device_sidecar, android, fault) -> None:
    phone = android("pixel", faults={"dumpsys battery": fault})
    with pytest.raises(SidecarError) as caught:
        device_sidecar.request("inspect/basic", android_ref(phone))
    assert caught.value.kind == "device_unavailable" and caught.value.data["retryable"] is True
    assert device_sidecar.request("health")["inflight"] == 0


def test_operations_on_one_device_are_serialized_and_others_run_in_parallel(device_sidecar, android) -> None:
    slow = android("pixel", faults={"dumpsys battery": Hang()})
    other = android("pixel")
    device_sidecar.send({"jsonrpc": "2.0", "id": "slow", "method": "inspect/basic", "params": android_ref(slow)})
    device_sidecar.send({"jsonrpc": "2.0", "id": "same", "method": "inspect/basic", "params": android_ref(slow)})
    device_sidecar.send({"jsonrpc": "2.0", "id": "other", "method": "inspect/basic", "params": android_ref(other)})
    order = [device_sidecar.read_message(timeout=30)["id"] for _ in range(3)]
    assert order[0] == "other"  # not held up by the hung device
    assert order[1:] == ["slow", "same"]  # the second call on the hung device waited for the first


# ---- iOS inspection


def test_ios_basic_for_a_paired_device(device_sidecar, ios) -> None:
    iphone = ios("paired")
    result = device_sidecar.request("inspect/basic", ios_ref(iphone))
    data = result["data"]
    assert data["model"] == "iPhone14,5" and data["os_version"] and data["build"] and data["serial"]
    assert data["activation_locked"] is False and data["mdm_enrolled"] is False and data["battery_level"] == 87
    assert data["frp_locked"] is None and data["efi_locked"] is None
    assert result["warnings"] == []
    assert_ios_read_only(iphone)


def test_ios_activation_lock_and_mdm_variants(device_sidecar, ios) -> None:
    locked = device_sidecar.request("inspect/basic", ios_ref(ios("activation_locked")))["data"]
    managed = device_sidecar.request("inspect/deep", ios_ref(ios("supervised_mdm")))["data"]
    assert locked["activation_locked"] is True
    assert managed["supervision"] == {
        "supervised": True,
        "mdm_enrolled": True,
        "organization_name": "Example Corp",
        "profile_count": 1,
        "owners": None,
        "work_profile": None,
    }  # Android-only fields


def test_ios_unpaired_device_gives_public_values_and_nulls_named_in_warnings(device_sidecar, ios) -> None:
    iphone = ios("unpaired")
    result = device_sidecar.request("inspect/basic", ios_ref(iphone))
    data = result["data"]
    assert data["model"] == "iPhone14,5" and data["os_version"]
    assert data["serial"] is None and data["activation_locked"] is None and data["battery_level"] is None
    assert any(w["code"] == "not_paired" for w in result["warnings"])
    assert_ios_read_only(iphone)
    assert not any(r.request in ("Pair", "StartService") for r in iphone.received)


def test_ios_deep_reports_battery_health_storage_and_supervision(device_sidecar, ios) -> None:
    iphone = ios("paired")
    data = device_sidecar.request("inspect/deep", ios_ref(iphone))["data"]
    assert data["battery"]["cycle_count"] > 0 and "design capacity" in data["battery"]["health"]
    assert data["storage"]["total_bytes"] > data["storage"]["free_bytes"] > 0
    assert data["supervision"]["supervised"] is False
    assert_ios_read_only(iphone)


def test_unknown_ios_device_is_device_not_found(device_sidecar, ios) -> None:
    iphone = ios("paired")
    with pytest.raises(SidecarError) as caught:
        device_sidecar.request("inspect/basic", ios_ref(iphone) | {"device_id": "00008110-FFFFFFFFFFFFFFFF"})
    assert caught.value.kind in ("device_not_found", "device_unavailable") and caught.value.data["retryable"]


# ---- logs


def test_android_logcat_is_streamed_to_a_hashed_file_inside_the_logs_root(device_sidecar, android, policy) -> None:
    phone = android("pixel")
    result = device_sidecar.request("logs/collect", android_ref(phone) | {"max_lines": 100, "progress_token": "log"})
    path = Path(result["path"])
    assert path.is_relative_to(os.path.realpath(policy["roots"]["logs"]))
    content = path.read_bytes()
    assert len(content) == result["bytes"] and content.count(b"\n") == result["log_count"]
    entries = [line for line in content.splitlines() if not line.startswith(b"--------- beginning of")]
    assert len(entries) == 100  # -t 100: the last 100 entries, with logcat's buffer dividers
    import hashlib

    assert hashlib.sha256(content).hexdigest() == result["sha256"] and result["truncated"] is False
    assert [n["params"]["value"]["kind"] for n in device_sidecar.notifications if n["params"]["token"] == "log"][-1] == "end"
    assert_android_read_only(phone)


def test_log_collection_is_bounded_by_the_policy_limit(spawn, policy, adb_key, android) -> None:
    sidecar = spawn(product=True)
    sidecar.initialize(policy | {"max_log_bytes": 2000}, config={"adb_key_path": str(adb_key), "device_timeout_s": 3})
    result = sidecar.request("logs/collect", android_ref(android("pixel")))
    assert result["truncated"] is True and result["bytes"] <= 2000
    assert Path(result["path"]).read_bytes().endswith(b"\n")  # cut at a line end
    assert any(w["code"] == "truncated" for w in result["warnings"])


def test_android_crash_scope_copies_readable_crash_files_and_warns_about_unreadable_ones(device_sidecar, android) -> None:
    rooted = device_sidecar.request("logs/collect", android_ref(android("rooted")) | {"scope": "crash"})
    text = Path(rooted["path"]).read_text()
    assert "/data/anr/anr_2024" in text and "/data/tombstones/tombstone_00" in text and "SIGSEGV" in text
    plain = device_sidecar.request("logs/collect", android_ref(android("pixel")) | {"scope": "crash"})
    assert {w["code"] for w in plain["warnings"]} == {"permission_denied"}


def test_log_collection_reports_how_much_the_log_file_holds_so_far(device_sidecar, android) -> None:
    result = device_sidecar.request("logs/collect", android_ref(android("pixel")) | {"duration_s": 2, "progress_token": "held"}, timeout=60)
    reports = [n["params"]["value"] for n in device_sidecar.notifications if n["params"]["token"] == "held" and n["params"]["value"]["kind"] == "report"]
    assert reports, "no progress report while the log was followed"
    figures = [(value["detail"]["bytes"], value["detail"]["log_count"]) for value in reports]
    assert {value["detail"]["method"] for value in reports} == {"logs/collect"}
    assert figures == sorted(figures) and 0 < figures[-1][0] <= result["bytes"] and figures[-1][1] <= result["log_count"]


def test_cancelled_log_collection_stops_and_leaves_no_file(device_sidecar, android, policy) -> None:
    phone = android("pixel")
    device_sidecar.send({"jsonrpc": "2.0", "id": "follow", "method": "logs/collect", "params": android_ref(phone) | {"duration_s": 120, "progress_token": "f"}})
    while not any(n["params"]["token"] == "f" for n in device_sidecar.notifications):
        device_sidecar.notifications.append(device_sidecar.read_message())
    device_sidecar.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "follow"}})
    reply = device_sidecar.read_message(timeout=10)
    while "id" not in reply:
        reply = device_sidecar.read_message(timeout=10)
    assert reply["error"]["code"] == -32800
    leftovers = [p for p in Path(policy["roots"]["logs"]).rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_following_logcat_ended_by_its_duration_never_blocks_the_sidecar(spawn, policy, adb_key, android) -> None:
    # The emulated phone goes quiet after its first lines, so the reader thread abandoned when the
    # duration ends sits in a read for the whole silence window (device_timeout_s + duration_s),
    # holding adb-shell's transport lock. Closing the session used to wait for that lock on the
    # event loop: the answer, and every other request (health), came a minute late.
    sidecar = spawn(product=True)
    sidecar.initialize(policy, config={"adb_key_path": str(adb_key), "device_timeout_s": 60})
    started = time.monotonic()
    result = sidecar.request("logs/collect", android_ref(android("pixel")) | {"duration_s": 1}, timeout=120)
    assert sidecar.request("health")["status"] == "ok"
    assert result["log_count"] > 0
    assert time.monotonic() - started < 30, "the session's close waited out the silence window"


def test_device_vanishing_during_log_collection_leaves_no_file(device_sidecar, android, policy) -> None:
    phone = android("pixel", faults={"logcat -v threadtime -b main -b system -b crash -d": Disconnect(after_bytes=500, abort=True)})
    with pytest.raises(SidecarError) as caught:
        device_sidecar.request("logs/collect", android_ref(phone))
    assert caught.value.kind == "device_unavailable"
    assert [p for p in Path(policy["roots"]["logs"]).rglob("*") if p.is_file()] == []


def test_ios_syslog_and_crash_reports_are_collected_without_erasing(device_sidecar, ios) -> None:
    iphone = ios("paired")
    syslog = device_sidecar.request("logs/collect", ios_ref(iphone) | {"max_lines": 3})
    assert syslog["log_count"] == 3 and len(Path(syslog["path"]).read_text().splitlines()) == 3
    crashes = device_sidecar.request("logs/collect", ios_ref(iphone) | {"scope": "crash"})
    assert ".ips" in Path(crashes["path"]).read_text() and crashes["bytes"] > 0
    assert_ios_read_only(iphone)  # no file removal opcode, no crash mover


def test_ios_logs_of_an_unpaired_device_are_refused_clearly(device_sidecar, ios) -> None:
    with pytest.raises(SidecarError) as caught:
        device_sidecar.request("logs/collect", ios_ref(ios("unpaired")) | {"max_lines": 3})
    assert caught.value.kind == "device_unauthorized" and "not paired" in caught.value.data["message"]


# ---- policy


def test_device_methods_are_denied_without_their_capabilities(spawn, policy, adb_key, android) -> None:
    sidecar = spawn(product=True)
    sidecar.initialize(policy | {"capabilities": ["report.write"]}, config={"adb_key_path": str(adb_key)})
    phone = android("pixel")
    for method, params in [("devices/list", {}), ("inspect/basic", android_ref(phone)), ("logs/collect", android_ref(phone))]:
        with pytest.raises(SidecarError) as caught:
            sidecar.request(method, params)
        assert caught.value.kind == "policy_denied"
    assert phone.received == []  # denied before anything reached the device


def test_logs_need_a_logs_root(spawn, policy, adb_key, android) -> None:
    sidecar = spawn(product=True)
    sidecar.initialize(policy | {"roots": {"reports": policy["roots"]["reports"]}}, config={"adb_key_path": str(adb_key)})
    with pytest.raises(SidecarError) as caught:
        sidecar.request("logs/collect", android_ref(android("pixel")))
    assert caught.value.kind == "policy_denied"


def test_device_ids_cannot_steer_log_paths_out_of_the_root(device_sidecar, android, policy) -> None:
    phone = android("pixel")
    with pytest.raises(SidecarError) as caught:
        device_sidecar.request("logs/collect", android_ref(phone) | {"device_id": "../../etc"})
    assert caught.value.code == -32602
    result = device_sidecar.request("logs/collect", android_ref(phone) | {"device_id": "..", "max_lines": 5})
    assert Path(result["path"]).is_relative_to(os.path.realpath(policy["roots"]["logs"]))


def test_serials_are_redacted_when_the_policy_asks(spawn, policy, adb_key, android) -> None:
    sidecar = spawn(product=True)
    sidecar.initialize(policy | {"redact_identifiers": True}, config={"adb_key_path": str(adb_key)})
    serial = sidecar.request("inspect/basic", android_ref(android("pixel")))["data"]["serial"]
    assert serial.startswith("redacted:") and "28161FDH2001YK" not in serial


def test_device_backends_are_not_imported_until_first_use(spawn, policy) -> None:
    sidecar = spawn()
    sidecar.initialize(policy)
    sidecar.request("health")
    loaded = sidecar.request("test/modules", {"value": ["adb_shell", "pymobiledevice3", "usb1", "cryptography"]})
    assert loaded == []
