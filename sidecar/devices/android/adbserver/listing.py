"""The adb server's device list (``host:devices-l`` and each ``host:track-devices-l`` block), parsed.

adb writes one line per transport (transport.cpp, append_transport)::

    <serial padded to 22> <state>[ <devpath>][ product:<p>][ model:<m>][ device:<d>] transport_id:<n>

``state`` is one word (``device``, ``unauthorized``, ``offline``, ``authorizing``...) except
for a USB device adb may not open, where it is a sentence: ``no permissions (user in
plugdev group; are your udev rules wrong?); see [URL]`` (newer adb: ``insufficient
permissions for device ...``). ``devpath`` is ``usb:<bus path>`` for USB devices and
absent for TCP ones. The model is sanitised by adb (``Pixel_7``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ONLINE = "device"
_WORD_STATES = ("offline", "bootloader", "device", "host", "recovery", "rescue", "sideload", "unauthorized", "authorizing", "connecting", "detached", "unknown")
_STATE = re.compile(r"\s+(?P<state>(?:no|insufficient) permissions|" + "|".join(_WORD_STATES) + r")(?=\s|$)")
_SEE_URL = re.compile(r"; see \[[^\]]*\]")
_INFO_KEYS = ("product", "model", "device", "transport_id")


@dataclass(frozen=True, slots=True)
class ServerDevice:
    serial: str
    state: str  # adb's own word (or sentence, for no permissions)
    devpath: str | None = None  # "usb:1-1": the device is on USB
    product: str | None = None
    model: str | None = None  # sanitised by adb: spaces become "_"
    device: str | None = None
    transport_id: int | None = None

    @property
    def on_usb(self) -> bool:
        return self.devpath is not None and self.devpath.startswith("usb:")

    @property
    def no_permission(self) -> bool:
        return self.state.startswith(("no permissions", "insufficient permissions"))


def parse_devices(text: str) -> list[ServerDevice]:
    """Every device line of a ``devices-l`` listing (adb's banner lines, if a capture has them, are skipped)."""
    devices = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("*", "List of devices")):
            device = _parse_line(line)
            if device is not None:
                devices.append(device)
    return devices


def _parse_line(line: str) -> ServerDevice | None:
    match = _STATE.search(line)  # the first state word after the serial
    if match is None:
        return None
    serial, rest = line[: match.start()], line[match.start("state") :]
    if match["state"].endswith("permissions"):
        state, tokens = _permission_sentence(rest)
    else:
        state, tokens = match["state"], rest.split()[1:]
    info: dict[str, str] = {}
    devpath = None
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key in _INFO_KEYS:
            info[key] = value
        elif devpath is None:
            devpath = token  # usb:1-1 (or a bare bus path from older adb)
    transport = info.get("transport_id", "")
    return ServerDevice(
        serial=serial,
        state=state,
        devpath=devpath,
        product=info.get("product"),
        model=info.get("model"),
        device=info.get("device"),
        transport_id=int(transport) if transport.isdigit() else None,
    )


def _permission_sentence(rest: str) -> tuple[str, list[str]]:
    """The no-permissions sentence, and the tokens after it: it ends at "; see [URL]", or before the first key:value."""
    if url := _SEE_URL.search(rest):
        return rest[: url.end()], rest[url.end() :].split()
    words = rest.split()
    for index, word in enumerate(words):
        if word.startswith(("usb:", "transport_id:", "product:", "model:", "device:")):
            return " ".join(words[:index]), words[index:]
    return rest, []
