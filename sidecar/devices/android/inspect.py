"""Android inspection from the allowlisted read-only probes.

A probe the device refuses (a missing program, a denied permission, in the wording of any
Android generation: see ``shell_errors``) leaves its fields null with a warning naming them;
a device that stops answering fails the call with ``device_unavailable`` (raised by the
session). Results are assembled through :class:`~sidecar.devices.findings.Findings`, so no
field is null without a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..findings import Findings
from ..types import (
    BasicInfo,
    Battery,
    DeepSignals,
    Packages,
    Storage,
    Supervision,
    WarningCode,
)
from . import commands, owners, parse, props
from .adb import AdbSession
from .props import Props
from .shell_errors import ShellError, lf, shell_error

Report = Callable[[str, float | None], None]  # message, percentage (None: unknown)

# settings read for inspection: (namespace, key, the result field it feeds)
FRP_MODE = ("secure", "secure_frp_mode", "frp_locked")
SETTINGS = (
    FRP_MODE,
    ("global", "adb_enabled", "adb_enabled"),
    ("global", "development_settings_enabled", "developer_options"),
    ("global", "adb_wifi_enabled", "adb_over_network"),
)
_SECURITY_PATCH_SDK = 23  # Android 6 introduced the security patch level
_LIST_OWNERS_SDK = 31  # `cmd device_policy list-owners` exists from Android 12
_ADB_WIFI_SDK = 30  # Wireless debugging (the adb_wifi_enabled setting) exists from Android 11

_WARNING_FOR: dict[ShellError, WarningCode] = {
    ShellError.NOT_FOUND: "not_supported",
    ShellError.NO_SUCH_FILE: "not_supported",
    ShellError.PERMISSION_DENIED: "permission_denied",
    ShellError.FAILED: "partial_data",
}
_USER_OPTION_SDK = 17  # `pm list packages --user` exists from Android 4.2


class Probe:
    """Runs commands on a session, and records why a field stays empty."""

    def __init__(self, session: AdbSession, report: Report) -> None:
        self.session = session
        self.findings = Findings("android")
        self._report = report

    async def read(self, command: commands.Command, field: str, step: float) -> str | None:
        """The command's output, or None (with a warning naming ``field``) if the shell refused it."""
        self._report(f"reading {field}", step)
        output = lf(await self.session.run(command))
        error = shell_error(output)
        if error is None:
            return output
        said = output.strip().split("\n", 1)[0][:200]
        self.findings.warn(_WARNING_FOR[error], f"the device answered `{command.line}` with: {said}", field)
        return None


class _Owners(NamedTuple):
    owners: owners.Owners | None
    work_profile: bool | None


async def basic(probe: Probe) -> BasicInfo:
    found = probe.findings
    prop = await _props(probe)
    settings = await _settings(probe, (FRP_MODE,))
    battery = await _battery(probe, "battery_level")
    managed = await _owners(probe, prop, "mdm_enrolled", 60)
    return BasicInfo(
        platform="android",
        model=found.need("model", props.value(prop, "ro.product.model"), _unset(prop, "ro.product.model")),
        manufacturer=found.need("manufacturer", props.value(prop, "ro.product.manufacturer"), _unset(prop, "ro.product.manufacturer")),
        os_version=found.need("os_version", props.value(prop, "ro.build.version.release"), _unset(prop, "ro.build.version.release")),
        build=found.need("build", props.value(prop, "ro.build.display.id", "ro.build.id"), _unset(prop, "ro.build.display.id")),
        serial=found.need("serial", props.value(prop, "ro.serialno", "ro.boot.serialno"), _unset(prop, "ro.serialno")),
        activation_locked=None,  # iOS only; Android's counterpart is frp_locked
        mdm_enrolled=found.need("mdm_enrolled", _mdm_enrolled(managed), "the device's owners could not be read"),
        frp_locked=_frp_locked(found, settings),
        efi_locked=None,  # Macs only
        bootloader_locked=found.need("bootloader_locked", props.bootloader_locked(prop), _no_boot_state(prop)),
        verified_boot_state=found.need("verified_boot_state", props.verified_boot_state(prop), _unset(prop, "ro.boot.verifiedbootstate")),
        battery_level=found.need("battery_level", battery.level, "dumpsys battery gave no level"),
        model_name=found.need(
            "model_name", props.marketing_name(prop), "the device states no marketing name (none of the vendors' marketing-name props is set)"
        ),
    )


