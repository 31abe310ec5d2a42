"""A fake usbmuxd on loopback TCP, speaking the plist protocol (version 1).

Clients reach it with ``USBMUXD_SOCKET_ADDRESS=127.0.0.1:PORT`` (libusbmuxd and
pymobiledevice3 both honour it). Answers echo the request tag; device events
sent after ``Listen`` carry tag 0, as usbmuxd's do: one ``Attached`` per device
present, then ``Attached``/``Detached`` as devices are plugged in and out
(:meth:`Usbmuxd.attach`, :meth:`Usbmuxd.detach`). A listening connection carries
nothing else. After ``Connect`` answers Result 0 the socket is no longer usbmux:
it carries the device port's protocol.
"""

from __future__ import annotations

import logging
import plistlib
import socket
from collections.abc import Mapping
from typing import Any

import anyio
from anyio.abc import ByteStream
from anyio.streams.memory import MemoryObjectSendStream

from sidecar_devkit.emulate.ios.device import Channel, EmulatedDevice, Handler
from sidecar_devkit.emulate.ios.record import Received, Recorder
from sidecar_devkit.emulate.ios.wire import (
    USBMUX_MESSAGE_PLIST,
    USBMUX_VERSION_PLIST,
    UsbmuxDecoder,
    UsbmuxPacket,
    WireError,
    encode_usbmux_plist,
)

logger = logging.getLogger(__name__)

# usbmuxd result numbers.
RESULT_OK = 0
RESULT_BADCOMMAND = 1
RESULT_BADDEV = 2
RESULT_CONNREFUSED = 3

# Requests that only read; anything else is recorded as refused.
READ_ONLY = frozenset({"ListDevices", "Listen", "ReadBUID", "ReadPairRecord", "Connect"})

BUID = "7D1F4E2A-93B6-4C58-A0E1-5B8C2D6F9A31"

Tunnel = tuple[Handler, EmulatedDevice]
CLIENT_GONE = (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError)


def _result(number: int) -> dict[str, Any]:
    return {"MessageType": "Result", "Number": number}


def attached_message(device: EmulatedDevice) -> dict[str, Any]:
    profile = device.profile
    return {
        "DeviceID": device.device_id,
        "MessageType": "Attached",
        "Properties": {
            "ConnectionSpeed": 480_000_000,
            "ConnectionType": "USB",
            "DeviceID": device.device_id,
            "LocationID": profile.location_id,
            "ProductID": profile.product_id,
            "SerialNumber": profile.udid,
            "USBSerialNumber": profile.udid.replace("-", ""),
        },
    }


def detached_message(device_id: int) -> dict[str, Any]:
    return {"DeviceID": device_id, "MessageType": "Detached"}


