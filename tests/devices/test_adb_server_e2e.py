"""Phones held by the user's adb server, end to end: the real sidecar over stdio, Debian's real adb
server on a private port, connected (``adb connect``) to emulated phones that speak the real ADB
wire protocol. The sidecar must use that server exactly as on a user's PC (list, inspect, logs,
hotplug), while the user's own ``adb`` keeps working on the same phone.

What is not real: the phone (the emulated adbd). It is reached over TCP because this machine has
no USB; the server treats it like any other transport."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest

from sidecar_devkit.client import SidecarError, SidecarProcess
from sidecar_devkit.emulate.android import PROFILES, running_adbd
from sidecar_devkit.emulate.android.profiles import AuthPolicy

from .adbserver import AdbServer, free_port
from .conftest import DEVICE_TIMEOUT_S
from .test_devices_e2e import ANDROID_ALLOWED

pytestmark = pytest.mark.e2e

# What a current phone announces (Android 7 on): the shell protocol, so exit and end are definite.
V2_FEATURES = ("shell_v2", "cmd", "stat_v2", "ls_v2")
# Service strings the sidecar may send through the server (the user's adb sends its own, with TERM=).
SIDECAR_SHELL = re.compile(r"^shell(,v2,raw)?:(?P<command>.*)$")
# The same allowlist the direct-connection tests hold the sidecar to, without the service prefix.
ALLOWED_COMMANDS = [pattern.removeprefix("shell:") for pattern in ANDROID_ALLOWED]


@pytest.fixture
def adb_server(tmp_path: Path) -> Iterator[AdbServer]:
    server = AdbServer(tmp_path / "adb-home")
    try:
        yield server
    finally:
        server.kill()  # the one started here, on its private port


@pytest.fixture
def phone(adb_server: AdbServer) -> Iterator[Callable[..., object]]:
    """An emulated phone that trusts the server's key (the user accepted the prompt once), connected to it."""
    from contextlib import ExitStack

    with ExitStack() as stack:

        def start(features: tuple[str, ...] = V2_FEATURES, trusted: bool = True, connect: bool = True, profile: str = "pixel"):
            auth = AuthPolicy(trusted_keys=(adb_server.public_key,) if trusted else (), user_allows=False)
            device = stack.enter_context(running_adbd(msgspec.structs.replace(PROFILES[profile], auth=auth, features=features)))
            if connect and trusted:
                adb_server.connect(device.serial)
            elif connect:
                adb_server("connect", device.serial)
                adb_server.wait_for_state(device.serial, "unauthorized")
            return device

        yield start


@pytest.fixture
def sidecar(spawn, policy: dict, adb_key: Path, adb_server: AdbServer, monkeypatch: pytest.MonkeyPatch) -> SidecarProcess:
    """A sidecar on a PC where the user's adb server runs: it finds it as adb does ($ADB_SERVER_SOCKET here)."""
    monkeypatch.setenv("ADB_SERVER_SOCKET", adb_server.spec)
    process = spawn(product=True)
    process.initialize(policy, config={"adb_key_path": str(adb_key), "device_timeout_s": DEVICE_TIMEOUT_S})
    return process


def sidecar_commands(device) -> list[str]:
    """What the sidecar asked the phone to run (the user's adb asks with TERM=..., and is left out)."""
    return [m["command"] for s in device.received if (m := SIDECAR_SHELL.match(s))]


def assert_only_allowlisted(device) -> None:
    commands = sidecar_commands(device)
    assert commands, "the sidecar sent nothing"
    outside = [c for c in commands if not any(re.fullmatch(p, c) for p in ALLOWED_COMMANDS)]
    assert outside == [], f"commands outside the allowlist reached the phone: {outside}"


def listed(sidecar: SidecarProcess, **params: object) -> dict[str, dict]:
    return {d["device_id"]: d for d in sidecar.request("devices/list", params)["devices"]}


# ---- devices/list


@pytest.mark.parametrize("features", [V2_FEATURES, ("cmd",)], ids=["shell_v2", "plain_shell"])
def test_list_shows_a_phone_the_server_holds_ready_with_the_hints_that_reach_it(sidecar, phone, adb_server, features) -> None:
    device = phone(features=features)
    entry = listed(sidecar)[device.serial]
    assert entry["state"] == "ready" and entry["platform"] == "android" and entry["connection"] == "tcp"
    assert (entry["model"], entry["os_version"]) == ("Pixel 7", "14")  # from the phone, not adb's "Pixel_7"
    assert entry["hints"] == {"connection": "tcp", "address": device.serial, "usbmux_address": None, "adb_server": adb_server.spec}
    expected = "shell,v2,raw:getprop" if "shell_v2" in features else "shell:getprop"
    assert device.received == [expected]  # one allowlisted getprop, in the form the phone offers


