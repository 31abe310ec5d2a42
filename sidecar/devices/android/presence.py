"""Which Android devices are there, and in what state: through the adb server, or directly.

Each function answers a full list of :class:`DeviceSummary` with the ``hints`` that reach
each device. A ready device is asked for its model and Android version (one allowlisted
``getprop``); ``Seen`` remembers those per connection so a watch does not ask again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import anyio

from ...hostconfig import HostConfig
from ...protocol.errors import RpcError
from ..types import ConnectionHints, DeviceRef, DeviceState, DeviceSummary, Warning
from . import commands, parse
from .adb import open_session
from .adbserver.address import ServerAddress
from .adbserver.listing import ONLINE, ServerDevice

log = logging.getLogger(__name__)

Lock = Callable[[str], AbstractAsyncContextManager[object]]  # a device id -> its per-device lock
Identity = tuple[str | None, str | None]  # (model, Android version)
_DETAIL_STATES: dict[str, DeviceState] = {"unauthorized": "unauthorized"}
_ERROR_STATES: dict[str, DeviceState] = {"device_unauthorized": "unauthorized", "usb_permission_denied": "no_permission", "device_busy": "busy"}


class Seen:
    """Model and version of ready devices, per connection (serial + adb transport id), for watches."""

    def __init__(self) -> None:
        self._identities: dict[tuple[str, object], Identity] = {}

    def get(self, key: tuple[str, object]) -> Identity | None:
        return self._identities.get(key)

    def keep_only(self, keys: set[tuple[str, object]]) -> None:
        for key in set(self._identities) - keys:
            del self._identities[key]

    def remember(self, key: tuple[str, object], identity: Identity) -> None:
        self._identities[key] = identity

    def forget(self, key: tuple[str, object]) -> None:
        self._identities.pop(key, None)


async def _identity(ref: DeviceRef, config: HostConfig) -> Identity:
    async with open_session(ref, config) as session:
        props = parse.getprop_listing(await session.run(commands.GETPROP_ALL))
    return props.get("ro.product.model"), props.get("ro.build.version.release")


async def summarise(ref: DeviceRef, config: HostConfig, seen: Seen, key: tuple[str, object]) -> DeviceSummary:
    """A device the transport says is there: ready with its identity, or the state its error tells."""
    identity = seen.get(key)
    if identity is None:
        try:
            identity = await _identity(ref, config)
        except RpcError as error:
            state = _ERROR_STATES.get(error.kind, "offline")
            return DeviceSummary(ref.device_id, "android", ref.hints.connection, None, None, state, ref.hints, error.data.message)
        seen.remember(key, identity)
    return DeviceSummary(ref.device_id, "android", ref.hints.connection, *identity, "ready", ref.hints)


# ---- through the adb server


def server_hints(device: ServerDevice, address: ServerAddress) -> ConnectionHints:
    on_tcp = not device.on_usb and _is_host_port(device.serial)
    return ConnectionHints(connection="usb" if device.on_usb else "tcp", address=device.serial if on_tcp else None, adb_server=address.spec)


def _is_host_port(serial: str) -> bool:
    host, sep, port = serial.rpartition(":")
    return bool(sep and host and port.isdigit())


async def from_server(devices: list[ServerDevice], address: ServerAddress, config: HostConfig, seen: Seen) -> list[DeviceSummary]:
    """Summaries of what the server lists; ready ones are asked for their identity, all at once."""
    found: list[DeviceSummary] = []
    seen.keep_only({(d.serial, d.transport_id) for d in devices if d.state == ONLINE})

    async def one(device: ServerDevice) -> None:
        hints = server_hints(device, address)
        if device.state == ONLINE:
            ref = DeviceRef(device_id=device.serial, platform="android", hints=hints)
            found.append(await summarise(ref, config, seen, (device.serial, device.transport_id)))
            return
        state: DeviceState = "no_permission" if device.no_permission else _DETAIL_STATES.get(device.state, "offline")
        found.append(DeviceSummary(device.serial, "android", hints.connection, None, None, state, hints, device.state))

    async with anyio.create_task_group() as tg:
        for device in devices:
            tg.start_soon(one, device)
    return found


# ---- directly (no adb server)


async def from_usb(config: HostConfig, seen: Seen, lock: Lock) -> tuple[list[DeviceSummary], list[Warning]]:
    """Android devices on USB found by libusb; each new one is opened (under its lock) once."""
    try:
        serials = await anyio.to_thread.run_sync(_usb_serials)
    except Exception as exc:  # noqa: BLE001 (libusb missing: OSError; failing to enumerate: usb1.USBError, an Exception)
        log.info("USB enumeration failed: %r", exc)
        return [], [Warning("backend_unavailable", f"Android phones on USB cannot be listed here (libusb: {exc})")]
    seen.keep_only({(serial, "usb") for serial in serials})
    found = []
    for serial in serials:
        async with lock(serial):
            found.append(await summarise(DeviceRef(device_id=serial, platform="android"), config, seen, (serial, "usb")))
    return found, []


def _usb_serials() -> list[str]:
    from adb_shell.transport.usb_transport import (
        UsbTransport,  # needs libusb1; imported on first use
    )

    serials = []
    for transport in UsbTransport.find_all_adb_devices():
        try:
            serials.append(transport.serial_number)
        except Exception as exc:  # noqa: BLE001 (usb1.USBErrorAccess, an Exception: no permission to read the serial)
            log.info("cannot read the serial of %s: %r", transport.usb_info, exc)
    return serials


async def from_tcp(addresses: list[str], config: HostConfig, seen: Seen) -> list[DeviceSummary]:
    found: list[DeviceSummary] = []

    async def one(address: str) -> None:
        ref = DeviceRef(device_id=address, platform="android", hints=ConnectionHints(connection="tcp", address=address))
        found.append(await summarise(ref, config, seen, (address, "tcp")))

    async with anyio.create_task_group() as tg:
        for address in addresses:
            tg.start_soon(one, address)
    return found


async def tcp_reachable(address: str, timeout_s: float) -> bool:
    """Whether anything accepts connections at ``address`` (cheaper than a session, for polling)."""
    host, _, port = address.rpartition(":")
    with anyio.move_on_after(timeout_s):
        try:
            stream = await anyio.connect_tcp(host.strip("[]"), int(port))
        except OSError:
            return False
        await stream.aclose()
        return True
    return False
