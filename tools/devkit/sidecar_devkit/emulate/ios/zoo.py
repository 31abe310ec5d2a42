"""Emulated iPhones built from captures of real ones: the personalities a technician meets.

Each profile serves what one or more real iPhones gave (:mod:`sidecar_devkit.emulate.ios.captures`,
sources in ``tests/corpus/SOURCES.md``). No single public source had every part of one phone,
so a profile joins the lockdown values of one phone with the battery registry and disk usage
of a phone of a close generation; ``captures`` names each part's sample. What is not from a capture
is said where it is set.

* ``iphone6plus-ios12``: battery capacities in mAh, a power source found only by its entry
  name (the IOPMPowerSource class query answers empty), 32 GB of pre-APFS disk usage.
* ``iphone7-ios13-unpaired``: never trusted this computer: public lockdown values only.
* ``iphone12-ios18-supervised``: supervised (cloud configuration as pymobiledevice3's
  ``supervise`` writes it) with a user-installed proxy certificate profile; battery registry
  reporting ``Voltage: 0`` beside the real reading; 6 GB free of 256 GB with 121 GB more that
  only ``TotalDataAvailable`` counts.
* ``iphone16plus-ios26``: masked identifiers as published, activation lock engaged, battery
  capacities only in the nested ``BatteryData``, no temperature and no voltage.
"""

from __future__ import annotations

from sidecar_devkit.emulate.ios import captures
from sidecar_devkit.emulate.ios.logs import CRASH_REPORTS, SYSLOG
from sidecar_devkit.emulate.ios.profile import DeviceProfile

# The phones' own com.apple.mobile.battery answers were not published with their registries;
# each profile states the charge and charging state its registry capture reads as (the
# sample's .expect.json), so the phone agrees with itself.
IPHONE6PLUS_IOS12 = DeviceProfile(
    name="iphone6plus-ios12",
    description="real iPhone 6 Plus, iOS 12.4.8: battery in mAh, found by entry name only; 32 GB",
    udid=captures.IPHONE6PLUS_IOS12_VALUES["UniqueDeviceID"],
    paired=True,
    values=captures.IPHONE6PLUS_IOS12_VALUES,
    domains={
        "com.apple.disk_usage": captures.IPHONE_32GB_DISK_USAGE,
        "com.apple.mobile.battery": {"BatteryCurrentCapacity": 100, "BatteryIsCharging": False, "ExternalConnected": True, "FullyCharged": True},
    },
    installed_profiles={"OrderedIdentifiers": [], "ProfileManifest": {}, "ProfileMetadata": {}},
    battery=captures.IOS9_IPHONE_POWER_SOURCE,
    power_source="AppleARMPMUCharger",
    power_source_by_class=False,
    syslog=SYSLOG,
    crash_reports=CRASH_REPORTS,
    location_id=0x00210000,
    captures={
        "values": captures.SAMPLES["IPHONE6PLUS_IOS12_VALUES"],
        "battery": captures.SAMPLES["IOS9_IPHONE_POWER_SOURCE"],
        "disk_usage": captures.SAMPLES["IPHONE_32GB_DISK_USAGE"],
    },
)

IPHONE7_IOS13_UNPAIRED = DeviceProfile(
    name="iphone7-ios13-unpaired",
    description="real iPhone 7, iOS 13.3.1, never trusted this computer: public lockdown values only",
    udid=captures.IPHONE7_IOS13_VALUES["UniqueDeviceID"],
    paired=False,
    values=captures.IPHONE7_IOS13_VALUES,
    domains={},
    location_id=0x00220000,
    captures={"values": captures.SAMPLES["IPHONE7_IOS13_VALUES"]},
)

