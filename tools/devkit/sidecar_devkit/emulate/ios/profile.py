"""What an emulated iOS device is: its lockdown values, domains and services' answers, as data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SYSTEM_BUID = "5E2B1F0C-7A43-4C1D-9B8E-3F6A2D4C8E10"
HOST_ID = "9C3B5A7E-2D14-4F08-B6A1-0E7D3C9F5B22"


@dataclass(frozen=True, slots=True)
class CrashFile:
    path: str  # absolute inside the crash report directory, "/" separated
    content: bytes
    mtime_ns: int


@dataclass(frozen=True)
class DeviceProfile:
    """One emulated device. Mappings are shared: treat them as read-only."""

    name: str
    udid: str
    paired: bool
    values: dict[str, Any]
    domains: dict[str, dict[str, Any]]
    cloud_configuration: dict[str, Any] = field(default_factory=dict)
    installed_profiles: dict[str, Any] = field(default_factory=dict)
    battery: dict[str, Any] = field(default_factory=dict)  # the IORegistry power-source entry
    # The power source's IORegistry entry name, and whether a query by its class
    # (IOPMPowerSource) finds it too: some iOS versions answer the class query empty.
    power_source: str = "AppleSmartBattery"
    power_source_by_class: bool = True
    syslog: tuple[str, ...] = ()
    crash_reports: tuple[CrashFile, ...] = ()
    product_id: int = 0x12A8  # USB product id every iPhone reports
    location_id: int = 0x00140000
    description: str = ""  # one line, for the dev CLI's profile list
    # Where the data came from: part ("values", "battery", "disk_usage", ...) -> corpus sample
    # under tests/corpus/ios (sources in tests/corpus/SOURCES.md). Empty for hand-written profiles.
    captures: Mapping[str, str] = field(default_factory=dict)

    def pair_record(self) -> dict[str, Any] | None:
        """What usbmuxd's ReadPairRecord hands out; None for a device never trusted.

        Certificates are placeholders: the fake never turns TLS on, so nothing parses them.
        """
        if not self.paired:
            return None
        placeholder = b"-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n"
        key = b"-----BEGIN PRIVATE KEY-----\nZmFrZQ==\n-----END PRIVATE KEY-----\n"
        return {
            "DeviceCertificate": placeholder,
            "EscrowBag": bytes(range(32)),
            "HostCertificate": placeholder,
            "HostID": HOST_ID,
            "HostPrivateKey": key,
            "RootCertificate": placeholder,
            "RootPrivateKey": key,
            "SystemBUID": SYSTEM_BUID,
            "WiFiMACAddress": self.values["WiFiAddress"],
        }