async def deep(probe: Probe) -> DeepSignals:
    found = probe.findings
    prop = await _props(probe)
    settings = await _settings(probe, SETTINGS)
    battery = await _battery(probe, "battery")
    storage = await _storage(probe)
    selinux = await probe.read(commands.GETENFORCE, "selinux", 60)
    uptime = await probe.read(commands.UPTIME, "uptime_s", 65)
    cycles = await probe.read(commands.BATTERY_CYCLES, "battery.cycle_count", 67)
    user_packages = await _package_count(probe, prop, "third_party", "packages.user", 70)
    system_packages = await _package_count(probe, prop, "system", "packages.system", 75)
    su = await _su_paths(probe)
    managed = await _owners(probe, prop, "supervision", 85)
    selinux_mode = selinux.strip() if selinux and selinux.strip() in ("Enforcing", "Permissive", "Disabled") else None
    return DeepSignals(
        battery=Battery(
            level=found.need("battery.level", battery.level, "dumpsys battery gave no level"),
            health=found.need("battery.health", battery.health, "dumpsys battery gave no health"),
            temperature_c=found.need("battery.temperature_c", battery.temperature_c, "dumpsys battery gave no temperature"),
            voltage_mv=found.need("battery.voltage_mv", battery.voltage_mv, "dumpsys battery gave no voltage"),
            cycle_count=found.need("battery.cycle_count", parse.as_int(cycles.strip()) if cycles else None, "the battery's cycle count is not readable"),
            charging=found.need("battery.charging", battery.charging, "dumpsys battery gave no status"),
        ),
        storage=storage,
        security_patch=found.need("security_patch", props.value(prop, "ro.build.version.security_patch"), _no_patch_level(prop)),
        encryption=found.need("encryption", props.encryption(prop), _unset(prop, "ro.crypto.state")),
        selinux=found.need("selinux", selinux_mode, f"getenforce printed {selinux.strip()[:40]!r}" if selinux else "getenforce gave nothing"),
        developer_options=found.need("developer_options", _developer_options(prop, settings), "development_settings_enabled could not be read"),
        adb_enabled=found.need("adb_enabled", _flag(settings.get("adb_enabled")), "adb_enabled is not set"),
        adb_over_network=found.need(
            "adb_over_network", _adb_over_network(prop, settings), "neither the adb TCP port nor the Wireless debugging setting could be read"
        ),
        uptime_s=found.need("uptime_s", parse.uptime_seconds(uptime) if uptime else None, "/proc/uptime gave no number"),
        packages=Packages(user=user_packages, system=system_packages),
        root_indicators=[f"su binary at {path}" for path in su]
        + props.root_indicators(prop)
        + (["SELinux permissive"] if selinux_mode == "Permissive" else []),
        supervision=Supervision(
            supervised=found.need(
                "supervision.supervised", None if managed.owners is None else managed.owners.device_owner, "the device's owners could not be read"
            ),
            mdm_enrolled=found.need("supervision.mdm_enrolled", _mdm_enrolled(managed), "the device's owners could not be read"),
            organization_name=None,  # iOS only
            profile_count=None,  # iOS only
            owners=found.need("supervision.owners", None if managed.owners is None else managed.owners.admins, "the device's owners could not be read"),
            work_profile=found.need("supervision.work_profile", managed.work_profile, "the device's users could not be read"),
        ),
    )


async def _props(probe: Probe) -> Props:
    output = await probe.read(commands.GETPROP_ALL, "properties", 10)
    listed = parse.getprop_listing(output or "")
    if not listed:
        probe.findings.warn("partial_data", "the device returned no system properties", "properties")
    return listed


def _unset(prop: Props, key: str, why: str | None = None) -> str:
    if not prop:
        return "the device's system properties could not be read"
    return why or f"the device does not set {key}"


def _no_patch_level(prop: Props) -> str:
    sdk = props.sdk(prop)
    old = sdk is not None and sdk < _SECURITY_PATCH_SDK
    return _unset(prop, "ro.build.version.security_patch", "Android before 6.0 has no security patch level" if old else None)


def _no_boot_state(prop: Props) -> str:
    return _unset(prop, "", "none of flash.locked, vbmeta.device_state, verifiedbootstate (ro.boot.* or vendor.boot.*) tells the bootloader's lock state")


