"""A connection to an Android device that can run allowlisted commands and nothing else.

A device is reached one of three ways, and :func:`open_session` picks it from the hints:

* through the user's adb server (``hints.adb_server``, or a USB device while a server runs):
  the server owns the phone's USB interface, so the sidecar must go through it and never
  fight it for the interface. It is only ever asked to list devices and open shells;
* directly over TCP (``hints.address``), for legacy ``adb tcpip`` endpoints;
* directly over USB with adb-shell, only when no adb server runs.

:class:`AdbSession` is the one door for all three: it takes only a
:class:`~sidecar.devices.android.commands.Command` (made only by the allowlist) and never
hands out what is behind it (adb-shell's device object can push files, reboot, restart
adbd as root and install packages).

adb-shell is blocking, so each of its calls runs in an anyio worker thread with explicit
timeouts (without ``transport_timeout_s`` a silent device blocks for ever). Closing the
session shuts the socket down first, which ends a worker thread that was abandoned by
cancellation (see :meth:`_DirectChannel.aclose`).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any, Protocol, TypeVar

import anyio

from ...hostconfig import HostConfig
from ...protocol.errors import RpcError
from ..types import DeviceRef
from . import usbholders
from .adbserver import address as server_address
from .adbserver import client as server
from .commands import Command

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT_S = 5.0
DEFAULT_KEY_PATH = os.path.join("~", ".android", "adbkey")
ADB_SERVER_PROGRAMS = "Android Studio, platform-tools' adb, scrcpy or a vendor suite"


class _WouldPrompt(Exception):
    """adb-shell is about to send our public key, which asks the user to trust this computer."""


class _NoPromptSigner:
    """Signs AUTH tokens with a key the device may already trust, and refuses to give out the
    public key: sending it makes the device show "Allow USB debugging?", and accepting that
    stores our key on the device. The sidecar never causes a change on a device."""

    def __init__(self, signer: Any) -> None:
        self._signer = signer

    def Sign(self, data: bytes) -> bytes:  # noqa: N802 (adb-shell's signer interface)
        signature: bytes = self._signer.Sign(data)
        return signature

    def GetPublicKey(self) -> str:  # noqa: N802
        raise _WouldPrompt()


class _Channel(Protocol):
    """What carries commands to one device (adb-shell directly, or the adb server)."""

    async def run(self, command: Command) -> bytes: ...

    def stream(self, command: Command, silence_s: float) -> AsyncGenerator[bytes, None]: ...

    async def aclose(self) -> None: ...


class AdbSession:
    """Allowlisted commands on one device, whichever way it is reached."""

    def __init__(self, channel: _Channel, label: str, timeout_s: float, via: str) -> None:
        self._channel = channel
        self.label = label
        self.timeout_s = timeout_s  # silence before the device counts as gone
        self.via = via  # "adb server tcp:5037", "USB", "TCP": for logs and messages

    async def run(self, command: Command) -> str:
        """The command's output (stdout and stderr merged in arrival order, as the plain shell service gives them)."""
        _require(command)
        return (await self._channel.run(command)).decode("utf-8", "replace")

    async def stream(self, command: Command, window_s: float = 0.0) -> AsyncIterator[bytes]:
        """The command's output as it arrives, for long outputs such as logcat. ``window_s``
        extends the allowed silence (a following logcat may rightly say nothing for a while)."""
        _require(command)
        async with aclosing(self._channel.stream(command, self.timeout_s + window_s)) as chunks:
            async for chunk in chunks:
                yield chunk


# ---- directly, with adb-shell (USB, or a legacy TCP endpoint)


class _DirectChannel:
    def __init__(self, device: Any, label: str, timeout_s: float) -> None:
        self._device = device
        self._label = label
        self._timeout_s = timeout_s

    async def run(self, command: Command) -> bytes:
        _require(command)
        timeout = self._timeout_s
        output: bytes = await self._call(
            self._device.shell, command.line, transport_timeout_s=timeout, read_timeout_s=timeout, timeout_s=3 * timeout, decode=False
        )
        return output

    async def stream(self, command: Command, silence_s: float) -> AsyncGenerator[bytes, None]:
        _require(command)
        chunks = self._device.streaming_shell(command.line, transport_timeout_s=silence_s, read_timeout_s=silence_s, decode=False)
        while True:
            chunk = await self._call(next, chunks, None)
            if chunk is None:
                return
            yield chunk

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), abandon_on_cancel=True)
        except Exception as exc:
            raise device_error(exc, self._label, self._device) from exc

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
    connection = getattr(_transport(device), "_connection", None)
    if isinstance(connection, socket.socket):
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        connection.close()


