"""iOS results assembled from what the device answered, with a reason for every value it did not give.

Pure: :class:`Readings` (plain dicts, as lockdown and its services return them) in,
``BasicInfo``/``DeepSignals`` out. A read that failed, or that needs a pair record, was
already explained to the findings by whoever made it (naming the field it feeds); a key the
device left out is explained here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..findings import Findings
from ..types import BasicInfo, DeepSignals, Packages, Supervision
from . import parse
from .models import model_name

_DATA_PROTECTION = "data protection (always on)"


@dataclass(frozen=True)
class Readings:
    """What the device answered. A mapping is ``{}`` and a value None when it gave nothing."""

    paired: bool
    values: Mapping[str, Any] = field(default_factory=dict)  # lockdown's default domain
    find_my: Any = None  # com.apple.fmip IsAssociated
    battery_domain: Mapping[str, Any] = field(default_factory=dict)  # com.apple.mobile.battery
    power: Mapping[str, Any] = field(default_factory=dict)  # the IORegistry power-source entry
    disk: Mapping[str, Any] = field(default_factory=dict)  # com.apple.disk_usage
    developer_mode: Any = None  # com.apple.security.mac.amfi DeveloperModeStatus
    cloud: Mapping[str, Any] | None = None  # MCInstall cloud configuration; {} when none is set
    profiles: Mapping[str, Any] | None = None  # MCInstall profile list


def basic_info(readings: Readings, findings: Findings) -> BasicInfo:
    def value(name: str, key: str) -> str | None:
        return _need_value(findings, readings, name, key)

    product = value("model", "ProductType")
    return BasicInfo(
        platform="ios",
        model=product,
        manufacturer="Apple",
        os_version=value("os_version", "ProductVersion"),
        build=value("build", "BuildVersion"),
        serial=value("serial", "SerialNumber"),
        activation_locked=findings.need("activation_locked", parse.flag(readings.find_my), "com.apple.fmip gave no IsAssociated"),
        mdm_enrolled=mdm_enrolled(readings, findings, "mdm_enrolled"),
        frp_locked=None,  # an Android notion; iOS's counterpart is activation_locked
        efi_locked=None,  # Macs only
        bootloader_locked=None,
        verified_boot_state=None,
        battery_level=findings.need(
            "battery_level", parse.battery_level(readings.battery_domain, None), "com.apple.mobile.battery gave no BatteryCurrentCapacity"
        ),
        model_name=findings.need(
            "model_name", model_name(product), f"Apple's device list (pymobiledevice3) does not know {product}" if product else "no ProductType to name"
        ),
    )


def deep_signals(readings: Readings, findings: Findings) -> DeepSignals:
    cloud = readings.cloud
    return DeepSignals(
        battery=parse.battery(readings.power, readings.battery_domain, findings),
        storage=parse.storage(readings.disk, findings),
        security_patch=None,
        encryption=findings.need("encryption", _DATA_PROTECTION if readings.paired else None, "needs a pair record for this computer", "not_paired"),
        selinux=None,
        developer_options=findings.need(
            "developer_options", parse.flag(readings.developer_mode), "the device states no DeveloperModeStatus (Developer Mode exists from iOS 16)"
        ),
        adb_enabled=None,
        adb_over_network=None,
        uptime_s=None,
        packages=Packages(user=None, system=None),
        root_indicators=[],
        supervision=Supervision(
            supervised=findings.need(
                "supervision.supervised", None if cloud is None else parse.flag(cloud.get("IsSupervised", False)), "the cloud configuration could not be read"
            ),
            mdm_enrolled=mdm_enrolled(readings, findings, "supervision.mdm_enrolled"),
            organization_name=findings.need(
                "supervision.organization_name",
                _text((cloud or {}).get("OrganizationName")),
                "no organization: the cloud configuration names none",
                "not_supported",
            ),
            profile_count=findings.need(
                "supervision.profile_count", _profile_count(readings.profiles), "the configuration profile list gave no OrderedIdentifiers"
            ),
        ),
    )


def mdm_enrolled(readings: Readings, findings: Findings, name: str) -> bool | None:
    """True for automated (DEP/ADE) enrollment; False with no profiles at all; otherwise unknown."""
    cloud, profiles = readings.cloud, readings.profiles
    if cloud and cloud.get("ConfigurationURL"):
        return True
    if profiles is None:
        return findings.need(name, None, "the configuration profile list could not be read")
    if not profiles.get("OrderedIdentifiers"):
        return False
    return findings.need(name, None, "profiles are installed; whether one enrolls the device in MDM is not visible from their metadata")


def _need_value(findings: Findings, readings: Readings, name: str, key: str) -> str | None:
    value = _text(readings.values.get(key))
    if readings.paired:
        return findings.need(name, value, f"lockdown gave no {key}")
    return findings.need(name, value, f"lockdown gives {key} only to a paired computer", "not_paired")


def _text(value: Any) -> str | None:
    """Lockdown's identity values are strings; anything else is no answer."""
    return value if isinstance(value, str) and value else None


def _profile_count(profiles: Mapping[str, Any] | None) -> int | None:
    identifiers = None if profiles is None else profiles.get("OrderedIdentifiers")
    return len(identifiers) if isinstance(identifiers, list) else None
