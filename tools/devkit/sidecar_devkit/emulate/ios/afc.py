"""A read-only AFC server over a profile's crash reports (``com.apple.crashreportcopymobile``).

Implements the opcodes a client needs to list and pull files: READ_DIR,
GET_FILE_INFO, GET_DEVINFO, FILE_OPEN (read-only mode), READ and FILE_CLOSE
(opcode names as pymobiledevice3 spells them). Every other opcode, including
all writes and removals, is recorded as refused and answered PERM_DENIED.
"""

from __future__ import annotations

import posixpath
import struct
from collections.abc import Callable, Iterable
from enum import IntEnum

from sidecar_devkit.emulate.ios.device import Channel, EmulatedDevice
from sidecar_devkit.emulate.ios.profile import CrashFile
from sidecar_devkit.emulate.ios.record import Received
from sidecar_devkit.emulate.ios.wire import (
    AfcDecoder,
    AfcPacket,
    WireError,
    afc_key_values,
    afc_strings,
    encode_afc,
)

SERVICE = "com.apple.crashreportcopymobile"

U64 = struct.Struct("<Q")
U64_PAIR = struct.Struct("<QQ")


class AfcOp(IntEnum):
    STATUS = 0x01
    DATA = 0x02
    READ_DIR = 0x03
    READ_FILE = 0x04
    WRITE_FILE = 0x05
    WRITE_PART = 0x06
    TRUNCATE = 0x07
    REMOVE_PATH = 0x08
    MAKE_DIR = 0x09
    GET_FILE_INFO = 0x0A
    GET_DEVINFO = 0x0B
    WRITE_FILE_ATOM = 0x0C
    FILE_OPEN = 0x0D
    FILE_OPEN_RES = 0x0E
    READ = 0x0F
    WRITE = 0x10
    FILE_SEEK = 0x11
    FILE_TELL = 0x12
    FILE_TELL_RES = 0x13
    FILE_CLOSE = 0x14
    FILE_SET_SIZE = 0x15
    GET_CON_INFO = 0x16
    SET_CON_OPTIONS = 0x17
    RENAME_PATH = 0x18
    SET_FS_BS = 0x19
    SET_SOCKET_BS = 0x1A
    FILE_LOCK = 0x1B
    MAKE_LINK = 0x1C
    SET_FILE_TIME = 0x1E


class AfcStatus(IntEnum):
    SUCCESS = 0
    READ_ERROR = 4
    INVALID_ARG = 7
    OBJECT_NOT_FOUND = 8
    OBJECT_IS_DIR = 9
    PERM_DENIED = 10


MODE_READ_ONLY = 1


def _normalize(path: str) -> str:
    return posixpath.normpath("/" + path.lstrip("/")) if path.strip("/") else "/"


class CrashTree:
    """The crash report directory: files from the profile, directories implied by their paths."""

    def __init__(self, files: Iterable[CrashFile]) -> None:
        self.files = {_normalize(f.path): f for f in files}
        self.dirs: dict[str, set[str]] = {"/": set()}
        for path in self.files:
            self._link(path)
        self.newest_ns = max((f.mtime_ns for f in self.files.values()), default=0)

    def _link(self, path: str) -> None:
        parent = posixpath.dirname(path)
        self.dirs.setdefault(parent, set()).add(posixpath.basename(path))
        if parent != "/":
            self._link(parent)

    def info(self, path: str) -> dict[str, str] | None:
        if path in self.files:
            f = self.files[path]
            return _stat("S_IFREG", len(f.content), 1, f.mtime_ns)
        if path in self.dirs:
            return _stat("S_IFDIR", 64 + 32 * len(self.dirs[path]), 2 + len(self.dirs[path]), self.newest_ns)
        return None