def _transport(device: Any) -> Any:
    return getattr(getattr(device, "_io_manager", None), "_transport", None)


@asynccontextmanager
async def _direct(ref: DeviceRef, config: HostConfig) -> AsyncIterator[AdbSession]:
    """Connect (and authenticate without ever prompting) with adb-shell."""
    from adb_shell.adb_device import AdbDeviceTcp  # heavy: imported on first use

    if ref.hints.connection == "tcp" or ref.hints.address:
        address = ref.hints.address or ref.device_id
        host, _, port = address.rpartition(":")
        device = AdbDeviceTcp(host.strip("[]"), int(port), default_transport_timeout_s=CONNECT_TIMEOUT_S)
        label, via = address, "TCP"
    else:
        label, via = f"USB device {ref.device_id}", "USB"
        device = _usb_device(ref.device_id, label)
    channel = _DirectChannel(device, label, config.device_timeout_s)
    signers = _signers(config.adb_key_path)
    try:
        timeout = min(CONNECT_TIMEOUT_S, config.device_timeout_s)
        await channel._call(
            device.connect, rsa_keys=signers or None, transport_timeout_s=timeout, auth_timeout_s=timeout, read_timeout_s=config.device_timeout_s
        )
        yield AdbSession(channel, label, config.device_timeout_s, via)
    finally:
        await channel.aclose()


def _usb_device(serial: str, label: str) -> Any:
    try:
        from adb_shell.adb_device import AdbDeviceUsb

        return AdbDeviceUsb(serial=serial, default_transport_timeout_s=CONNECT_TIMEOUT_S)
    except Exception as exc:
        raise device_error(exc, label) from exc


def _signers(key_path: str | None) -> list[_NoPromptSigner]:
    """The host's adb key, read-only: from the configured path or adb's standard location."""
    from adb_shell.auth.sign_pythonrsa import PythonRSASigner

    path = os.path.expanduser(key_path or DEFAULT_KEY_PATH)
    try:
        return [_NoPromptSigner(PythonRSASigner.FromRSAKeyPath(path))]
    except (OSError, ValueError) as exc:
        log.info("no usable adb key at %s (%s); devices that require authorisation will be 'unauthorized'", path, exc)
        return []


# ---- through the user's adb server


class _ServerChannel:
    def __init__(self, shell: server.ServerShell, label: str, timeout_s: float) -> None:
        self._shell = shell
        self._label = label
        self._timeout_s = timeout_s

    async def run(self, command: Command) -> bytes:
        output = bytearray()
        with anyio.move_on_after(3 * self._timeout_s) as scope:
            async for chunk in self.stream(command, self._timeout_s):
                output += chunk
        if scope.cancelled_caught:
            raise RpcError(
                "device_unavailable",
                f"{self._label} did not finish `{command.line}` in {3 * self._timeout_s:g} s",
                "Check the connection to the device and retry.",
                retryable=True,
            )
        return bytes(output)

    async def stream(self, command: Command, silence_s: float) -> AsyncGenerator[bytes, None]:
        try:
            async with aclosing(self._shell.output(command, silence_s)) as chunks:
                async for chunk in chunks:
                    yield chunk
        except (server.NoServer, server.ServerRefused, server.ServerLost) as exc:
            raise server_error(exc, self._label) from exc

    async def aclose(self) -> None:
        pass  # every command had its own connection, closed when it ended


def configured_server(config: HostConfig) -> server_address.ServerAddress:
    """The adb server this sidecar looks for: the host's setting, else adb's own environment rules."""
    try:
        return server_address.resolve(os.environ, config.adb_server)
    except server_address.BadAddress as exc:
        raise RpcError(
            "invalid_target",
            f"the adb server address is not valid: {exc}",
            "Fix $ADB_SERVER_SOCKET / $ANDROID_ADB_SERVER_PORT or the host's adb_server setting.",
        ) from exc