# What pymobiledevice3 11.45's MobileConfigService.supervise() writes (SkipSetup and the
# supervisor certificate left out), read back as a device returns it; the organization is named
# here. No cloud configuration read from a real supervised phone was published.
SUPERVISED_BY_PYMOBILEDEVICE3 = {
    "AllowPairing": True,
    "CloudConfigurationUIComplete": True,
    "ConfigurationSource": 2,
    "ConfigurationWasApplied": True,
    "IsMDMUnremovable": False,
    "IsMandatory": True,
    "IsMultiUser": False,
    "IsSupervised": True,
    "OrganizationMagic": "5A750C81-5B7E-4F7B-B070-B5E565236C04",
    "OrganizationName": "Example Repair Lab",
    "PostSetupProfileWasInstalled": True,
}

IPHONE12_IOS18_SUPERVISED = DeviceProfile(
    name="iphone12-ios18-supervised",
    description="real iPhone 12, iOS 18.4.1, supervised, a proxy certificate profile; Voltage 0; 6 GB free of 256 GB",
    udid=captures.IPHONE12_IOS18_VALUES["UniqueDeviceID"],
    paired=True,
    values=captures.IPHONE12_IOS18_VALUES,
    domains={
        "com.apple.mobile.chaperone": {"DeviceIsChaperoned": True},
        "com.apple.disk_usage": captures.IPHONE14PRO_IOS26_DISK_USAGE,
        "com.apple.mobile.battery": {"BatteryCurrentCapacity": 9, "BatteryIsCharging": True, "ExternalConnected": True, "FullyCharged": False},
    },
    cloud_configuration=SUPERVISED_BY_PYMOBILEDEVICE3,
    installed_profiles=captures.PROXY_CERTIFICATE_PROFILE_LIST,
    battery=captures.IPHONE11_IOS26_POWER_SOURCE,
    syslog=SYSLOG,
    crash_reports=CRASH_REPORTS,
    location_id=0x00230000,
    captures={
        "values": captures.SAMPLES["IPHONE12_IOS18_VALUES"],
        "battery": captures.SAMPLES["IPHONE11_IOS26_POWER_SOURCE"],
        "disk_usage": captures.SAMPLES["IPHONE14PRO_IOS26_DISK_USAGE"],
        "profiles": captures.SAMPLES["PROXY_CERTIFICATE_PROFILE_LIST"],
    },
)

# The capture's UniqueDeviceID is masked ("00008*************13801C"), and a device id must be
# a real one: this one keeps the visible digits and the chip (t8140).
_IPHONE16PLUS_UDID = "00008140-000000000013801C"

IPHONE16PLUS_IOS26 = DeviceProfile(
    name="iphone16plus-ios26",
    description="real iPhone 16 Plus, iOS 26.3, activation-locked; battery data nested, no temperature or voltage",
    udid=_IPHONE16PLUS_UDID,
    paired=True,
    values=captures.IPHONE16PLUS_IOS26_VALUES | {"UniqueDeviceID": _IPHONE16PLUS_UDID},
    domains={
        # Its NVRAM, in the same capture, says fm-activation-locked = "YES" (<594553>).
        "com.apple.fmip": {"IsAssociated": True},
        "com.apple.disk_usage": captures.IPHONE14PRO_IOS26_DISK_USAGE,
        "com.apple.mobile.battery": {"BatteryCurrentCapacity": 12, "BatteryIsCharging": False},
    },
    installed_profiles={"OrderedIdentifiers": [], "ProfileManifest": {}, "ProfileMetadata": {}},
    battery=captures.IPHONE14PRO_IOS26_POWER_SOURCE,
    syslog=SYSLOG,
    crash_reports=CRASH_REPORTS,
    location_id=0x00240000,
    captures={
        "values": captures.SAMPLES["IPHONE16PLUS_IOS26_VALUES"],
        "battery": captures.SAMPLES["IPHONE14PRO_IOS26_POWER_SOURCE"],
        "disk_usage": captures.SAMPLES["IPHONE14PRO_IOS26_DISK_USAGE"],
    },
)

ZOO = (IPHONE6PLUS_IOS12, IPHONE7_IOS13_UNPAIRED, IPHONE12_IOS18_SUPERVISED, IPHONE16PLUS_IOS26)