def _stat(kind: str, size: int, nlink: int, mtime_ns: int) -> dict[str, str]:
    return {
        "st_size": str(size),
        "st_blocks": str((size + 4095) // 4096 * 8),
        "st_nlink": str(nlink),
        "st_ifmt": kind,
        "st_mtime": str(mtime_ns),
        "st_birthtime": str(mtime_ns),
    }


class AfcSession:
    """One AFC connection's open files; :meth:`answer` maps a request packet to its reply."""

    def __init__(self, device: EmulatedDevice, tree: CrashTree) -> None:
        self._device = device
        self._tree = tree
        self._open: dict[int, tuple[CrashFile, int]] = {}
        self._next_handle = 1  # 0 reads as "open failed" to clients
        self._handlers: dict[int, Callable[[AfcPacket], AfcPacket]] = {
            AfcOp.READ_DIR: self._read_dir,
            AfcOp.GET_FILE_INFO: self._file_info,
            AfcOp.GET_DEVINFO: self._dev_info,
            AfcOp.FILE_OPEN: self._open_file,
            AfcOp.READ: self._read,
            AfcOp.FILE_CLOSE: self._close,
        }

    def answer(self, packet: AfcPacket) -> AfcPacket:
        handler = self._handlers.get(packet.operation)
        if handler is None:
            self._record(_op_name(packet.operation), refused=True)
            return _status(packet, AfcStatus.PERM_DENIED)
        try:
            return handler(packet)
        except struct.error as exc:
            raise WireError(f"AFC parameters too short: {exc}") from exc

    def _record(self, name: str, path: str | None = None, refused: bool = False) -> None:
        self._device.record(Received("service", name, udid=self._device.udid, service=SERVICE, argument=path, refused=refused))

    def _path(self, packet: AfcPacket, name: str) -> str:
        path = _normalize(afc_strings(packet.params)[0])
        self._record(name, path)
        return path

    def _read_dir(self, packet: AfcPacket) -> AfcPacket:
        path = self._path(packet, "READ_DIR")
        if path not in self._tree.dirs:
            return _status(packet, AfcStatus.OBJECT_NOT_FOUND if path not in self._tree.files else AfcStatus.READ_ERROR)
        names = [".", "..", *sorted(self._tree.dirs[path])]
        return _data(packet, b"".join(n.encode() + b"\x00" for n in names))

    def _file_info(self, packet: AfcPacket) -> AfcPacket:
        info = self._tree.info(self._path(packet, "GET_FILE_INFO"))
        if info is None:
            return _status(packet, AfcStatus.OBJECT_NOT_FOUND)
        return _data(packet, afc_key_values(info))

    def _dev_info(self, packet: AfcPacket) -> AfcPacket:
        self._record("GET_DEVINFO")
        usage = self._device.profile.domains.get("com.apple.disk_usage", {})
        return _data(
            packet,
            afc_key_values(
                {
                    "Model": str(self._device.profile.values.get("ProductType", "")),
                    "FSTotalBytes": str(usage.get("TotalDataCapacity", 0)),
                    "FSFreeBytes": str(usage.get("TotalDataAvailable", 0)),
                    "FSBlockSize": "4096",
                }
            ),
        )

    def _open_file(self, packet: AfcPacket) -> AfcPacket:
        (mode,) = U64.unpack_from(packet.params)
        path = _normalize(afc_strings(packet.params[U64.size :])[0])
        self._record("FILE_OPEN", path, refused=mode != MODE_READ_ONLY)
        if mode != MODE_READ_ONLY:
            return _status(packet, AfcStatus.PERM_DENIED)
        if path in self._tree.dirs:
            return _status(packet, AfcStatus.OBJECT_IS_DIR)
        if path not in self._tree.files:
            return _status(packet, AfcStatus.OBJECT_NOT_FOUND)
        handle, self._next_handle = self._next_handle, self._next_handle + 1
        self._open[handle] = (self._tree.files[path], 0)
        return AfcPacket(packet.packet_num, AfcOp.FILE_OPEN_RES, U64.pack(handle))

    def _read(self, packet: AfcPacket) -> AfcPacket:
        handle, size = U64_PAIR.unpack_from(packet.params)
        opened = self._open.get(handle)
        self._record("READ", opened[0].path if opened else None)
        if opened is None:
            return _status(packet, AfcStatus.INVALID_ARG)
        crash_file, offset = opened
        chunk = crash_file.content[offset : offset + size]
        self._open[handle] = (crash_file, offset + len(chunk))
        return _data(packet, chunk)

    def _close(self, packet: AfcPacket) -> AfcPacket:
        (handle,) = U64.unpack_from(packet.params)
        opened = self._open.pop(handle, None)
        self._record("FILE_CLOSE", opened[0].path if opened else None)
        return _status(packet, AfcStatus.SUCCESS if opened else AfcStatus.INVALID_ARG)


def _op_name(operation: int) -> str:
    try:
        return AfcOp(operation).name
    except ValueError:
        return f"0x{operation:x}"


def _status(packet: AfcPacket, status: AfcStatus) -> AfcPacket:
    return AfcPacket(packet.packet_num, AfcOp.STATUS, U64.pack(status))


def _data(packet: AfcPacket, data: bytes) -> AfcPacket:
    return AfcPacket(packet.packet_num, AfcOp.DATA, b"", data)


async def serve_crash_reports(channel: Channel, device: EmulatedDevice) -> None:
    session = AfcSession(device, CrashTree(device.profile.crash_reports))
    decoder = AfcDecoder()
    while True:
        for packet in decoder.feed(await channel.receive()):
            await channel.send(encode_afc(session.answer(packet)))