@asynccontextmanager
async def _through_server(ref: DeviceRef, address: server_address.ServerAddress, config: HostConfig) -> AsyncIterator[AdbSession]:
    label = f"device {ref.device_id} (through the adb server at {address.spec})"
    try:
        features = await server.features(address, ref.device_id, config.device_timeout_s)
    except (server.NoServer, server.ServerRefused, server.ServerLost) as exc:
        raise server_error(exc, label) from exc
    shell = server.ServerShell(address, ref.device_id, "shell_v2" in features)
    yield AdbSession(_ServerChannel(shell, label, config.device_timeout_s), label, config.device_timeout_s, f"adb server {address.spec}")


# ---- choosing the way


@asynccontextmanager
async def open_session(ref: DeviceRef, config: HostConfig) -> AsyncIterator[AdbSession]:
    """A session on the device ``ref`` names, reached the way its hints say (see the module doc)."""
    if ref.hints.adb_server:
        address = server_address.parse(ref.hints.adb_server)
        async with _through_server(ref, address, config) as session:
            yield session
        return
    if ref.hints.connection == "usb" and not ref.hints.address:
        address = configured_server(config)
        if await server.is_running(address):
            async with _through_server(ref, address, config) as session:
                yield session
            return
    async with _direct(ref, config) as session:
        yield session


def _require(command: Command) -> None:
    if not isinstance(command, Command):
        raise TypeError("only allowlisted commands may be sent to a device")


# ---- errors


def unauthorized(label: str) -> RpcError:
    return RpcError(
        "device_unauthorized",
        f"{label} has not authorised this computer for USB debugging",
        "Unlock the phone and accept 'Allow USB debugging?' (tick 'Always allow from this computer'), then retry. "
        "If no prompt shows, unplug and replug the cable, or revoke USB debugging authorisations in Developer options "
        "and replug. The sidecar never shows that prompt itself.",
        retryable=True,
    )


def usb_permission_denied(label: str, detail: str) -> RpcError:
    return RpcError(
        "usb_permission_denied",
        f"this user may not open {label} ({detail})",
        "On Linux, install udev rules for Android phones (Debian/Ubuntu: the android-sdk-platform-tools-common package, "
        "or a 51-android.rules file), make sure your user is in the plugdev group, then unplug and replug the phone.",
        retryable=True,
    )


def busy(label: str, node: str | None) -> RpcError:
    held_by = usbholders.holders(node) if node else []
    servers = [holder for holder in held_by if holder.name == "adb"]
    if servers:
        return RpcError(
            "device_busy",
            f"{label} is held by an adb server ({', '.join(map(str, servers))}) that is not at the address the sidecar looks at",
            "Point the sidecar at that adb server: set ANDROID_ADB_SERVER_PORT (or the host's adb_server setting) to the port it listens on, "
            "or close the program that started it, then retry.",
            retryable=True,
        )
    who = ", ".join(map(str, held_by)) or f"another program, usually an adb server ({ADB_SERVER_PROGRAMS})"
    return RpcError(
        "device_busy",
        f"{label}'s USB debugging interface is held by {who}",
        "Close that program, or let the sidecar use its adb server: set ANDROID_ADB_SERVER_PORT or the host's adb_server setting. Then retry.",
        retryable=True,
    )


def server_error(exc: BaseException, label: str) -> RpcError:
    """Translate the adb server's answers into the protocol's device errors (adb's own words kept)."""
    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, server.NoServer):
        return RpcError(
            "device_unavailable",
            f"cannot reach {label}: {exc}",
            "Start the program that runs the adb server (or `adb start-server`), or list devices again.",
            retryable=True,
        )
    if isinstance(exc, server.ServerLost):
        return RpcError("device_unavailable", f"lost {label}: {exc}", "Check the cable and that the adb server still runs, then retry.", retryable=True)
    message = exc.message if isinstance(exc, server.ServerRefused) else str(exc)
    first = message.strip().splitlines()[0] if message.strip() else "refused"
    if message.startswith("device unauthorized"):
        return unauthorized(label)
    if message.startswith(("no permissions", "insufficient permissions")):
        return usb_permission_denied(label, first)
    if "not found" in first or first.startswith("no devices"):
        return RpcError(
            "device_not_found", f"{label} is not connected: {first}", "Check the cable and that USB debugging is on, then list devices again.", retryable=True
        )
    if first.startswith(("device offline", "device still")):
        return RpcError("device_unavailable", f"{label} is not ready: {first}", "Wait a moment (or replug the cable), then retry.", retryable=True)
    return RpcError("device_unavailable", f"{label} refused: {first}", "Check the phone (unlocked, USB debugging on), then retry.", retryable=True)


