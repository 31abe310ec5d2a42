"""Android inspection from the allowlisted read-only probes.

A probe the device refuses (or answers with something unparseable) leaves its
fields null and adds a warning; a device that stops answering fails the call
with ``device_unavailable`` (raised by the session).
"""

from __future__ import annotations

from collections.abc import Callable

from ..types import Battery, BasicInfo, DeepSignals, Packages, Storage, Supervision, Warning
from . import commands, parse
from .adb import AdbSession

Report = Callable[[str, float], None]

# settings (namespace, key) read for inspection
FRP_MODE = ("secure", "secure_frp_mode")
SETTINGS = (FRP_MODE, ("global", "device_provisioned"), ("secure", "user_setup_complete"), ("global", "adb_enabled"),
            ("global", "development_settings_enabled"), ("global", "adb_wifi_enabled"))


class Probe:
    """Runs commands on a session, collecting warnings for what the device would not give."""

    def __init__(self, session: AdbSession, report: Report) -> None:
        self.session = session
        self.warnings: list[Warning] = []
        self._report = report

    async def run(self, command: commands.Command, field: str, step: float) -> str | None:
        self._report(f"reading {field}", step)
        output = await self.session.run(command)
        if parse.refused(output):
            self.warn("permission_denied", f"the device refused `{command.line}`: {output.strip()[:200]}", field)
            return None
        return output

    def warn(self, code: str, message: str, field: str | None = None) -> None:
        self.warnings.append(Warning(code, message, field))  # type: ignore[arg-type]


async def basic(probe: Probe) -> BasicInfo:
    props = await _props(probe)
    settings = await _settings(probe, (FRP_MODE,))
    battery = await _battery(probe)
    probe.warn("not_supported", "Android does not expose MDM enrollment to a read-only shell", "mdm_enrolled")
    return BasicInfo(
        platform="android",
        model=props.get("ro.product.model"),
        manufacturer=props.get("ro.product.manufacturer"),
        os_version=props.get("ro.build.version.release"),
        build=props.get("ro.build.display.id") or props.get("ro.build.id"),
        serial=props.get("ro.serialno") or props.get("ro.boot.serialno"),
        activation_locked=None,  # an iOS notion; Android's counterpart is frp_locked
        mdm_enrolled=None,
        frp_locked=_frp_locked(probe, settings),
        efi_locked=None,  # Macs only
        bootloader_locked=_bootloader_locked(props),
        verified_boot_state=props.get("ro.boot.verifiedbootstate"),
        battery_level=battery["level"],
    )


async def deep(probe: Probe) -> DeepSignals:
    props = await _props(probe)
    settings = await _settings(probe, SETTINGS)
    battery = await _battery(probe)
    storage = await _storage(probe)
    selinux = await probe.run(commands.GETENFORCE, "selinux", 60)
    uptime = await probe.run(commands.UPTIME, "uptime_s", 65)
    packages = Packages(await _packages(probe, "system", 70), await _packages(probe, "third_party", 80))
    su = await _su_paths(probe)
    selinux_mode = selinux.strip() if selinux and selinux.strip() in ("Enforcing", "Permissive", "Disabled") else None
    tcp_port = parse.as_int(props.get("service.adb.tcp.port"))
    probe.warn("not_supported", "Android does not expose supervision or MDM details to a read-only shell", "supervision")
    return DeepSignals(
        battery=Battery(level=battery["level"], health=battery["health"], temperature_c=battery["temperature_c"],
                        voltage_mv=battery["voltage_mv"], cycle_count=None, charging=battery["charging"]),
        storage=storage,
        security_patch=props.get("ro.build.version.security_patch"),
        encryption=_encryption(props),
        selinux=selinux_mode,
        developer_options=_flag(settings.get("development_settings_enabled")),
        adb_enabled=_flag(settings.get("adb_enabled")),
        adb_over_network=_adb_over_network(tcp_port, settings.get("adb_wifi_enabled")),
        uptime_s=parse.uptime_seconds(uptime) if uptime else None,
        packages=packages,
        root_indicators=_root_indicators(props, selinux_mode, su),
        supervision=Supervision(supervised=None, mdm_enrolled=None, organization_name=None, profile_count=None),
    )


