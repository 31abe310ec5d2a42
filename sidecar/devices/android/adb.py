"""A connection to an Android device that can run allowlisted commands and nothing else.

adb-shell's device object can push files, reboot, restart adbd as root and
install packages. The sidecar never hands that object out: :class:`AdbSession`
keeps it private and offers only :meth:`run` and :meth:`stream`, which take a
:class:`~sidecar.devices.android.commands.Command` (made only by the allowlist).

adb-shell is blocking, so each call runs in an anyio worker thread with
explicit timeouts (without ``transport_timeout_s`` a silent device blocks for
ever). Closing the session shuts the socket down first, which ends a worker
thread that was abandoned by cancellation (see :meth:`AdbSession.aclose`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio

from ...protocol.errors import RpcError
from ...server.session import HostConfig
from ..types import DeviceRef
from .commands import Command

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT_S = 5.0
DEFAULT_KEY_PATH = os.path.join("~", ".android", "adbkey")


class _WouldPrompt(Exception):
    """adb-shell is about to send our public key, which asks the user to trust this computer."""


class Unauthorized(RpcError):
    """The device has not authorised this computer (adb's "unauthorized" state)."""


class _NoPromptSigner:
    """Signs AUTH tokens with a key the device may already trust, and refuses to give out the
    public key: sending it makes the device show "Allow USB debugging?", and accepting that
    stores our key on the device. The sidecar never causes a change on a device."""

    def __init__(self, signer: Any) -> None:
        self._signer = signer

    def Sign(self, data: bytes) -> bytes:  # noqa: N802 (adb-shell's signer interface)
        return self._signer.Sign(data)

    def GetPublicKey(self) -> str:  # noqa: N802
        raise _WouldPrompt()


class AdbSession:
    def __init__(self, device: Any, label: str, timeout_s: float) -> None:
        self._device = device
        self.label = label
        self.timeout_s = timeout_s  # silence before the device counts as gone

    async def run(self, command: Command) -> str:
        """The command's output (stdout and stderr merged, as the plain shell service gives them)."""
        _require(command)
        output = await self._call(self._device.shell, command.line, transport_timeout_s=self.timeout_s, read_timeout_s=self.timeout_s, timeout_s=3 * self.timeout_s, decode=False)
        return output.decode("utf-8", "replace")

    async def stream(self, command: Command, window_s: float = 0.0) -> AsyncIterator[bytes]:
        """The command's output as it arrives, for long outputs such as logcat. ``window_s``
        extends the allowed silence (a following logcat may rightly say nothing for a while)."""
        _require(command)
        silence = self.timeout_s + window_s
        chunks = self._device.streaming_shell(command.line, transport_timeout_s=silence, read_timeout_s=silence, decode=False)
        while True:
            chunk = await self._call(next, chunks, None)
            if chunk is None:
                return
            yield chunk

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), abandon_on_cancel=True)
        except Exception as exc:
            raise device_error(exc, self.label) from exc

    async def aclose(self) -> None:
        """Close without ever blocking the event loop.

        A worker thread abandoned by cancellation (a following logcat cut by its duration) may
        still be reading, holding adb-shell's transport lock, and adb-shell's ``close()`` waits
        for that lock: up to the read timeout, which for a following logcat includes its whole
        duration. So the socket is aborted first (no lock needed), which ends that read at once;
        then adb-shell closes in a worker thread, shielded so that a cancelled caller still closes.
        """
        _abort_socket(self._device)
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(self._device.close)
            except OSError:
                pass


def _abort_socket(device: Any) -> None:
    """Shut down and close the device's socket under adb-shell's feet.

    Shutting down alone is not enough: adb-shell treats an empty read as "no data yet" and
    reads again until its timeout. On a closed socket its next ``select`` raises, and the
    reader thread ends (releasing the lock). The socket object's descriptor is -1 from then
    on, so a late call by that thread cannot touch a descriptor the kernel has reused.
    """
    # adb-shell 0.4.4 (pinned): AdbDeviceTcp._io_manager._transport is a TcpTransport whose socket
    # is ``_connection``. A USB transport has none; its close waits in the worker thread instead.
    transport = getattr(getattr(device, "_io_manager", None), "_transport", None)
    connection = getattr(transport, "_connection", None)
    if isinstance(connection, socket.socket):
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        connection.close()