async def _settings(probe: Probe, keys: tuple[tuple[str, str, str], ...]) -> dict[str, str | None]:
    """The settings that could be read: a key maps to None when it is unset, and is absent when unreadable."""
    values = {}
    for index, (namespace, key, field) in enumerate(keys):
        output = await probe.read(commands.settings_get(namespace, key), field, 20 + index * 3)  # type: ignore[arg-type]
        if output is not None:
            values[key] = parse.setting(output)
    return values


async def _battery(probe: Probe, field: str) -> parse.BatteryReading:
    output = await probe.read(commands.DUMPSYS_BATTERY, field, 40)
    return parse.battery(output or "")


async def _storage(probe: Probe) -> Storage:
    output = await probe.read(commands.DF_DATA, "storage", 50)
    sizes = parse.df_data(output) if output is not None else None
    if sizes is None:
        probe.findings.need("storage", None, "df printed no figures for /data")
        return Storage(total_bytes=None, free_bytes=None)
    total, free, exact = sizes
    if not exact:
        probe.findings.warn("approximate", "this Android version's df rounds sizes (to K, M or G), so they are approximate", "storage")
    return Storage(total_bytes=total, free_bytes=free)


async def _package_count(probe: Probe, prop: Props, kind: str, field: str, step: float) -> int | None:
    """The owner's (user 0) packages: without ``--user``, pm asks every user and fails whole
    where the shell may not read one (Samsung's Secure Folder, some work profiles)."""
    sdk = props.sdk(prop)
    owner_only = sdk is not None and sdk >= _USER_OPTION_SDK
    output = await probe.read(commands.list_packages(kind, owner_only), field, step)  # type: ignore[arg-type]
    names = parse.package_names(output) if output is not None else None
    return probe.findings.need(field, None if names is None else len(names), "pm list packages printed something other than a package list")


async def _su_paths(probe: Probe) -> list[str]:
    """Where an ``su`` binary is, as ``which`` and ``ls`` show it; refusals and absences show nothing."""
    found = []
    which = lf(await probe.session.run(commands.WHICH_SU)).strip()
    if shell_error(which) is None and which.startswith("/") and "\n" not in which and " " not in which:
        found.append(which)
    for path in commands.SU_PATHS:
        listed = lf(await probe.session.run(commands.list_dir(path)))
        if shell_error(listed) is None and parse.listing(listed) == [path] and path not in found:
            found.append(path)
    return found


async def _owners(probe: Probe, prop: Props, field: str, step: float) -> _Owners:
    """Device and profile owners (from the shell command where it exists, else from the dump) and work profiles."""
    sdk = props.sdk(prop)
    if sdk is not None and sdk >= _LIST_OWNERS_SDK:
        listed = await probe.read(commands.LIST_OWNERS, field, step)
        found = owners.list_owners(listed) if listed is not None else None
    else:
        dumped = await probe.read(commands.DUMPSYS_DEVICE_POLICY, field, step)
        found = owners.dumped_owners(dumped) if dumped is not None else None
    users = await probe.read(commands.LIST_USERS, field, step + 5)
    return _Owners(found, owners.has_managed_profile(users) if users is not None else None)


def _mdm_enrolled(managed: _Owners) -> bool | None:
    """Any device or profile owner means an admin app (an MDM) manages the phone or a profile on it."""
    return None if managed.owners is None else bool(managed.owners.admins)


def _frp_locked(found: Findings, settings: dict[str, str | None]) -> bool | None:
    mode = settings.get("secure_frp_mode")
    if mode is None:
        return found.need("frp_locked", None, "secure_frp_mode is not set on this Android version, so the FRP state is unknown")
    return mode == "1"


def _developer_options(prop: Props, settings: dict[str, str | None]) -> bool | None:
    if "development_settings_enabled" not in settings:
        return None
    value = settings["development_settings_enabled"]
    # Unset means the framework's default: on for eng builds only.
    return value == "1" if value is not None else prop.get("ro.build.type") == "eng"


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "1"


def _adb_over_network(prop: Props, settings: dict[str, str | None]) -> bool | None:
    """adbd listens on the network after `adb tcpip` (a port prop), or with Wireless debugging on (Android 11+)."""
    if props.adb_tcp_port(prop) is not None or settings.get("adb_wifi_enabled") == "1":
        return True
    sdk = props.sdk(prop)
    if sdk is None or (sdk >= _ADB_WIFI_SDK and "adb_wifi_enabled" not in settings):
        return None
    return False  # no port set, and Wireless debugging off or unset (its default is off) or absent
