"""The fake adbd driven by real ADB clients: the adb-shell library and Debian's adb."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import msgspec
import pytest
from msgspec.structs import replace

from sidecar_devkit.emulate.android import (
    BOOTLOADER_UNLOCKED,
    FRP_LOCKED,
    PIXEL,
    ROOTED,
    AuthPolicy,
    DeviceProfile,
    Disconnect,
    Hang,
    RunningAdbd,
    running_adbd,
)
from sidecar_devkit.emulate.android.wire import MAX_PAYLOAD, MAX_PAYLOAD_V1, VERSION_MIN, AuthType, Codec, Command, Message

pytest.importorskip("adb_shell", reason="adb-shell is pinned in requirements/devices.txt; install it to run these")
from adb_shell.adb_device import AdbDeviceTcp
from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from adb_shell.exceptions import AdbTimeoutError, TcpTimeoutException

THREADTIME = re.compile(r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [ \d]{5} [ \d]{5} [VDIWEF] (?P<tag>\S.*?) *: ")
DIVIDER = re.compile(r"^--------- beginning of (main|system|crash)$")


# --- adb-shell ---------------------------------------------------------------


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> PythonRSASigner:
    path = tmp_path_factory.mktemp("adb-shell") / "adbkey"
    keygen(str(path))
    return PythonRSASigner.FromRSAKeyPath(str(path))


@contextmanager
def connected(adbd: RunningAdbd, signer: PythonRSASigner, auth_timeout_s: float = 5) -> Iterator[AdbDeviceTcp]:
    device = AdbDeviceTcp(adbd.host, adbd.port, default_transport_timeout_s=5)
    try:
        device.connect(rsa_keys=[signer], auth_timeout_s=auth_timeout_s)
        yield device
    finally:
        device.close()


@pytest.fixture(scope="module")
def shell(signer: PythonRSASigner) -> Iterator[Callable[[DeviceProfile, str], str]]:
    """Run a command on a connected fake of the given profile (one fake per profile per module)."""
    with ExitStack() as stack:
        devices: dict[str, AdbDeviceTcp] = {}

        def run(profile: DeviceProfile, command: str) -> str:
            if profile.name not in devices:
                adbd = stack.enter_context(running_adbd(profile))
                devices[profile.name] = stack.enter_context(connected(adbd, signer))
            return devices[profile.name].shell(command)

        yield run


def test_adb_shell_authenticates_and_runs_a_command(signer: PythonRSASigner) -> None:
    with running_adbd(PIXEL) as adbd, connected(adbd, signer) as device:
        assert device.available
        assert device.shell("getprop ro.product.model") == "Pixel 7\n"
        assert adbd.received == ["shell:getprop ro.product.model"]


def test_the_record_lists_exactly_the_services_opened_in_memory_and_as_jsonl(signer: PythonRSASigner, tmp_path: Path) -> None:
    record = tmp_path / "received.jsonl"
    with running_adbd(PIXEL, record_path=record) as adbd, connected(adbd, signer) as device:
        device.shell("getprop ro.product.model")
        device.shell("dumpsys battery")
        device.exec_out("getenforce")
        device.shell("rm -rf /sdcard/DCIM")
        expected = [
            "shell:getprop ro.product.model",
            "shell:dumpsys battery",
            "exec:getenforce",
            "shell:rm -rf /sdcard/DCIM",
        ]
        assert adbd.received == expected
        lines = record.read_bytes().splitlines()
        assert [msgspec.json.decode(line)["service"] for line in lines] == expected


def test_a_key_the_device_trusts_is_accepted_by_its_signature_alone(signer: PythonRSASigner) -> None:
    # With the prompt never answered, only a verified signature can get the host in.
    profile = replace(PIXEL, auth=AuthPolicy(trusted_keys=(signer.GetPublicKey(),), user_allows=False))
    with running_adbd(profile) as adbd, connected(adbd, signer) as device:
        assert device.shell("getprop ro.serialno") == "28161FDH2001YK\n"


def test_an_unknown_key_gets_no_connection_while_the_prompt_is_unanswered(signer: PythonRSASigner) -> None:
    profile = replace(PIXEL, auth=AuthPolicy(user_allows=False))
    with running_adbd(profile) as adbd:
        with pytest.raises((TcpTimeoutException, AdbTimeoutError)), connected(adbd, signer, auth_timeout_s=0.3):
            pass
        assert adbd.received == []


def test_streams_are_multiplexed_on_one_connection(signer: PythonRSASigner) -> None:
    with running_adbd(PIXEL) as adbd, connected(adbd, signer) as device:
        # logcat without -d prints the buffers, then keeps its stream open like on a device.
        follow = device.streaming_shell("logcat -b crash")
        first = next(follow)
        assert "FATAL EXCEPTION" in first
        assert device.shell("getprop ro.product.device") == "panther\n"
        assert adbd.received == ["shell:logcat -b crash", "shell:getprop ro.product.device"]


def test_a_disconnect_mid_command_delivers_the_start_then_fails(signer: PythonRSASigner) -> None:
    profile = replace(PIXEL, faults={"dumpsys battery": Disconnect(after_bytes=40)})
    with running_adbd(profile) as adbd, connected(adbd, signer) as device:
        received: list[str] = []
        with pytest.raises(AdbTimeoutError):
            received.extend(device.streaming_shell("dumpsys battery", read_timeout_s=0.3))
        assert "".join(received) == "Current Battery Service state:\n  AC powe"


def test_a_reset_mid_command_surfaces_as_a_connection_reset(signer: PythonRSASigner) -> None:
    profile = replace(PIXEL, faults={"logcat -d -v threadtime": Disconnect(after_bytes=100, abort=True)})
    with running_adbd(profile) as adbd, connected(adbd, signer) as device, pytest.raises(ConnectionResetError):
        device.shell("logcat -d -v threadtime")


def test_a_hung_command_times_out_and_other_connections_still_work(signer: PythonRSASigner) -> None:
    profile = replace(PIXEL, faults={"dumpsys battery": Hang()})
    with running_adbd(profile) as adbd:
        with connected(adbd, signer) as device, pytest.raises((TcpTimeoutException, AdbTimeoutError)):
            device.shell("dumpsys battery", transport_timeout_s=0.3, read_timeout_s=0.3)
        with connected(adbd, signer) as device:
            assert device.shell("getenforce") == "Enforcing\n"
        assert adbd.received == ["shell:dumpsys battery", "shell:getenforce"]


# --- a hand-rolled host, for what real clients never do -------------------------


class RawHost:
    """A minimal adb host on a plain socket, built on the fake's own codec."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.codec = Codec()
        self._pending: list[Message] = []

    def send(self, command: Command, arg0: int, arg1: int, data: bytes = b"") -> None:
        self.sock.sendall(self.codec.encode(Message(command, arg0, arg1, data)))

    def receive(self) -> Message:
        while not self._pending:
            data = self.sock.recv(65536)
            assert data, "the fake closed the connection"
            self._pending += self.codec.feed(data)
        return self._pending.pop(0)

    def assert_quiet(self) -> None:
        """Nothing more has arrived, buffered or on the socket (watched for a moment)."""
        assert not self._pending
        self.sock.settimeout(0.1)
        try:
            with pytest.raises(TimeoutError):
                self.sock.recv(1)
        finally:
            self.sock.settimeout(5)


