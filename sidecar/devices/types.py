"""The shapes of device methods: what the host sends, and what a device told us.

A field the device would not give is ``None`` and named in ``warnings``; it is never
guessed. Identifiers are redacted when the policy asks (``redact_identifiers``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from ..hostconfig import AdbServerSocket
from ..protocol.names import named
from ..protocol.progress import DETAIL_TAG, ProgressToken

Platform = Annotated[Literal["android", "ios"], named("Platform")]
Connection = Annotated[Literal["usb", "tcp"], named("Connection")]
WarningCode = Annotated[
    Literal[
        "not_paired",  # iOS: no pair record for this host; only what lockdown gives unpaired is known
        "partial_data",  # a probe failed or was refused; the fields it feeds are null
        "backend_unavailable",  # a device backend cannot be used here (no usbmuxd, no libusb, not installed)
        "permission_denied",  # the device refused a read (e.g. /data/anr without root)
        "not_supported",  # the device does not offer this signal
        "truncated",  # output was cut at a limit
        "approximate",  # the device gives the value only rounded (e.g. old df's "56G")
    ],
    named("WarningCode"),
]
HostPort = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9.\-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}$", description="host:port"), named("HostPort")]


class Warning(msgspec.Struct, frozen=True, omit_defaults=True):
    code: WarningCode
    message: str
    field: str | None = None


class ConnectionHints(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How to reach the device; ``devices/list`` gives them, and the device methods take them back verbatim.

    * ``adb_server``: through the adb server at that socket (the device id is its serial there);
    * else Android ``connection: "tcp"`` with ``address``: directly to adbd at that address;
    * else Android ``connection: "usb"``: through the adb server if one runs, else directly over USB;
    * iOS: through usbmuxd, at ``usbmux_address`` when it is not at its default socket.
    """

    connection: Connection = "usb"
    address: HostPort | None = None
    usbmux_address: HostPort | None = None
    adb_server: AdbServerSocket | None = None


class DeviceRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-\[\]]+$")]
    platform: Platform
    hints: ConnectionHints = ConnectionHints()


# ---- devices/list


class DevicesListParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    android_tcp: list[HostPort] = []
    usbmux_address: HostPort | None = None


DeviceState = Annotated[
    Literal[
        "ready",  # inspection works
        "unauthorized",  # Android: "Allow USB debugging?" not accepted; iOS: "Trust This Computer?" not accepted
        "unpaired",  # iOS: no pair record for this host (public values only)
        "no_permission",  # this user may not open the USB device (Linux udev rules)
        "busy",  # another program holds the device's debugging interface
        "offline",  # present but not answering, or in a mode without a shell (recovery, sideload, bootloader...)
    ],
    named("DeviceState"),
]


class DeviceSummary(msgspec.Struct, frozen=True):
    """One device, and the ``hints`` that reach it (pass them back verbatim to ``inspect/*`` and ``logs/collect``).

    ``model`` and ``os_version`` are read from a ``ready`` device, else null. ``state_detail`` is the
    backend's own words when they say more than ``state`` (adb's "recovery", "authorizing", the udev hint...).
    """

    device_id: str
    platform: Platform
    connection: Connection
    model: str | None
    os_version: str | None
    state: DeviceState
    hints: ConnectionHints = ConnectionHints()
    state_detail: str | None = None


class DevicesListResult(msgspec.Struct, frozen=True):
    devices: list[DeviceSummary]
    warnings: list[Warning]


# ---- devices/watch