def device_error(exc: BaseException, label: str, device: Any = None) -> RpcError:
    """Translate what adb-shell, libusb and sockets raise into the protocol's device errors."""
    from adb_shell import exceptions as adb

    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, _WouldPrompt | adb.DeviceAuthError):
        return unauthorized(label)
    usb_error = _usb_error(exc, label, device)
    if usb_error is not None:
        return usb_error
    if isinstance(exc, adb.UsbDeviceNotFoundError):
        return RpcError("device_not_found", f"{label} is not connected", "Check the cable and that USB debugging is on.", retryable=True)
    if isinstance(exc, adb.InvalidTransportError):
        return RpcError(
            "dependency_missing", f"USB access is not available: {exc}", "Connect the device over TCP (adb tcpip), or install libusb (Debian: libusb-1.0-0)."
        )
    if isinstance(exc, ConnectionRefusedError | socket.gaierror):
        return RpcError(
            "device_unavailable", f"cannot connect to {label}: {exc}", "Check the address and that ADB over network is enabled on the device.", retryable=True
        )
    if isinstance(
        exc,
        OSError
        | adb.AdbTimeoutError
        | adb.TcpTimeoutException
        | adb.AdbConnectionError
        | adb.InvalidResponseError
        | adb.InvalidChecksumError
        | adb.InvalidCommandError
        | adb.UsbReadFailedError
        | adb.UsbWriteFailedError,
    ):
        return RpcError(
            "device_unavailable", f"{label} stopped answering ({type(exc).__name__}: {exc})", "Check the connection to the device and retry.", retryable=True
        )
    log.error("unexpected failure talking to %s", label, exc_info=exc)
    return RpcError("internal_error", f"unexpected failure talking to {label}", "Report this as a bug with the sidecar log.")


def _usb_error(exc: BaseException, label: str, device: Any) -> RpcError | None:
    """libusb's errors (python-libusb1's ``USBError`` subclasses), raised bare or wrapped by adb-shell."""
    usb1 = sys.modules.get("usb1")  # loaded only if USB was used
    if usb1 is None:
        return None
    # adb-shell's UsbReadFailedError keeps it as ``usb_error``, its UsbWriteFailedError only in ``args``.
    cause = getattr(exc, "usb_error", None) or next((arg for arg in exc.args if isinstance(arg, usb1.USBError)), exc)
    if not isinstance(cause, usb1.USBError):
        return None
    if isinstance(cause, usb1.USBErrorAccess):
        return usb_permission_denied(label, "libusb: access denied")
    if isinstance(cause, usb1.USBErrorBusy):
        return busy(label, _usb_node(device))
    if isinstance(cause, usb1.USBErrorNoDevice | usb1.USBErrorNotFound):
        return RpcError("device_not_found", f"{label} was unplugged ({type(cause).__name__})", "Check the cable, replug the phone and retry.", retryable=True)
    if isinstance(cause, usb1.USBErrorNotSupported):
        return RpcError(
            "dependency_missing",
            f"the USB driver for {label} does not allow direct access ({type(cause).__name__})",
            "On Windows, install the phone maker's (or Google's) USB driver, or use the adb server from platform-tools.",
        )
    return RpcError(
        "device_unavailable",
        f"USB transfer with {label} failed ({type(cause).__name__}: {cause})",
        "Replug the phone (preferably into another port or cable) and retry.",
        retryable=True,
    )


def _usb_node(device: Any) -> str | None:
    """``/dev/bus/usb/BBB/DDD`` of an adb-shell USB device, where holders can be looked up."""
    usb = getattr(_transport(device), "_device", None)
    if usb is None:  # not a USB transport
        return None
    return f"/dev/bus/usb/{usb.getBusNumber():03d}/{usb.getDeviceAddress():03d}"