@asynccontextmanager
async def open_session(ref: DeviceRef, config: HostConfig) -> AsyncIterator[AdbSession]:
    """Connect (and authenticate without ever prompting) to the device ``ref`` names."""
    from adb_shell.adb_device import AdbDeviceTcp  # heavy: imported on first use

    if ref.hints.connection == "tcp" or ref.hints.address:
        address = ref.hints.address or ref.device_id
        host, _, port = address.rpartition(":")
        device = AdbDeviceTcp(host.strip("[]"), int(port), default_transport_timeout_s=CONNECT_TIMEOUT_S)
        label = address
    else:
        device = _usb_device(ref.device_id)
        label = f"USB device {ref.device_id}"
    session = AdbSession(device, label, config.device_timeout_s)
    signers = _signers(config.adb_key_path)
    try:
        timeout = min(CONNECT_TIMEOUT_S, config.device_timeout_s)
        await session._call(device.connect, rsa_keys=signers or None, transport_timeout_s=timeout, auth_timeout_s=timeout, read_timeout_s=config.device_timeout_s)
        yield session
    finally:
        await session.aclose()


def _usb_device(serial: str) -> Any:
    try:
        from adb_shell.adb_device import AdbDeviceUsb

        return AdbDeviceUsb(serial=serial, default_transport_timeout_s=CONNECT_TIMEOUT_S)
    except Exception as exc:
        raise device_error(exc, f"USB device {serial}") from exc


def _signers(key_path: str | None) -> list[_NoPromptSigner]:
    """The host's adb key, read-only: from the configured path or adb's standard location."""
    from adb_shell.auth.sign_pythonrsa import PythonRSASigner

    path = os.path.expanduser(key_path or DEFAULT_KEY_PATH)
    try:
        return [_NoPromptSigner(PythonRSASigner.FromRSAKeyPath(path))]
    except (OSError, ValueError) as exc:
        log.info("no usable adb key at %s (%s); devices that require authorisation will be 'unauthorized'", path, exc)
        return []


def _require(command: Command) -> None:
    if not isinstance(command, Command):
        raise TypeError("only allowlisted commands may be sent to a device")


def device_error(exc: BaseException, label: str) -> RpcError:
    """Translate what adb-shell and sockets raise into the protocol's device errors."""
    from adb_shell import exceptions as adb

    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, _WouldPrompt | adb.DeviceAuthError):
        return Unauthorized(
            "device_unavailable",
            f"{label} has not authorised this computer for USB debugging",
            "Accept 'Allow USB debugging?' on the device once (for example with `adb devices`), then retry. The sidecar never shows that prompt itself.",
            retryable=True,
        )
    if isinstance(exc, adb.UsbDeviceNotFoundError):
        return RpcError("device_not_found", f"{label} is not connected", "Check the cable and that USB debugging is on.", retryable=True)
    if isinstance(exc, adb.InvalidTransportError):
        return RpcError("dependency_missing", f"USB access is not available: {exc}", "Connect the device over TCP (adb tcpip), or install USB support.")
    if isinstance(exc, ConnectionRefusedError | socket.gaierror):
        return RpcError("device_unavailable", f"cannot connect to {label}: {exc}", "Check the address and that ADB over network is enabled on the device.", retryable=True)
    if isinstance(exc, OSError | adb.AdbTimeoutError | adb.TcpTimeoutException | adb.AdbConnectionError | adb.InvalidResponseError | adb.InvalidChecksumError | adb.InvalidCommandError):
        return RpcError("device_unavailable", f"{label} stopped answering ({type(exc).__name__}: {exc})", "Check the connection to the device and retry.", retryable=True)
    log.exception("unexpected failure talking to %s", label)
    return RpcError("internal_error", f"unexpected failure talking to {label}", "Report this as a bug with the sidecar log.")
