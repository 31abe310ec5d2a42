"""Which iOS devices usbmuxd sees, and in what state; and its ``Listen`` stream of attach/detach events.

usbmuxd numbers attached devices (``DeviceID``) and tells each ``Attached`` and
``Detached`` to clients that sent ``Listen``. A summary opens lockdown once per device
(``ready`` when paired, else ``unpaired``) and is kept while the device stays attached.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio

from ...hostconfig import HostConfig
from ...protocol.errors import RpcError
from ..types import (
    Connection,
    ConnectionHints,
    DeviceRef,
    DeviceState,
    DeviceSummary,
    Warning,
)
from .lockdown import USBMUXD_MISSING, open_lockdown, step, usbmux_address

log = logging.getLogger(__name__)

_ERROR_STATES: dict[str, DeviceState] = {"device_unauthorized": "unauthorized"}


@dataclass(frozen=True, slots=True)
class Attached:
    udid: str
    connection: Connection


class NoUsbmuxd(Exception):
    pass


def no_usbmuxd_warning(exc: BaseException) -> Warning:
    return Warning("backend_unavailable", f"iOS devices cannot be listed: no usbmuxd reachable ({exc}). {USBMUXD_MISSING}")


def _attached(device: Any) -> Attached:
    return Attached(device.serial, "usb" if getattr(device, "connection_type", "USB") == "USB" else "tcp")


async def attached(address_hint: str | None, timeout_s: float) -> list[Attached]:
    """What usbmuxd lists now (``ListDevices``), or ``NoUsbmuxd``."""
    from pymobiledevice3.usbmux import list_devices  # heavy: imported on first use

    try:
        devices = await step(list_devices(usbmux_address=usbmux_address(address_hint)), "usbmuxd", timeout_s)
    except RpcError as error:
        raise NoUsbmuxd(error.data.message) from error
    return [_attached(device) for device in devices]


async def listen(address_hint: str | None) -> AsyncIterator[list[Attached]]:
    """The attached devices after ``Listen`` and after every event, until usbmuxd goes away (``NoUsbmuxd``)."""
    from pymobiledevice3 import exceptions as pmd
    from pymobiledevice3.usbmux import create_mux

    try:
        mux = await create_mux(usbmux_address=usbmux_address(address_hint))
    except (pmd.PyMobileDevice3Exception, OSError) as exc:
        raise NoUsbmuxd(f"{type(exc).__name__}: {exc}") from exc
    try:
        await mux.listen()
        # usbmuxd answers Listen with one Attached per device already there; ListDevices on another
        # connection says how many, so the first list is complete before it is given.
        expected = {a.udid for a in await attached(address_hint, 5.0)}
        while not expected <= {d.serial for d in mux.devices}:
            await mux.receive_device_state_update()
        yield [_attached(d) for d in mux.devices]
        while True:
            await mux.receive_device_state_update()
            yield [_attached(d) for d in mux.devices]
    except (pmd.PyMobileDevice3Exception, OSError, EOFError) as exc:
        raise NoUsbmuxd(f"usbmuxd closed the connection ({type(exc).__name__}: {exc})") from exc
    finally:
        with anyio.CancelScope(shield=True):
            await mux.close()


async def summarise(device: Attached, address_hint: str | None, config: HostConfig) -> DeviceSummary:
    hints = ConnectionHints(connection="usb", usbmux_address=address_hint)
    ref = DeviceRef(device_id=device.udid, platform="ios", hints=hints)
    try:
        async with open_lockdown(ref, config) as lockdown:
            values = await step(lockdown.get_value(), device.udid, config.device_timeout_s)
            state: DeviceState = "ready" if lockdown.paired else "unpaired"
    except RpcError as error:
        return DeviceSummary(device.udid, "ios", device.connection, None, None, _ERROR_STATES.get(error.kind, "offline"), hints, error.data.message)
    return DeviceSummary(device.udid, "ios", device.connection, values.get("ProductType"), values.get("ProductVersion"), state, hints)


async def summaries(devices: list[Attached], address_hint: str | None, config: HostConfig, known: dict[str, DeviceSummary]) -> list[DeviceSummary]:
    """Summaries of ``devices``, reusing ``known`` ones (updated in place: devices gone are dropped)."""
    for udid in set(known) - {d.udid for d in devices}:
        del known[udid]

    async def one(device: Attached) -> None:
        known[device.udid] = await summarise(device, address_hint, config)

    async with anyio.create_task_group() as tg:
        for device in devices:
            if device.udid not in known:
                tg.start_soon(one, device)
    return [known[d.udid] for d in devices if d.udid in known]