@contextmanager
def raw_host(adbd: RunningAdbd) -> Iterator[RawHost]:
    with socket.create_connection((adbd.host, adbd.port), timeout=5) as sock:
        yield RawHost(sock)


def test_services_opened_before_authorisation_are_recorded_but_not_served() -> None:
    with running_adbd(PIXEL) as adbd, raw_host(adbd) as host:
        host.send(Command.CNXN, VERSION_MIN, MAX_PAYLOAD, b"host::\0")
        assert host.receive().command is Command.AUTH
        host.send(Command.OPEN, 1, 0, b"shell:getprop ro.serialno\0")
        host.send(Command.AUTH, AuthType.SIGNATURE, 0, bytes(256))
        # The bad signature earns a new challenge; the OPEN before it earned nothing.
        assert host.receive().command is Command.AUTH
        assert adbd.received == ["shell:getprop ro.serialno"]


def test_output_is_cut_to_the_hosts_payload_limit_and_paced_by_its_okays() -> None:
    profile = replace(PIXEL, auth=AuthPolicy(required=False))
    with running_adbd(profile) as adbd, raw_host(adbd) as host:
        host.send(Command.CNXN, VERSION_MIN, MAX_PAYLOAD_V1, b"host::\0")
        online = host.receive()
        assert (online.command, online.arg0, online.arg1) == (Command.CNXN, VERSION_MIN, MAX_PAYLOAD_V1)
        assert online.data.startswith(b"device::ro.product.name=panther;ro.product.model=Pixel 7;")
        host.codec.negotiate(online.arg0, online.arg1)
        host.send(Command.OPEN, 5, 0, b"shell:logcat -d\0")
        opened = host.receive()
        assert (opened.command, opened.arg1) == (Command.OKAY, 5)
        first = host.receive()
        assert first.command is Command.WRTE
        host.assert_quiet()  # nothing more until the host acknowledges that chunk
        chunks = [first.data]
        host.send(Command.OKAY, 5, opened.arg0)
        while (message := host.receive()).command is Command.WRTE:
            chunks.append(message.data)
            host.send(Command.OKAY, 5, opened.arg0)
        assert (message.command, message.arg0, message.arg1) == (Command.CLSE, opened.arg0, 5)
        assert len(chunks) > 1 and all(len(chunk) <= MAX_PAYLOAD_V1 for chunk in chunks)
        assert b"".join(chunks).decode().splitlines()[0] == "--------- beginning of main"