def test_a_phone_that_has_not_accepted_the_servers_key_is_listed_unauthorized(sidecar, phone, adb_server) -> None:
    device = phone(trusted=False)
    entry = listed(sidecar)[device.serial]
    assert (entry["state"], entry["state_detail"], entry["model"]) == ("unauthorized", "unauthorized", None)
    assert entry["hints"]["adb_server"] == adb_server.spec


# ---- inspect and logs through the server


def test_inspect_and_logs_work_through_the_server_with_the_listed_hints(sidecar, phone) -> None:
    device = phone()
    ref = {"device_id": device.serial, "platform": "android", "hints": listed(sidecar)[device.serial]["hints"]}
    basic = sidecar.request("inspect/basic", ref)["data"]
    assert (basic["model"], basic["manufacturer"], basic["os_version"], basic["battery_level"]) == ("Pixel 7", "Google", "14", 87)
    deep = sidecar.request("inspect/deep", ref)["data"]
    assert deep["selinux"] == "Enforcing" and deep["storage"]["total_bytes"] > deep["storage"]["free_bytes"] > 0
    log = sidecar.request("logs/collect", ref | {"max_lines": 20})
    assert log["log_count"] >= 20 and Path(log["path"]).read_bytes().count(b"\n") == log["log_count"]
    assert_only_allowlisted(device)


def test_the_users_adb_keeps_working_on_the_phone_during_and_after(sidecar, phone, adb_server) -> None:
    device = phone()
    ref = {"device_id": device.serial, "platform": "android", "hints": listed(sidecar)[device.serial]["hints"]}
    sidecar.send({"jsonrpc": "2.0", "id": "follow", "method": "logs/collect", "params": ref | {"duration_s": 3, "progress_token": "f"}})
    while not any(n["params"]["token"] == "f" and n["params"]["value"]["kind"] == "report" for n in sidecar.notifications):
        sidecar.notifications.append(sidecar.read_message())
    during = adb_server("-s", device.serial, "shell", "getprop", "ro.product.model")  # while the sidecar follows logcat
    reply = sidecar.read_message(timeout=30)
    while "id" not in reply:
        reply = sidecar.read_message(timeout=30)
    after = adb_server("-s", device.serial, "shell", "getprop", "ro.product.model")
    assert (during.returncode, during.stdout) == (0, "Pixel 7\n")
    assert (after.returncode, after.stdout) == (0, "Pixel 7\n")
    assert reply["result"]["log_count"] > 0
    assert adb_server.state(device.serial) == "device"


def test_a_device_id_without_hints_goes_through_the_running_server(sidecar, phone) -> None:
    device = phone()
    data = sidecar.request("inspect/basic", {"device_id": device.serial, "platform": "android"})["data"]
    assert data["model"] == "Pixel 7"
    assert any(s.startswith("shell,v2,raw:") for s in device.received)


def test_the_host_config_names_the_server(spawn, policy, adb_key, phone, adb_server, monkeypatch) -> None:
    monkeypatch.delenv("ADB_SERVER_SOCKET")  # adb's default (tcp:5037) would be looked at, but the config wins
    device = phone()
    sidecar = spawn(product=True)
    sidecar.initialize(policy, config={"adb_key_path": str(adb_key), "adb_server": f"tcp:127.0.0.1:{adb_server.port}"})
    assert listed(sidecar)[device.serial]["hints"]["adb_server"] == f"tcp:127.0.0.1:{adb_server.port}"


# ---- errors, in adb's own terms


def test_an_unauthorized_phone_gives_device_unauthorized(sidecar, phone, adb_server) -> None:
    device = phone(trusted=False)
    with pytest.raises(SidecarError) as caught:
        sidecar.request("inspect/basic", {"device_id": device.serial, "platform": "android", "hints": {"adb_server": adb_server.spec}})
    assert caught.value.kind == "device_unauthorized" and caught.value.data["retryable"] is True
    assert "Allow USB debugging" in caught.value.data["suggestion"]
    assert sidecar_commands(device) == []


