"""iOS readings normalised the way a technician reads them, for every generation seen in the field.

Pure: dicts in, values out; every value that cannot be read is explained to the
:class:`~sidecar.devices.findings.Findings` given. The samples these rules come from are in
``tests/corpus/ios`` (see ``tests/corpus/SOURCES.md``).

Battery (the IORegistry power source, ``AppleARMPMUCharger`` or ``AppleSmartBattery``):

* Keys may sit at the top of the entry or, on recent iOS, only in the nested ``BatteryData``
  dictionary; the top level wins where both have one.
* ``CurrentCapacity``/``MaxCapacity`` is the charge in percent whatever their unit: mAh on
  older iPhones (1275 of 1275), percent on recent ones (12 of 100).
* Health is the full-charge capacity against the design capacity, capped at 100 % as
  Settings' "Maximum Capacity" is: ``NominalChargeCapacity`` where the gauge reports it (the
  figure that matches Settings), else ``AppleRawMaxCapacity`` (iOS 7 has no nominal one).
* Voltage is ``Voltage``, or ``AppleRawBatteryVoltage`` where recent iOS reports ``Voltage: 0``.
* ``Temperature`` is in hundredths of a degree Celsius; recent iOS may omit it.

Storage (lockdown's ``com.apple.disk_usage``): Settings shows ``AmountDataAvailable`` as free.
``TotalDataAvailable`` adds the space iOS keeps in reserve (``AmountDataReserved``) and the
space it may reclaim (purgeable caches); the purgeable part is what remains after both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..findings import Findings
from ..types import Battery, Storage

NESTED = "BatteryData"


class PowerSource:
    """An IORegistry power-source entry, with its nested ``BatteryData`` as the fallback for each key."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        nested = entry.get(NESTED)
        self._layers = (entry, nested if isinstance(nested, Mapping) else {})

    def number(self, key: str) -> float | None:
        """The first finite numeric value of ``key`` (booleans are not numbers here)."""
        for layer in self._layers:
            value = layer.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                return value
        return None

    def positive(self, *keys: str) -> float | None:
        """The first of ``keys`` that holds a reading above zero (a 0 mAh or 0 mV figure is no reading)."""
        for key in keys:
            value = self.number(key)
            if value is not None and value > 0:
                return value
        return None

    def flag(self, key: str) -> bool | None:
        for layer in self._layers:
            found = flag(layer.get(key))
            if found is not None:
                return found
        return None

    def level(self) -> int | None:
        current, full = self.number("CurrentCapacity"), self.positive("MaxCapacity")
        return None if current is None or full is None else percent(current, full)


def flag(value: Any) -> bool | None:
    """A boolean, as plists give it or as 0/1 (older registries)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def percent(part: float, whole: float) -> int:
    return max(0, min(100, round(100 * part / whole)))


def battery_level(domain: Mapping[str, Any], power: PowerSource | None) -> int | None:
    """The charge in percent: lockdown's battery domain states it as the status bar shows it;
    the IORegistry's capacities are the fallback."""
    stated = domain.get("BatteryCurrentCapacity")
    if isinstance(stated, int) and not isinstance(stated, bool) and 0 <= stated <= 100:
        return stated
    return None if power is None else power.level()


def battery(power: Mapping[str, Any], domain: Mapping[str, Any], findings: Findings) -> Battery:
    """The battery from its IORegistry entry (``{}`` if none) and lockdown's battery domain (``{}`` if none)."""
    source = PowerSource(power)
    temperature = source.number("Temperature")
    voltage = source.positive("Voltage", "AppleRawBatteryVoltage")
    cycles = source.number("CycleCount")
    charging = flag(domain.get("BatteryIsCharging"))
    return Battery(
        level=findings.need(
            "battery.level", battery_level(domain, source), "neither lockdown's BatteryCurrentCapacity nor the registry's CurrentCapacity/MaxCapacity was given"
        ),
        health=findings.need(
            "battery.health",
            _health(source),
            "the battery registry gives no DesignCapacity with a full-charge capacity (NominalChargeCapacity or AppleRawMaxCapacity)",
        ),
        temperature_c=findings.need(
            "battery.temperature_c",
            None if temperature is None else round(temperature / 100, 2),
            "the battery registry has no Temperature (recent iOS omits it)",
        ),
        voltage_mv=findings.need(
            "battery.voltage_mv",
            None if voltage is None else int(voltage),
            "the battery registry reports no voltage (Voltage and AppleRawBatteryVoltage absent or 0)",
        ),
        cycle_count=findings.need("battery.cycle_count", None if cycles is None else int(cycles), "the battery registry has no CycleCount"),
        charging=findings.need(
            "battery.charging",
            source.flag("IsCharging") if charging is None else charging,
            "neither lockdown's BatteryIsCharging nor the registry's IsCharging was given",
        ),
    )


def _health(source: PowerSource) -> str | None:
    design = source.positive("DesignCapacity")
    full = source.positive("NominalChargeCapacity", "AppleRawMaxCapacity")
    if design is None or full is None:
        return None
    return f"{percent(full, design)}% of design capacity"


def storage(disk: Mapping[str, Any], findings: Findings) -> Storage:
    """Capacity, free space as Settings shows it, and the purgeable space, from ``com.apple.disk_usage``."""
    total, free = _bytes(disk, "TotalDiskCapacity"), _bytes(disk, "AmountDataAvailable")
    return Storage(
        total_bytes=findings.need("storage.total_bytes", total, "com.apple.disk_usage has no TotalDiskCapacity"),
        free_bytes=findings.need("storage.free_bytes", free, "com.apple.disk_usage has no AmountDataAvailable (the free space Settings shows)"),
        purgeable_bytes=findings.need(
            "storage.purgeable_bytes",
            _purgeable(disk),
            "the purgeable space needs TotalDataAvailable, AmountDataAvailable and AmountDataReserved, consistent with each other",
        ),
    )


def _purgeable(disk: Mapping[str, Any]) -> int | None:
    available, free, reserved = (_bytes(disk, key) for key in ("TotalDataAvailable", "AmountDataAvailable", "AmountDataReserved"))
    if available is None or free is None or reserved is None or available < free + reserved:
        return None
    return available - free - reserved


def _bytes(disk: Mapping[str, Any], key: str) -> int | None:
    value = disk.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