class Usbmuxd:
    def __init__(self, devices: Mapping[int, EmulatedDevice], recorder: Recorder) -> None:
        self._devices = dict(devices)
        self._recorder = recorder
        self._listeners: set[MemoryObjectSendStream[dict[str, Any]]] = set()

    def attach(self, device: EmulatedDevice) -> None:
        """The device is plugged in: listed from now on, and announced to listeners."""
        self._devices[device.device_id] = device
        self._announce(attached_message(device))

    def detach(self, device_id: int) -> None:
        """The device is unplugged."""
        if self._devices.pop(device_id, None) is not None:
            self._announce(detached_message(device_id))

    def _announce(self, message: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener.send_nowait(message)
            except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._listeners.discard(listener)  # a listener that stopped reading is dropped, as usbmuxd drops it

    async def handle(self, stream: ByteStream) -> None:
        """Serve one client connection until it closes, tunnelling into a device after a Connect."""
        async with stream:
            decoder = UsbmuxDecoder()
            try:
                handler, device = await self._serve_until_connect(stream, decoder)
                await handler(Channel(stream, decoder.take_rest()), device)
            except CLIENT_GONE:
                logger.debug("usbmux client went away")
            except WireError as exc:
                logger.warning("client sent garbage, dropping it: %s", exc)
            except Exception:
                # One connection's failure must not take the other clients' device away.
                logger.exception("emulated device failed serving a client; dropping the connection")

    async def _serve_until_connect(self, stream: ByteStream, decoder: UsbmuxDecoder) -> Tunnel:
        while True:
            decoder.feed(await stream.receive())
            while (packet := decoder.next_packet()) is not None:
                tunnel = await self._answer(stream, packet)
                if tunnel is not None:
                    return tunnel

    async def _answer(self, stream: ByteStream, packet: UsbmuxPacket) -> Tunnel | None:
        if packet.version != USBMUX_VERSION_PLIST or packet.message != USBMUX_MESSAGE_PLIST:
            # Only binary-protocol clients send these; every current client speaks plist.
            self._record(f"binary:{packet.message}", refused=True)
            await stream.send(encode_usbmux_plist(packet.tag, _result(RESULT_BADCOMMAND)))
            return None
        request = packet.plist()
        message_type = str(request.get("MessageType"))
        if message_type == "Connect":
            return await self._connect(stream, packet.tag, request)
        self._record(message_type, udid=request.get("PairRecordID"), refused=message_type not in READ_ONLY)
        await stream.send(encode_usbmux_plist(packet.tag, self._reply(message_type, request)))
        if message_type == "Listen":
            await self._listen(stream)
        return None

    async def _listen(self, stream: ByteStream) -> None:
        """Tell the devices present, then every change, until the client hangs up."""
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](max_buffer_size=64)
        self._listeners.add(send)
        try:
            for device in list(self._devices.values()):
                await stream.send(encode_usbmux_plist(0, attached_message(device)))
            async with anyio.create_task_group() as tg:
                tg.start_soon(_until_hangup, stream, tg.cancel_scope)
                async for message in receive:
                    await stream.send(encode_usbmux_plist(0, message))
        finally:
            self._listeners.discard(send)
            send.close()
            receive.close()

    def _reply(self, message_type: str, request: dict[str, Any]) -> dict[str, Any]:
        match message_type:
            case "ListDevices":
                return {"DeviceList": [attached_message(d) for d in self._devices.values()]}
            case "Listen":
                return _result(RESULT_OK)
            case "ReadBUID":
                return {"BUID": BUID}
            case "ReadPairRecord":
                return self._pair_record(str(request.get("PairRecordID")))
            case _:
                return _result(RESULT_BADCOMMAND)

    def _pair_record(self, udid: str) -> dict[str, Any]:
        for device in self._devices.values():
            record = device.profile.pair_record()
            if _same_udid(device.udid, udid) and record is not None:
                return {"PairRecordData": plistlib.dumps(record)}
        # usbmuxd answers a missing record with a bare error result.
        return _result(RESULT_BADDEV)

    async def _connect(self, stream: ByteStream, tag: int, request: dict[str, Any]) -> Tunnel | None:
        port = socket.ntohs(int(request.get("PortNumber", 0)) & 0xFFFF)  # sent in network byte order
        device = self._devices.get(request.get("DeviceID", -1))
        self._record("Connect", udid=device.udid if device else None, argument=str(port))
        handler = device.accept(port) if device else None
        if device is None or handler is None:
            await stream.send(encode_usbmux_plist(tag, _result(RESULT_CONNREFUSED if device else RESULT_BADDEV)))
            return None
        await stream.send(encode_usbmux_plist(tag, _result(RESULT_OK)))
        return handler, device

    def _record(self, request: str, *, udid: str | None = None, argument: str | None = None, refused: bool = False) -> None:
        self._recorder.add(Received("usbmux", request, udid=udid, argument=argument, refused=refused))


async def _until_hangup(stream: ByteStream, scope: anyio.CancelScope) -> None:
    try:
        while await stream.receive():
            pass  # a listening client sends nothing more; whatever it sends is ignored
    except CLIENT_GONE:
        pass
    scope.cancel()


def _same_udid(a: str, b: str) -> bool:
    return a.replace("-", "") == b.replace("-", "")
