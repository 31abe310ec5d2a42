"""Where the host keeps things the sidecar may read: ``initialize``'s ``config``.

Not permissions (those are the policy), and not the server's state: a plain value that the
server keeps for the session and that the device and download code read, so it sits below
all of them.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from .policy import AbsolutePath
from .protocol.names import named

AdbServerSocket = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^tcp:(([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):)?[0-9]{1,5}$|^localabstract:[A-Za-z0-9._/\-]{1,100}$|^local(filesystem)?:/[A-Za-z0-9._/\-]{1,200}$",
        description="an adb server's socket, as adb writes it: tcp:5037, tcp:HOST:PORT, localabstract:NAME, localfilesystem:PATH",
    ),
    named("AdbServerSocket"),
]


class HostConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where the host keeps things the sidecar may read (not permissions: those are the policy)."""

    adb_key_path: AbsolutePath | None = None  # private key; default ~/.android/adbkey (read-only)
    ios_pair_records_dir: AbsolutePath | None = None  # default: usbmuxd's records only
    ffmpeg_location: AbsolutePath | None = None
    device_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 10.0  # silence before a device counts as gone
    adb_server: AdbServerSocket | None = None  # the user's adb server; default as adb finds it ($ADB_SERVER_SOCKET, $ANDROID_ADB_SERVER_PORT, tcp:5037)