def test_a_host_speaking_garbage_loses_only_its_own_connection(signer: PythonRSASigner) -> None:
    with running_adbd(PIXEL) as adbd:
        with raw_host(adbd) as host:
            host.sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert host.sock.recv(4096) == b""  # dropped, as adbd drops a transport with a bad header
        with connected(adbd, signer) as device:
            assert device.shell("getprop ro.product.brand") == "google\n"


# --- canned output, per profile ----------------------------------------------


@pytest.mark.parametrize(
    ("profile", "command", "output"),
    [
        (PIXEL, "getprop ro.product.model", "Pixel 7\n"),
        (PIXEL, "getprop ro.product.manufacturer", "Google\n"),
        (PIXEL, "getprop ro.build.version.sdk", "34\n"),
        (PIXEL, "getprop ro.build.fingerprint", "google/panther/panther:14/AP1A.240505.004/11583682:user/release-keys\n"),
        (PIXEL, "getprop ro.boot.verifiedbootstate", "green\n"),
        (PIXEL, "getprop ro.crypto.type", "file\n"),
        (PIXEL, "getprop no.such.property", "\n"),
        (PIXEL, "settings get global adb_enabled", "1\n"),
        (PIXEL, "settings get secure secure_frp_mode", "0\n"),
        (PIXEL, "settings get secure no_such_key", "null\n"),
        (PIXEL, "getenforce", "Enforcing\n"),
        (PIXEL, "cat /proc/uptime", "351735.33 2627410.12\n"),
        (PIXEL, "ls /data/anr", "ls: /data/anr: Permission denied\n"),
        (PIXEL, "ls /data/tombstones", "ls: /data/tombstones: Permission denied\n"),
        (PIXEL, "which su", ""),
        (PIXEL, "ls /system/xbin/su", "ls: /system/xbin/su: No such file or directory\n"),
        (PIXEL, "reboot bootloader", "/system/bin/sh: reboot: inaccessible or not found\n"),
        (FRP_LOCKED, "settings get secure secure_frp_mode", "1\n"),
        (FRP_LOCKED, "settings get global device_provisioned", "0\n"),
        (FRP_LOCKED, "settings get secure user_setup_complete", "0\n"),
        (FRP_LOCKED, "getprop ro.frp.pst", "/dev/block/by-name/frp\n"),
        (FRP_LOCKED, "pm list packages -3", ""),
        (BOOTLOADER_UNLOCKED, "getprop ro.boot.verifiedbootstate", "orange\n"),
        (BOOTLOADER_UNLOCKED, "getprop ro.boot.flash.locked", "0\n"),
        (BOOTLOADER_UNLOCKED, "getprop ro.boot.vbmeta.device_state", "unlocked\n"),
        (BOOTLOADER_UNLOCKED, "getprop sys.oem_unlock_allowed", "1\n"),
        (ROOTED, "which su", "/system/xbin/su\n"),
        (ROOTED, "ls /system/xbin/su", "/system/xbin/su\n"),
        (ROOTED, "getprop ro.debuggable", "1\n"),
        (ROOTED, "getenforce", "Permissive\n"),
        (ROOTED, "ls /data/tombstones", "tombstone_00\ntombstone_00.pb\ntombstone_01\ntombstone_01.pb\n"),
    ],
    ids=lambda value: value.name if isinstance(value, DeviceProfile) else None,
)
def test_commands_answer_like_the_device(shell: Callable[[DeviceProfile, str], str], profile: DeviceProfile, command: str, output: str) -> None:
    assert shell(profile, command) == output