async def _props(probe: Probe) -> dict[str, str]:
    output = await probe.run(commands.GETPROP_ALL, "properties", 10)
    props = parse.getprop_listing(output or "")
    if not props:
        probe.warn("partial_data", "the device returned no system properties", "properties")
    return props


async def _settings(probe: Probe, keys: tuple[tuple[str, str], ...]) -> dict[str, str | None]:
    values = {}
    for index, (namespace, key) in enumerate(keys):
        output = await probe.run(commands.settings_get(namespace, key), key, 20 + index * 3)  # type: ignore[arg-type]
        values[key] = parse.setting(output) if output is not None else None
    return values


async def _battery(probe: Probe) -> dict[str, object]:
    output = await probe.run(commands.DUMPSYS_BATTERY, "battery", 40)
    values = parse.battery(output or "")
    if values["level"] is None:
        probe.warn("partial_data", "battery state could not be read", "battery")
    return values


async def _storage(probe: Probe) -> Storage:
    output = await probe.run(commands.DF_DATA, "storage", 50)
    sizes = parse.df_kib(output or "")
    if sizes is None:
        probe.warn("partial_data", "storage figures could not be read", "storage")
        return Storage(total_bytes=None, free_bytes=None)
    return Storage(total_bytes=sizes[0], free_bytes=sizes[1])


async def _packages(probe: Probe, kind: str, step: float) -> int | None:
    output = await probe.run(commands.list_packages(kind), f"packages.{kind}", step)  # type: ignore[arg-type]
    count = parse.package_count(output or "") if output is not None else None
    if count is None:
        probe.warn("partial_data", f"the {kind.replace('_', '-')} package list could not be read", f"packages.{kind}")
    return count


async def _su_paths(probe: Probe) -> list[str]:
    found = []
    which = await probe.session.run(commands.WHICH_SU)
    if which.strip().startswith("/"):
        found.append(which.strip())
    for path in commands.SU_PATHS:
        listed = parse.listing(await probe.session.run(commands.list_dir(path)))  # type: ignore[arg-type]
        if listed and path not in found:
            found.append(path)
    return found


def _frp_locked(probe: Probe, settings: dict[str, str | None]) -> bool | None:
    mode = settings.get("secure_frp_mode")
    if mode is None:
        probe.warn("partial_data", "secure_frp_mode is not set on this Android version; FRP state unknown", "frp_locked")
        return None
    return mode == "1"


def _bootloader_locked(props: dict[str, str]) -> bool | None:
    flash = props.get("ro.boot.flash.locked")
    if flash in ("0", "1"):
        return flash == "1"
    state = props.get("ro.boot.vbmeta.device_state")
    return {"locked": True, "unlocked": False}.get(state or "")


def _encryption(props: dict[str, str]) -> str | None:
    state, kind = props.get("ro.crypto.state"), props.get("ro.crypto.type")
    if not state:
        return None
    return f"{state} ({kind})" if kind else state


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "1"


def _adb_over_network(tcp_port: int | None, wifi: str | None) -> bool | None:
    if tcp_port is None and wifi is None:
        return None
    return bool(tcp_port and tcp_port > 0) or wifi == "1"


def _root_indicators(props: dict[str, str], selinux: str | None, su_paths: list[str]) -> list[str]:
    indicators = [f"su binary at {path}" for path in su_paths]
    if props.get("ro.debuggable") == "1":
        indicators.append("ro.debuggable=1")
    if props.get("ro.secure") == "0":
        indicators.append("ro.secure=0 (adbd runs as root)")
    if "test-keys" in props.get("ro.build.tags", ""):
        indicators.append("build signed with test-keys")
    if props.get("ro.build.type") in ("userdebug", "eng"):
        indicators.append(f"{props['ro.build.type']} build")
    if selinux == "Permissive":
        indicators.append("SELinux permissive")
    if props.get("ro.boot.verifiedbootstate") == "orange":
        indicators.append("bootloader unlocked (verified boot orange)")
    return indicators
