"""Every way a phone can be out of reach gives a clear error kind with a suggestion, never internal_error.

libusb's failures need a USB device, and this machine has no USB bus: those tests raise the real
python-libusb1 exception classes into the sidecar's translation (the only stand-in here). The rest
is real: a process really holding a file, libusb really missing (hidden in a private mount
namespace), usbmuxd really absent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import usb1
from adb_shell import exceptions as adb_exceptions

from sidecar.devices.android import usbholders
from sidecar.devices.android.adb import device_error, server_error
from sidecar.devices.android.adbserver.client import NoServer, ServerLost, ServerRefused
from sidecar_devkit.client import SidecarError, SidecarProcess

from ..conftest import PRODUCT_ARGV, REPO
from .adbserver import AdbServer

LABEL = "USB device 28161FDH2001YK"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (usb1.USBErrorAccess(), "usb_permission_denied"),
        (usb1.USBErrorBusy(), "device_busy"),
        (usb1.USBErrorNoDevice(), "device_not_found"),
        (usb1.USBErrorNotFound(), "device_not_found"),
        (usb1.USBErrorNotSupported(), "dependency_missing"),
        (usb1.USBErrorTimeout(), "device_unavailable"),
        (usb1.USBErrorPipe(), "device_unavailable"),
        (usb1.USBErrorIO(), "device_unavailable"),
        (usb1.USBErrorOverflow(), "device_unavailable"),
        (usb1.USBErrorOther(), "device_unavailable"),
        (adb_exceptions.UsbReadFailedError("Could not receive data", usb1.USBErrorNoDevice()), "device_not_found"),
        (adb_exceptions.UsbWriteFailedError("Could not send data", usb1.USBErrorPipe()), "device_unavailable"),
        (adb_exceptions.UsbWriteFailedError("This transport has been closed, probably due to another being opened.", None), "device_unavailable"),
        (adb_exceptions.UsbDeviceNotFoundError("No device available"), "device_not_found"),
        (adb_exceptions.DeviceAuthError("auth failed"), "device_unauthorized"),
    ],
)
def test_libusb_and_adb_shell_failures_have_their_own_kinds(error: BaseException, kind: str) -> None:
    translated = device_error(error, LABEL)
    assert translated.kind == kind and translated.data.suggestion
    assert translated.data.retryable is (kind != "dependency_missing")


def test_no_permission_points_at_udev_rules_and_plugdev() -> None:
    suggestion = device_error(usb1.USBErrorAccess(), LABEL).data.suggestion
    assert "udev" in suggestion and "plugdev" in suggestion


def test_busy_without_a_known_holder_names_the_usual_suspect() -> None:
    message = device_error(usb1.USBErrorBusy(), LABEL).data.message
    assert "adb server" in message


def test_a_busy_device_held_by_an_adb_server_names_it(tmp_path: Path) -> None:
    # A real adb server holds its log file open: that file stands for the phone's /dev/bus/usb node.
    server = AdbServer(tmp_path / "home")
    try:
        log = str(tmp_path / "home" / "adb.0.log")  # adb writes its log to $TMPDIR/adb.$UID.log
        holders = usbholders.holders(log)
        assert [h.name for h in holders] == ["adb"]
        from sidecar.devices.android.adb import busy

        error = busy(LABEL, log)
        assert error.kind == "device_busy" and f"adb (pid {holders[0].pid})" in error.data.message
        assert "ANDROID_ADB_SERVER_PORT" in error.data.suggestion
    finally:
        server.kill()


def test_holders_of_a_file_nobody_opened_are_none(tmp_path: Path) -> None:
    (tmp_path / "idle").write_text("")
    assert usbholders.holders(str(tmp_path / "idle")) == []


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            ServerRefused(
                "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\nTry 'adb kill-server' if that seems wrong.\nOtherwise check for a confirmation dialog on your device."
            ),
            "device_unauthorized",
        ),
        (
            ServerRefused("no permissions (user in plugdev group; are your udev rules wrong?); see [http://developer.android.com/tools/device.html]"),
            "usb_permission_denied",
        ),
        (ServerRefused("insufficient permissions for device: user in plugdev group; are your udev rules wrong?"), "usb_permission_denied"),
        (ServerRefused("device 'R58M123' not found"), "device_not_found"),
        (ServerRefused("device offline"), "device_unavailable"),
        (ServerRefused("device still authorizing"), "device_unavailable"),
        (ServerRefused("closed"), "device_unavailable"),
        (ServerLost("no answer for 3 s"), "device_unavailable"),
        (NoServer("no adb server at tcp:5037"), "device_unavailable"),
    ],
)
def test_the_adb_servers_answers_have_their_own_kinds(error: BaseException, kind: str) -> None:
    # adb's FAIL messages, word for word from its transport.cpp (acquire_one_transport) and diagnose_usb.
    translated = server_error(error, "device R58M123")
    assert translated.kind == kind and translated.data.suggestion and translated.data.retryable


# ---- real absences


def without_libusb(argv: list[str]) -> list[str]:
    """``argv`` in a private mount namespace where libusb's library file is empty (as if broken or missing)."""
    lib = next(Path("/usr/lib").rglob("libusb-1.0.so.0"), None)
    assert lib is not None and shutil.which("unshare"), "libusb and unshare (util-linux) are installed by setup"
    script = f'mount --bind /dev/null "{lib.resolve()}" && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, "sh", *argv]


def test_without_libusb_listing_warns_and_direct_usb_is_dependency_missing(tmp_path: Path, policy: dict, adb_key: Path) -> None:
    check = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    assert check.returncode == 0, f"this machine cannot make a mount namespace: {check.stderr!r}"
    with open(tmp_path / "stderr.log", "wb") as stderr:
        sidecar = SidecarProcess(without_libusb(PRODUCT_ARGV), stderr=stderr, cwd=str(REPO))
    with sidecar:
        sidecar.initialize(policy, config={"adb_key_path": str(adb_key)})
        listing = sidecar.request("devices/list", {"usbmux_address": "127.0.0.1:1"})
        assert listing["devices"] == []
        assert any(w["code"] == "backend_unavailable" and "libusb" in w["message"] for w in listing["warnings"])
        with pytest.raises(SidecarError) as caught:
            sidecar.request("inspect/basic", {"device_id": "28161FDH2001YK", "platform": "android"})
        assert caught.value.kind == "dependency_missing" and "libusb" in caught.value.data["suggestion"]


def test_without_usbmuxd_ios_is_dependency_missing_and_says_what_to_install(device_sidecar) -> None:
    with pytest.raises(SidecarError) as caught:
        device_sidecar.request("inspect/basic", {"device_id": "00008110-000A1B2C3D4E5F60", "platform": "ios", "hints": {"usbmux_address": "127.0.0.1:1"}})
    assert caught.value.kind == "dependency_missing" and "usbmuxd" in caught.value.data["message"]
    assert "Apple Mobile Device Support" in caught.value.data["suggestion"]