def test_getprop_lists_every_property_sorted_in_brackets(shell: Callable[[DeviceProfile, str], str]) -> None:
    lines = shell(PIXEL, "getprop").splitlines()
    assert all(re.fullmatch(r"\[[\w.\-]+\]: \[[^\n]*\]", line) for line in lines)
    assert "[ro.product.model]: [Pixel 7]" in lines
    names = [line[1 : line.index("]")] for line in lines]
    assert names == sorted(names)
    assert len(lines) == len(PIXEL.props)


def test_dumpsys_battery_prints_the_android_14_report(shell: Callable[[DeviceProfile, str], str]) -> None:
    assert shell(PIXEL, "dumpsys battery") == (
        "Current Battery Service state:\n"
        "  AC powered: false\n"
        "  USB powered: true\n"
        "  Wireless powered: false\n"
        "  Dock powered: false\n"
        "  Max charging current: 500000\n"
        "  Max charging voltage: 5000000\n"
        "  Charge counter: 3920000\n"
        "  status: 2\n"
        "  health: 2\n"
        "  present: true\n"
        "  level: 87\n"
        "  scale: 100\n"
        "  voltage: 4123\n"
        "  temperature: 281\n"
        "  technology: Li-ion\n"
        "  Charging state: 1\n"
        "  Charging policy: 1\n"
    )


def test_df_reports_data_in_toybox_columns(shell: Callable[[DeviceProfile, str], str]) -> None:
    assert shell(PIXEL, "df -k /data") == (
        "Filesystem       1K-blocks     Used Available Use% Mounted on\n/dev/block/dm-46 115367708 38011324  77225312  33% /data\n"
    )


def test_pm_lists_system_and_third_party_packages_apart(shell: Callable[[DeviceProfile, str], str]) -> None:
    system = shell(PIXEL, "pm list packages -s").splitlines()
    third_party = shell(PIXEL, "pm list packages -3").splitlines()
    assert all(line.startswith("package:") for line in system + third_party)
    assert "package:android" in system
    assert "package:com.whatsapp" in third_party
    assert not set(system) & set(third_party)


def test_logcat_dumps_a_few_hundred_threadtime_lines(shell: Callable[[DeviceProfile, str], str]) -> None:
    lines = shell(PIXEL, "logcat -d -v threadtime").splitlines()
    entries = [line for line in lines if THREADTIME.match(line)]
    dividers = [line for line in lines if DIVIDER.match(line)]
    assert len(entries) + len(dividers) == len(lines)
    assert 200 <= len(entries) <= 1000
    assert dividers == [f"--------- beginning of {b}" for b in ("main", "system", "crash")]
    assert [line[:18] for line in entries] == sorted(line[:18] for line in entries)


def test_logcat_tail_count_keeps_the_newest_lines(shell: Callable[[DeviceProfile, str], str]) -> None:
    everything = [line for line in shell(PIXEL, "logcat -d -v threadtime").splitlines() if THREADTIME.match(line)]
    tail = [line for line in shell(PIXEL, "logcat -d -v threadtime -t 25").splitlines() if THREADTIME.match(line)]
    assert tail == everything[-25:]


