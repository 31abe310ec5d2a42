"""iOS inspection from lockdown values and the read-only services.

Unpaired devices answer only the public lockdown values; everything that needs a
session is null with a ``not_paired`` warning. A service that fails leaves its
fields null with ``partial_data``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..types import Battery, BasicInfo, DeepSignals, Packages, Storage, Supervision, Warning
from .lockdown import step

Report = Callable[[str, float], None]

_NOT_ON_IOS = "security_patch, selinux, adb_enabled, adb_over_network, uptime_s, packages"


class Probe:
    def __init__(self, lockdown: Any, label: str, timeout_s: float, report: Report) -> None:
        self.lockdown = lockdown
        self.label = label
        self.timeout_s = timeout_s
        self.paired = bool(getattr(lockdown, "paired", False))
        self.warnings: list[Warning] = []
        self._report = report
        if not self.paired:
            self.warn("not_paired", "this computer has no pair record for the device; only public lockdown values are available")

    def warn(self, code: str, message: str, field: str | None = None) -> None:
        self.warnings.append(Warning(code, message, field))  # type: ignore[arg-type]

    async def value(self, domain: str | None, key: str | None, field: str, progress: float) -> Any:
        """A lockdown value, or None (with a warning) when the device will not give it."""
        from pymobiledevice3.exceptions import MissingValueError, PyMobileDevice3Exception

        self._report(f"reading {field}", progress)
        if not self.paired and domain is not None:
            return None  # already covered by the not_paired warning
        try:
            return await step(self.lockdown.get_value(domain, key), self.label, self.timeout_s)
        except Exception as exc:
            cause = exc.__cause__
            if isinstance(cause, MissingValueError):
                self.warn("partial_data", f"the device does not give {domain or ''} {key or ''}".strip(), field)
                return None
            if isinstance(cause, PyMobileDevice3Exception) and not isinstance(cause, ConnectionError):
                self.warn("partial_data", f"reading {field} failed: {cause}", field)
                return None
            raise

    async def service(self, make: Callable[[Any], Any], call: Callable[[Any], Any], field: str, progress: float) -> Any:
        """The result of one read call on a lockdown service, or None (with a warning) if it fails."""
        from pymobiledevice3.exceptions import PyMobileDevice3Exception

        self._report(f"reading {field}", progress)
        if not self.paired:
            return None
        try:
            async with make(self.lockdown) as service:
                return await step(call(service), self.label, self.timeout_s)
        except Exception as exc:
            if isinstance(exc.__cause__ or exc, PyMobileDevice3Exception):
                self.warn("partial_data", f"reading {field} failed: {exc}", field)
                return None
            raise


async def basic(probe: Probe) -> BasicInfo:
    values = await probe.value(None, None, "device values", 10) or {}
    fmip = await probe.value("com.apple.fmip", "IsAssociated", "activation_locked", 30)
    battery = await probe.value("com.apple.mobile.battery", None, "battery", 50) or {}
    cloud, profiles = await _management(probe, 70)
    return BasicInfo(
        platform="ios",
        model=values.get("ProductType"),
        manufacturer="Apple",
        os_version=values.get("ProductVersion"),
        build=values.get("BuildVersion"),
        serial=values.get("SerialNumber"),
        activation_locked=None if fmip is None else bool(fmip),
        mdm_enrolled=_mdm_enrolled(probe, cloud, profiles),
        frp_locked=None,  # an Android notion; iOS's counterpart is activation_locked
        efi_locked=None,  # Macs only
        bootloader_locked=None,
        verified_boot_state=None,
        battery_level=battery.get("BatteryCurrentCapacity"),
    )


async def deep(probe: Probe) -> DeepSignals:
    from pymobiledevice3.services.diagnostics import DiagnosticsService

    power = await probe.service(DiagnosticsService, lambda s: s.ioregistry(ioclass="IOPMPowerSource"), "battery", 20) or {}
    disk = await probe.value("com.apple.disk_usage", None, "storage", 40) or {}
    developer = await probe.value("com.apple.security.mac.amfi", "DeveloperModeStatus", "developer_options", 50)
    cloud, profiles = await _management(probe, 70)
    probe.warn("not_supported", f"not applicable on iOS: {_NOT_ON_IOS}")
    return DeepSignals(
        battery=_battery(power),
        storage=Storage(total_bytes=disk.get("TotalDiskCapacity"), free_bytes=disk.get("TotalDataAvailable")),
        security_patch=None,
        encryption="data protection (always on)" if probe.paired else None,
        selinux=None,
        developer_options=None if developer is None else bool(developer),
        adb_enabled=None,
        adb_over_network=None,
        uptime_s=None,
        packages=Packages(user=None, system=None),
        root_indicators=[],
        supervision=Supervision(
            supervised=None if cloud is None else bool(cloud.get("IsSupervised", False)),
            mdm_enrolled=_mdm_enrolled(probe, cloud, profiles),
            organization_name=(cloud or {}).get("OrganizationName"),
            profile_count=None if profiles is None else len(profiles.get("OrderedIdentifiers", [])),
        ),
    )


async def _management(probe: Probe, progress: float) -> tuple[dict | None, dict | None]:
    """(cloud configuration, profile list); ``{}`` means "none set", None means "could not be read"."""
    from pymobiledevice3.services.mobile_config import MobileConfigService

    async def cloud_configuration(service: Any) -> dict:
        return await service.get_cloud_configuration() or {}

    cloud = await probe.service(MobileConfigService, cloud_configuration, "cloud configuration", progress)
    profiles = await probe.service(MobileConfigService, lambda s: s.get_profile_list(), "profiles", progress + 5)
    return cloud, profiles


def _mdm_enrolled(probe: Probe, cloud: dict | None, profiles: dict | None) -> bool | None:
    """True for automated (DEP/ADE) enrollment; False with no profiles at all; otherwise unknown."""
    if cloud and cloud.get("ConfigurationURL"):
        return True
    if profiles is None:
        return None
    if not profiles.get("OrderedIdentifiers"):
        return False
    probe.warn("partial_data", "profiles are installed; whether one enrolls the device in MDM is not visible from their metadata", "mdm_enrolled")
    return None


def _battery(power: dict[str, Any]) -> Battery:
    design, raw_max = power.get("DesignCapacity"), power.get("AppleRawMaxCapacity")
    temperature = power.get("Temperature")
    return Battery(
        level=power.get("CurrentCapacity"),
        health=f"{round(100 * raw_max / design)}% of design capacity" if design and raw_max else None,
        temperature_c=None if temperature is None else temperature / 100,
        voltage_mv=power.get("Voltage"),
        cycle_count=power.get("CycleCount"),
        charging=power.get("IsCharging"),
    )