def test_a_serial_the_server_does_not_know_is_device_not_found(sidecar, adb_server) -> None:
    with pytest.raises(SidecarError) as caught:
        sidecar.request("inspect/basic", {"device_id": "R58M123ABCD", "platform": "android", "hints": {"adb_server": adb_server.spec}})
    assert caught.value.kind == "device_not_found" and "R58M123ABCD" in caught.value.data["message"]


def test_hints_naming_a_server_that_is_gone_give_device_unavailable(sidecar) -> None:
    nobody = f"tcp:{free_port()}"
    with pytest.raises(SidecarError) as caught:
        sidecar.request("inspect/basic", {"device_id": "R58M123ABCD", "platform": "android", "hints": {"adb_server": nobody}})
    assert caught.value.kind == "device_unavailable" and "adb server" in caught.value.data["message"]


def test_a_phone_lost_mid_command_gives_device_unavailable_and_the_sidecar_stays_healthy(sidecar, phone, adb_server) -> None:
    from sidecar_devkit.emulate.android.profiles import Disconnect

    auth = AuthPolicy(trusted_keys=(adb_server.public_key,))
    profile = msgspec.structs.replace(PROFILES["pixel"], auth=auth, features=V2_FEATURES, faults={"dumpsys battery": Disconnect(after_bytes=40, abort=True)})
    with running_adbd(profile) as device:
        adb_server.connect(device.serial)
        with pytest.raises(SidecarError) as caught:
            sidecar.request("inspect/basic", {"device_id": device.serial, "platform": "android", "hints": {"adb_server": adb_server.spec}})
    assert caught.value.kind in ("device_unavailable", "device_not_found") and caught.value.data["retryable"]
    assert sidecar.request("health")["inflight"] == 0


# ---- devices/watch


def watch_reports(sidecar: SidecarProcess, token: str) -> Iterator[list[dict]]:
    """Each devices/watch report's device list, as it arrives."""
    while True:
        message = sidecar.read_message(timeout=30)
        if message.get("method") == "$/progress" and message["params"]["token"] == token:
            value = message["params"]["value"]
            if value["kind"] == "report":
                yield value["detail"]["devices"]
        elif "id" in message:
            raise AssertionError(f"the watch answered: {message}")


def wait_for(reports: Iterator[list[dict]], condition: Callable[[dict[str, dict]], bool], timeout: float = 20) -> dict[str, dict]:
    deadline = time.monotonic() + timeout
    for devices in reports:
        by_id = {d["device_id"]: d for d in devices}
        if condition(by_id):
            return by_id
        assert time.monotonic() < deadline, f"no report matched; last: {by_id}"
    raise AssertionError("unreachable")


def test_watch_reports_a_phone_attached_and_detached_through_the_server_then_answers_cancel(sidecar, phone, adb_server) -> None:
    device = phone(connect=False)
    sidecar.send({"jsonrpc": "2.0", "id": "w", "method": "devices/watch", "params": {"progress_token": "watch"}})
    reports = watch_reports(sidecar, "watch")
    first = next(reports)
    assert device.serial not in {d["device_id"] for d in first}
    adb_server("connect", device.serial)
    ready = wait_for(reports, lambda d: d.get(device.serial, {}).get("state") == "ready")
    assert ready[device.serial]["model"] == "Pixel 7" and ready[device.serial]["hints"]["adb_server"] == adb_server.spec
    adb_server("disconnect", device.serial)
    wait_for(reports, lambda d: device.serial not in d)
    sidecar.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "w"}})
    reply = sidecar.read_message(timeout=10)
    while "id" not in reply:
        reply = sidecar.read_message(timeout=10)
    assert reply["id"] == "w" and reply["error"]["code"] == -32800
    assert_only_allowlisted(device)


def test_watch_is_answered_cancelled_at_shutdown(sidecar) -> None:
    sidecar.send({"jsonrpc": "2.0", "id": "w", "method": "devices/watch", "params": {"progress_token": "watch"}})
    next(watch_reports(sidecar, "watch"))
    sidecar.send({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})
    answers = {}
    while len(answers) < 2:
        message = sidecar.read_message(timeout=10)
        if "id" in message:
            answers[message["id"]] = message
    assert answers["w"]["error"]["code"] == -32800 and "result" in answers["bye"]


def test_watch_needs_a_progress_token(sidecar) -> None:
    with pytest.raises(SidecarError) as caught:
        sidecar.request("devices/watch", {})
    assert caught.value.code == -32602