class DevicesWatchParams(DevicesListParams, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Watch what ``devices/list`` would list; the lists come as ``$/progress`` reports on ``progress_token``."""

    progress_token: ProgressToken


class DevicesWatchReport(msgspec.Struct, frozen=True, tag="devices/watch", tag_field=DETAIL_TAG):
    """The ``detail`` of each ``devices/watch`` progress report: the full current list (never a diff)."""

    devices: list[DeviceSummary]
    warnings: list[Warning]


class DevicesWatchResult(msgspec.Struct, frozen=True):
    """Never sent: ``devices/watch`` runs until cancelled, and is then answered -32800."""


# ---- inspect/basic


class InspectParams(DeviceRef, frozen=True, forbid_unknown_fields=True):
    progress_token: ProgressToken | None = None


class BasicInfo(msgspec.Struct, frozen=True):
    platform: Platform
    model: str | None
    manufacturer: str | None
    os_version: str | None
    build: str | None
    serial: str | None
    activation_locked: bool | None  # iOS: Find My / activation lock engaged
    mdm_enrolled: bool | None
    frp_locked: bool | None  # Android factory reset protection engaged
    efi_locked: bool | None  # Macs only; always null for phones
    bootloader_locked: bool | None  # Android
    verified_boot_state: str | None  # Android: green / yellow / orange / red
    battery_level: int | None  # percent
    # The name the phone is sold under ("iPhone 13", "Galaxy S21 FE 5G"); ``model`` is the maker's code.
    model_name: str | None = None


class InspectBasicResult(msgspec.Struct, frozen=True):
    data: BasicInfo
    warnings: list[Warning]


# ---- inspect/deep


class Battery(msgspec.Struct, frozen=True):
    level: int | None  # percent
    health: str | None  # good / overheat / dead / ... (Android), or iOS condition
    temperature_c: float | None
    voltage_mv: int | None
    cycle_count: int | None
    charging: bool | None


class Storage(msgspec.Struct, frozen=True):
    total_bytes: int | None
    free_bytes: int | None  # what the phone's Settings shows as available
    purgeable_bytes: int | None = None  # iOS: space the system may reclaim (caches), not in free_bytes


class Packages(msgspec.Struct, frozen=True):
    user: int | None
    system: int | None


class Supervision(msgspec.Struct, frozen=True):
    supervised: bool | None
    mdm_enrolled: bool | None
    organization_name: str | None
    profile_count: int | None
    # Android: the admin components of the device owner and profile owners ("com.x/.Receiver"); [] when there are none
    owners: list[str] | None = None
    work_profile: bool | None = None  # Android: a managed (work) profile exists


class DeepSignals(msgspec.Struct, frozen=True):
    battery: Battery
    storage: Storage
    security_patch: str | None
    encryption: str | None  # Android ro.crypto.state/type, e.g. "encrypted (file)"; iOS: data protection is always on
    selinux: str | None  # Android: Enforcing / Permissive
    developer_options: bool | None
    adb_enabled: bool | None
    adb_over_network: bool | None
    uptime_s: float | None
    packages: Packages
    root_indicators: list[str]
    supervision: Supervision


class InspectDeepResult(msgspec.Struct, frozen=True):
    data: DeepSignals
    warnings: list[Warning]


# ---- logs/collect

LogScope = Annotated[Literal["default", "crash", "system", "all"], named("LogScope")]


class LogsCollectParams(DeviceRef, frozen=True, forbid_unknown_fields=True):
    scope: LogScope = "default"
    max_lines: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] | None = None
    duration_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] | None = None
    since: (
        Annotated[
            str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$", description="local device time, YYYY-MM-DD HH:MM:SS[.ffffff]")
        ]
        | None
    ) = None
    progress_token: ProgressToken | None = None


class LogsCollectProgress(msgspec.Struct, frozen=True, tag="logs/collect", tag_field=DETAIL_TAG):
    """The ``detail`` of a ``logs/collect`` progress report: what the log file holds so far."""

    bytes: int
    log_count: int


class LogsCollectResult(msgspec.Struct, frozen=True):
    """The published log file: its size, line count (``log_count``), sha256, and whether the byte limit cut it."""

    path: str
    bytes: int
    log_count: int
    sha256: str
    truncated: bool
    warnings: list[Warning]
