"""A read-only lockdown connection to an iOS device through usbmuxd (pymobiledevice3).

Connects with ``autopair=False``: a device without a pair record for this host
answers what lockdown gives unpaired, and is never asked to pair. Pair records
come from usbmuxd or the host-configured folder, read-only; when no folder is
configured, pymobiledevice3 gets an empty temporary one so it can never write
into the user's home.

This module and ``inspect``/``logs`` call only read APIs: GetValue, StartSession,
StartService for diagnostics (IORegistry), MCInstall (GetCloudConfiguration,
GetProfileList), syslog relay, and the crash report copy service (listing and
reading, never erasing).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from ...hostconfig import HostConfig
from ...protocol.errors import RpcError
from ..types import DeviceRef

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_lockdown(ref: DeviceRef, config: HostConfig) -> AsyncIterator[Any]:
    from pymobiledevice3.lockdown import create_using_usbmux  # heavy: imported on first use

    address = usbmux_address(ref.hints.usbmux_address)
    with tempfile.TemporaryDirectory(prefix="sidecar-pair-") as scratch:
        records = Path(config.ios_pair_records_dir or scratch)
        lockdown = await step(
            create_using_usbmux(serial=ref.device_id, autopair=False, usbmux_address=address, pairing_records_cache_folder=records),
            ref.device_id,
            config.device_timeout_s,
        )
        try:
            yield lockdown
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(2):
                await lockdown.close()


USBMUXD_MISSING = (
    "Linux: install usbmuxd (Debian/Ubuntu: the usbmuxd package; plugging the iPhone in starts it). "
    "Windows: install Apple Mobile Device Support (it comes with Apple Devices or iTunes). macOS has it built in."
)


def usbmux_address(hint: str | None) -> str | None:
    """The usbmuxd to use: the call's hint, else $USBMUXD_SOCKET_ADDRESS, else the platform default (None)."""
    return hint or os.environ.get("USBMUXD_SOCKET_ADDRESS") or None


async def step(awaitable: Any, label: str, timeout: float) -> Any:  # noqa: ASYNC109 (the timeout and the error translation go together)
    """Await one device operation with a timeout, translating failures to protocol errors."""
    try:
        with anyio.fail_after(timeout):
            return await awaitable
    except TimeoutError as exc:
        raise RpcError("device_unavailable", f"iOS device {label} stopped answering", "Check the cable, unlock the device and retry.", retryable=True) from exc
    except Exception as exc:
        raise device_error(exc, label) from exc


def device_error(exc: BaseException, label: str) -> RpcError:
    from pymobiledevice3 import exceptions as pmd

    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, pmd.DeviceNotFoundError | pmd.NoDeviceConnectedError):
        return RpcError("device_not_found", f"iOS device {label} is not connected", "Connect the device and unlock it.", retryable=True)
    if isinstance(exc, pmd.ConnectionFailedToUsbmuxdError):
        return RpcError("dependency_missing", f"usbmuxd is not running, so iOS device {label} cannot be reached", USBMUXD_MISSING, retryable=True)
    if isinstance(exc, pmd.NotPairedError | pmd.NotTrustedError | pmd.InvalidHostIDError | pmd.UserDeniedPairingError | pmd.PairingDialogResponsePendingError):
        return RpcError(
            "device_unauthorized",
            f"iOS device {label} is not paired with this computer, or no longer trusts it ({type(exc).__name__})",
            "Unlock the iPhone, connect it once to Finder (macOS) or Apple Devices/iTunes (Windows) and tap Trust on "
            "'Trust This Computer?', then retry. The sidecar never pairs by itself.",
            retryable=True,
        )
    if isinstance(exc, pmd.PasswordRequiredError):
        return RpcError("device_unavailable", f"iOS device {label} is locked with a passcode", "Unlock the iPhone and retry.", retryable=True)
    if isinstance(exc, pmd.MuxException | pmd.ConnectionFailedError | pmd.ConnectionTerminatedError | OSError | EOFError):
        return RpcError(
            "device_unavailable",
            f"lost the connection to iOS device {label} ({type(exc).__name__}: {exc})",
            "Check the cable and that usbmuxd is running, then retry.",
            retryable=True,
        )
    if isinstance(exc, pmd.PyMobileDevice3Exception):
        return RpcError("device_unavailable", f"iOS device {label} refused: {type(exc).__name__}: {exc}", "Unlock the device and retry.", retryable=True)
    log.error("unexpected failure talking to %s", label, exc_info=exc)
    return RpcError("internal_error", f"unexpected failure talking to iOS device {label}", "Report this as a bug with the sidecar log.")
