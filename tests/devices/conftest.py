"""Fixtures for device tests: emulated phones (real ADB and usbmux/lockdown wire protocols on
loopback) and a sidecar whose host config points at a test adb key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import msgspec
import pytest

from sidecar_devkit.client import SidecarProcess
from sidecar_devkit.emulate.android import PROFILES as ANDROID_PROFILES
from sidecar_devkit.emulate.android import running_adbd
from sidecar_devkit.emulate.android.profiles import AuthPolicy
from sidecar_devkit.emulate.ios import running_ios

# Device timeouts short enough that hang tests take seconds, long enough for a loaded 2-core machine.
DEVICE_TIMEOUT_S = 3.0
# Where no adb server listens (connections are refused): the sidecars these tests start look there
# unless a test starts its own server, so a server the machine happens to run never leaks in.
NO_ADB_SERVER = "tcp:127.0.0.1:1"


@pytest.fixture(autouse=True)
def no_stray_adb_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADB_SERVER_SOCKET", NO_ADB_SERVER)
    for name in ("ANDROID_ADB_SERVER_PORT", "ANDROID_ADB_SERVER_ADDRESS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def adb_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This host's adb key pair (adbkey, adbkey.pub), made once: a device 'trusts' it by listing the public half."""
    from adb_shell.auth.keygen import keygen

    path = tmp_path_factory.mktemp("adb") / "adbkey"
    keygen(str(path))
    return path


@pytest.fixture
def android(adb_key: Path) -> Iterator[Callable[..., object]]:
    """Start an emulated Android device from a profile name; by default it already trusts this host's key."""
    with ExitStack() as stack:

        def start(profile: str = "pixel", trusted: bool = True, **changes: object):
            base = ANDROID_PROFILES[profile]
            auth = AuthPolicy(trusted_keys=(adb_key.with_suffix(".pub").read_text(),) if trusted else ())
            return stack.enter_context(running_adbd(msgspec.structs.replace(base, auth=auth, **changes)))

        yield start


@pytest.fixture
def ios() -> Iterator[Callable[..., object]]:
    with ExitStack() as stack:
        yield lambda profile="paired": stack.enter_context(running_ios(profile))


@pytest.fixture
def device_sidecar(spawn, policy: dict, adb_key: Path) -> SidecarProcess:
    process = spawn(product=True)
    process.initialize(policy, config={"adb_key_path": str(adb_key), "device_timeout_s": DEVICE_TIMEOUT_S})
    return process


def android_ref(device) -> dict:
    return {"device_id": device.serial, "platform": "android", "hints": {"connection": "tcp", "address": device.serial}}


def ios_ref(device) -> dict:
    return {"device_id": device.udid, "platform": "ios", "hints": {"usbmux_address": device.usbmux_address}}