def test_logcat_since_time_keeps_lines_from_that_time_on(shell: Callable[[DeviceProfile, str], str]) -> None:
    everything = [line for line in shell(PIXEL, "logcat -d -v threadtime").splitlines() if THREADTIME.match(line)]
    since = everything[100][:18]
    selected = shell(PIXEL, f"logcat -d -v threadtime -T '{since}'").splitlines()
    assert [line for line in selected if THREADTIME.match(line)] == [line for line in everything if line[:18] >= since]


def test_logcat_crash_buffer_alone_has_only_crash_reports(shell: Callable[[DeviceProfile, str], str]) -> None:
    lines = shell(PIXEL, "logcat -d -v threadtime -b crash").splitlines()
    matches = [THREADTIME.match(line) for line in lines]
    assert lines and all(matches)  # one buffer: no dividers
    assert {m["tag"] for m in matches if m} == {"AndroidRuntime", "libc", "DEBUG"}
    assert any("FATAL EXCEPTION: main" in line for line in lines)
    assert any("Fatal signal 11 (SIGSEGV)" in line for line in lines)


def test_logcat_named_buffers_are_merged_with_dividers(shell: Callable[[DeviceProfile, str], str]) -> None:
    lines = shell(PIXEL, "logcat -d -v threadtime -b main,system,crash").splitlines()
    assert lines == shell(PIXEL, "logcat -d -v threadtime").splitlines()
    assert shell(FRP_LOCKED, "logcat -d -b crash") == ""  # freshly reset: nothing has crashed


# --- Debian's adb ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class AdbHost:
    """Debian's adb with a private server (own port, own HOME with its own ~/.android key)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.env = {**os.environ, "HOME": str(home), "TMPDIR": str(home), "ADB_VENDOR_KEYS": ""}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["adb", "-P", str(self.port), *args], env=self.env, capture_output=True, text=True, timeout=30)

    @property
    def public_key(self) -> str:
        return (self.home / ".android" / "adbkey.pub").read_text()


@pytest.fixture
def adb(tmp_path: Path) -> Iterator[AdbHost]:
    if shutil.which("adb") is None:
        pytest.skip("Debian's adb is not installed (requirements/apt.txt lists it; run ./scripts/setup)")
    host = AdbHost(tmp_path)
    try:
        yield host
    finally:
        host("kill-server")


def test_debian_adb_connects_after_the_user_allows_its_key(adb: AdbHost) -> None:
    with running_adbd(PIXEL) as adbd:
        adb("connect", adbd.serial)
        assert adb("-s", adbd.serial, "wait-for-device").returncode == 0
        devices = adb("devices", "-l").stdout
        assert f"{adbd.serial}" in devices and "device product:panther model:Pixel_7 device:panther" in devices
        result = adb("-s", adbd.serial, "shell", "getprop", "ro.product.model")
        assert (result.returncode, result.stdout) == (0, "Pixel 7\n")
        # "Always allow from this computer": reconnecting needs no prompt, the signature suffices.
        adb("disconnect", adbd.serial)
        assert adb("connect", adbd.serial).stdout == f"connected to {adbd.serial}\n"
        assert adbd.received == ["shell:getprop ro.product.model"]


def test_debian_adb_signature_is_verified_against_its_own_key(adb: AdbHost) -> None:
    assert adb("start-server").returncode == 0  # creates ~/.android/adbkey
    profile = replace(BOOTLOADER_UNLOCKED, auth=AuthPolicy(trusted_keys=(adb.public_key,), user_allows=False))
    with running_adbd(profile) as adbd:
        assert adb("connect", adbd.serial).stdout == f"connected to {adbd.serial}\n"
        result = adb("-s", adbd.serial, "shell", "getprop ro.boot.verifiedbootstate")
        assert result.stdout == "orange\n"
        assert adbd.received == ["shell:getprop ro.boot.verifiedbootstate"]


def test_debian_adb_services_outside_shell_are_refused_but_recorded(adb: AdbHost) -> None:
    with running_adbd(PIXEL) as adbd:
        adb("connect", adbd.serial)
        adb("-s", adbd.serial, "wait-for-device")
        assert adb("-s", adbd.serial, "root").returncode != 0
        assert adb("-s", adbd.serial, "pull", "/data/system/users/0.xml", str(adb.home / "0.xml")).returncode != 0
        assert adbd.received == ["root:", "sync:"]
