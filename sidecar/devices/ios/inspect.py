"""iOS inspection: the read-only lockdown values and services, then :mod:`.assemble`.

Unpaired devices answer only the public lockdown values; every read that needs a session is
skipped with a ``not_paired`` warning naming the field it feeds. A read that fails leaves its
fields null with ``partial_data``. Results go through :class:`~sidecar.devices.findings.Findings`,
so no field is null without a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..findings import Findings
from ..types import BasicInfo, DeepSignals, Warning
from .assemble import Readings, basic_info, deep_signals
from .lockdown import step

Report = Callable[[str, float | None], None]  # message, percentage (None: unknown)

_NEEDS_PAIRING = "needs a pair record for this computer (the device was never trusted here)"
# The power source is found by class on most devices; some iOS versions answer the class
# query empty and the entry only by its name (AppleARMPMUCharger up to the iPhone 7,
# AppleSmartBattery from the iPhone 8).
POWER_SOURCE_QUERIES = ({"ioclass": "IOPMPowerSource"}, {"name": "AppleSmartBattery"}, {"name": "AppleARMPMUCharger"})


class Probe:
    """Reads lockdown values and services, and records why a read gave nothing."""

    def __init__(self, lockdown: Any, label: str, timeout_s: float, report: Report) -> None:
        self.lockdown = lockdown
        self.label = label
        self.timeout_s = timeout_s
        self.paired = bool(getattr(lockdown, "paired", False))
        self.findings = Findings("ios")
        self._report = report
        if not self.paired:
            self.findings.warn("not_paired", "this computer has no pair record for the device; only public lockdown values are available")

    def _unpaired(self, field: str | None) -> None:
        """A read skipped for want of a pair record: said once per field (or its parent)."""
        if field is not None and not self.findings.explained(field):
            self.findings.warn("not_paired", _NEEDS_PAIRING, field)

    async def value(self, domain: str | None, key: str | None, field: str | None, progress: float) -> Any:
        """A lockdown value, or None (with a warning naming ``field``) when the device will not give it."""
        from pymobiledevice3.exceptions import MissingValueError, PyMobileDevice3Exception

        self._report(f"reading {field or domain or 'device values'}", progress)
        if not self.paired and domain is not None:
            self._unpaired(field)
            return None
        try:
            return await step(self.lockdown.get_value(domain, key), self.label, self.timeout_s)
        except Exception as exc:
            cause = exc.__cause__
            if isinstance(cause, MissingValueError):
                self.findings.warn("partial_data", f"the device does not give {domain or ''} {key or ''}".strip(), field)
                return None
            if isinstance(cause, PyMobileDevice3Exception) and not isinstance(cause, ConnectionError):
                self.findings.warn("partial_data", f"reading {field} failed: {cause}", field)
                return None
            raise

    async def service(self, make: Callable[[Any], Any], call: Callable[[Any], Any], field: str, progress: float) -> Any:
        """The result of read calls on one lockdown service, or None (with a warning naming ``field``) if it fails."""
        from pymobiledevice3.exceptions import PyMobileDevice3Exception

        self._report(f"reading {field}", progress)
        if not self.paired:
            self._unpaired(field)
            return None
        try:
            async with make(self.lockdown) as service:
                return await step(call(service), self.label, self.timeout_s)
        except Exception as exc:
            if isinstance(exc.__cause__ or exc, PyMobileDevice3Exception):
                self.findings.warn("partial_data", f"reading {field} failed: {exc}", field)
                return None
            raise


async def basic(probe: Probe) -> tuple[BasicInfo, list[Warning]]:
    values = await probe.value(None, None, None, 10)  # feeds several fields; each missing one is named when assembled
    find_my = await probe.value("com.apple.fmip", "IsAssociated", "activation_locked", 30)
    battery = await probe.value("com.apple.mobile.battery", None, "battery_level", 50)
    cloud, profiles = await _management(probe, "mdm_enrolled", 70)
    readings = Readings(probe.paired, _mapping(values), find_my, _mapping(battery), cloud=cloud, profiles=profiles)
    info = basic_info(readings, probe.findings)
    return info, probe.findings.seal(info)


async def deep(probe: Probe) -> tuple[DeepSignals, list[Warning]]:
    power = await _power_source(probe, 20)
    # The registry stands in for this domain, so a refusal names no field: the assembly names
    # battery.level and battery.charging if neither source gives them.
    battery = await probe.value("com.apple.mobile.battery", None, None, 30)
    disk = await probe.value("com.apple.disk_usage", None, "storage", 40)
    developer = await probe.value("com.apple.security.mac.amfi", "DeveloperModeStatus", "developer_options", 50)
    cloud, profiles = await _management(probe, "supervision", 70)
    readings = Readings(
        probe.paired, battery_domain=_mapping(battery), power=_mapping(power), disk=_mapping(disk), developer_mode=developer, cloud=cloud, profiles=profiles
    )
    signals = deep_signals(readings, probe.findings)
    return signals, probe.findings.seal(signals)


async def _power_source(probe: Probe, progress: float) -> dict[str, Any] | None:
    """The IORegistry battery entry: by class, else by the names it has had (see POWER_SOURCE_QUERIES)."""
    from pymobiledevice3.services.diagnostics import DiagnosticsService

    async def first_answer(service: Any) -> dict[str, Any]:
        for query in POWER_SOURCE_QUERIES:
            entry: dict[str, Any] | None = await service.ioregistry(**query)
            if entry:
                return entry
        return {}

    entry: dict[str, Any] | None = await probe.service(DiagnosticsService, first_answer, "battery", progress)
    if entry == {}:
        probe.findings.warn("partial_data", "the device's IORegistry answered no battery power source", "battery")
    return entry


async def _management(probe: Probe, field: str, progress: float) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(cloud configuration, profile list); ``{}`` means "none set", None means "could not be read"."""
    from pymobiledevice3.services.mobile_config import MobileConfigService

    async def cloud_configuration(service: Any) -> dict[str, Any]:
        configuration: dict[str, Any] | None = await service.get_cloud_configuration()
        return configuration or {}

    cloud = await probe.service(MobileConfigService, cloud_configuration, field, progress)
    profiles = await probe.service(MobileConfigService, lambda s: s.get_profile_list(), field, progress + 5)
    return cloud, profiles


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
