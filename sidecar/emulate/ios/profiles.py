"""Emulated iOS devices as data: what each one answers over lockdown and its services.

Values follow what an iPhone 13 on iOS 17.5.1 reports. Four profiles:

* ``paired``: activated, Find My off, not supervised; usbmuxd holds a pair record.
* ``activation_locked``: as ``paired`` but Find My is on. Lockdown shows that as
  ``com.apple.fmip`` ``IsAssociated`` true: the device stays usable (it is
  ``Activated``) but erasing it leaves it activation-locked to the owner's Apple ID.
* ``supervised_mdm``: supervised and MDM-enrolled by an organisation (cloud
  configuration with ``IsSupervised``, ``OrganizationName``, a management profile).
* ``unpaired``: usbmuxd has no pair record; lockdown answers only what it answers
  any host before a session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

# A real 2048-bit RSA key in the PKCS#1 form lockdownd hands out; clients need a
# parseable one to even build a Pair request (which the fake then refuses).
DEVICE_PUBLIC_KEY = b"""-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA4tUH6WsNkj8sF6i8YLv5rm1H5ZnTeY3FrTr+Csl9Y+Wwu7KqosrY
O2DxTzOKKov+zK6PJePC/o2PZmO2Nx7I/bRN2b+1Q1BP6cTrBiNg6H9l8BECI2gq
Y7kCc4FGRVhsvNzvOzNy71iMy36f9jnMCkhdt9rbwke9rBk1m4JRNcAy/HrgUKtO
/rVvOVQUWO77UiU6cgSLOTHb1I0uDBHbilJ3FdJf2xtEnWvaZCweXj/bLhWKYUp5
tsuvzYW18PImsEoKpJG8QSmVglolXWbwYvjvfK0Rq5YY/AUf8Ync2IbaF8b8haoL
FqAx12YljVA8vFaFqhaU68qapWF+7XU8cQIDAQAB
-----END RSA PUBLIC KEY-----
"""

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
    battery: dict[str, Any] = field(default_factory=dict)
    syslog: tuple[str, ...] = ()
    crash_reports: tuple[CrashFile, ...] = ()
    product_id: int = 0x12A8  # USB product id every iPhone reports
    location_id: int = 0x00140000

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


def _values(udid: str, serial: str, name: str) -> dict[str, Any]:
    return {
        "ActivationState": "Activated",
        "ActivationStateAcknowledged": True,
        "BasebandCertId": 524245983,
        "BasebandKeyHashInformation": {"AKeyStatus": 2, "SKeyStatus": 0},
        "BasebandSerialNumber": b"\x1f\x2b\x3c\x4d",
        "BasebandStatus": "BBInfoAvailable",
        "BasebandVersion": "3.60.02",
        "BluetoothAddress": "a4:c6:f0:3e:91:5b",
        "BoardId": 14,
        "BrickState": False,
        "BuildVersion": "21F90",
        "CPUArchitecture": "arm64e",
        "ChipID": 33040,
        "DeviceClass": "iPhone",
        "DeviceColor": "1",
        "DeviceName": name,
        "DevicePublicKey": DEVICE_PUBLIC_KEY,
        "DieID": 7421193822473214014,
        "FirmwareVersion": "iBoot-10151.122.1",
        "HardwareModel": "D17AP",
        "HardwarePlatform": "t8110",
        "HasSiDP": True,
        "HostAttached": True,
        "InternationalMobileEquipmentIdentity": "356789104523417",
        "MLBSerialNumber": "F3Y2145019HQ1P5A8",
        "ModelNumber": "MLPF3",
        "PartitionType": "GUID_partition_scheme",
        "PasswordProtected": True,
        "ProductName": "iPhone OS",
        "ProductType": "iPhone14,5",
        "ProductVersion": "17.5.1",
        "ProductionSOC": True,
        "ProtocolVersion": "2",
        "RegionInfo": "ZD/A",
        "SIMStatus": "kCTSIMSupportSIMStatusReady",
        "SerialNumber": serial,
        "SoftwareBundleVersion": "",
        "SupportedDeviceFamilies": [1],
        "TelephonyCapability": True,
        "TimeZone": "Europe/Berlin",
        "TimeZoneOffsetFromUTC": 7200.0,
        "TrustedHostAttached": True,
        "UniqueChipID": int(udid.split("-")[1], 16),
        "UniqueDeviceID": udid,
        "Uses24HourClock": True,
        "WiFiAddress": "a4:c6:f0:3e:91:5a",
    }


def _domains(*, fmip: bool, supervised: bool) -> dict[str, dict[str, Any]]:
    return {
        "com.apple.fmip": {"IsAssociated": fmip},
        "com.apple.mobile.chaperone": {"DeviceIsChaperoned": supervised},
        "com.apple.disk_usage": {
            "AmountDataAvailable": 71_312_384_000,
            "AmountDataReserved": 209_715_200,
            "CalendarUsage": 1_843_200,
            "CameraUsage": 12_884_901_888,
            "MobileApplicationUsage": 18_253_611_008,
            "PhotoUsage": 9_663_676_416,
            "TotalDataAvailable": 71_521_099_776,
            "TotalDataCapacity": 117_893_734_400,
            "TotalDiskCapacity": 128_000_000_000,
            "TotalSystemAvailable": 0,
            "TotalSystemCapacity": 10_106_265_600,
        },
        "com.apple.mobile.battery": {
            "BatteryCurrentCapacity": 87,
            "BatteryIsCharging": False,
            "ExternalChargeCapable": True,
            "ExternalConnected": True,
            "FullyCharged": False,
            "GasGaugeCapability": True,
            "HasBattery": True,
        },
        "com.apple.PurpleBuddy": {
            "SetupDone": True,
            "SetupFinishedAllSteps": True,
            "SetupState": "SetupUsingAssistant",
        },
        "com.apple.mobile.iTunes": {
            "DBVersion": 5,
            "FamilyID": 10024,
            "MinITunesVersion": "12.12.4",
            "MinMacOSVersion": "10.15.0",
            "SupportsAccessibility": True,
            "iTunesSetupComplete": True,
        },
        "com.apple.international": {
            "Keyboard": "de_DE",
            "Language": "de-DE",
            "Locale": "de_DE",
            "SupportedLanguages": ["de-DE", "en-US", "fr-FR"],
        },
        "com.apple.mobile.backup": {"WillEncrypt": False},
    }


BATTERY = {
    "AdapterInfo": 0,
    "AppleRawBatteryVoltage": 3871,
    "AppleRawCurrentCapacity": 2702,
    "AppleRawMaxCapacity": 2985,
    "AtCriticalLevel": False,
    "BatteryInstalled": True,
    "CurrentCapacity": 87,
    "CycleCount": 412,
    "DesignCapacity": 3227,
    "ExternalChargeCapable": True,
    "ExternalConnected": True,
    "FullyCharged": False,
    "InstantAmperage": 512,
    "IsCharging": False,
    "MaxCapacity": 100,
    "NominalChargeCapacity": 2985,
    "Serial": "F5D2163A1J0Q4LVA8",
    "Temperature": 2950,
    "TimeRemaining": 0,
    "UpdateTime": 1714635015,
    "Voltage": 3871,
}

SYSLOG = (
    "May  2 09:30:15 iPhone kernel[0] <Notice>: AppleKeyStore:Sending lock change 0 for handle 0",
    "May  2 09:30:15 iPhone SpringBoard(FrontBoard)[58] <Notice>: [application<com.apple.mobilesafari>] "
    "Foreground",
    "May  2 09:30:16 iPhone locationd[77] <Notice>: {\"msg\":\"client authorization\", \"status\":\"authorized\"}",
    "May  2 09:30:17 iPhone wifid(WiFiPolicy)[45] <Error>: WiFiLQAMgr: link quality 72",
    "May  2 09:30:18 iPhone ReportCrash[1391] <Notice>: Saved type '309(MobileSafari)' report",
)


def _ips(header: dict[str, Any], body: dict[str, Any]) -> bytes:
    # iOS 15+ .ips: a one-line JSON header, then the JSON report body.
    return (json.dumps(header) + "\n" + json.dumps(body, indent=2)).encode()


CRASH_REPORTS = (
    CrashFile(
        "/MobileSafari-2024-05-02-093015.ips",
        _ips(
            {
                "app_name": "MobileSafari",
                "timestamp": "2024-05-02 09:30:15.00 +0200",
                "app_version": "17.5.1",
                "slice_uuid": "3a6f0d51-2c6e-3b9a-9a43-6c2f0a1b7e52",
                "build_version": "8618.2.12.10.6",
                "bundleID": "com.apple.mobilesafari",
                "platform": 2,
                "share_with_app_devs": 0,
                "is_first_party": 1,
                "bug_type": "309",
                "os_version": "iPhone OS 17.5.1 (21F90)",
                "roots_installed": 0,
                "name": "MobileSafari",
                "incident_id": "8E2C7B1A-4F3D-4C5B-9A10-2B7E6D4F1C03",
            },
            {
                "uptime": 12000,
                "procRole": "Foreground",
                "version": 2,
                "userID": 501,
                "modelCode": "iPhone14,5",
                "osVersion": {"isEmbedded": True, "train": "iPhone OS 17.5.1", "releaseType": "User", "build": "21F90"},
                "captureTime": "2024-05-02 09:30:15.2291 +0200",
                "incident": "8E2C7B1A-4F3D-4C5B-9A10-2B7E6D4F1C03",
                "pid": 1384,
                "cpuType": "ARM-64",
                "procName": "MobileSafari",
                "procPath": "/Applications/MobileSafari.app/MobileSafari",
                "exception": {"codes": "0x0000000000000001, 0x00000001a5c3b2d4", "type": "EXC_BREAKPOINT",
                              "signal": "SIGTRAP"},
                "termination": {"flags": 0, "code": 5, "namespace": "SIGNAL", "indicator": "Trace/BPT trap: 5"},
                "faultingThread": 0,
            },
        ),
        1_714_635_015_000_000_000,
    ),
    CrashFile(
        "/JetsamEvent-2024-05-01-101112.ips",
        _ips(
            {
                "bug_type": "298",
                "timestamp": "2024-05-01 10:11:12.00 +0200",
                "os_version": "iPhone OS 17.5.1 (21F90)",
                "roots_installed": 0,
                "incident_id": "1D4F6A2B-7C3E-4B8D-A5F0-9E2C1B3D4A56",
            },
            {
                "product": "iPhone14,5",
                "incident": "1D4F6A2B-7C3E-4B8D-A5F0-9E2C1B3D4A56",
                "date": "2024-05-01 10:11:12.41 +0200",
                "build": "iPhone OS 17.5.1 (21F90)",
                "memoryStatus": {"compressorSize": 51234, "pageSize": 16384, "memoryPages": {"active": 70213,
                                                                                             "free": 3412}},
                "largestProcess": "MobileSafari",
                "processes": [{"name": "MobileSafari", "rpages": 48213, "reason": "per-process-limit"}],
            },
        ),
        1_714_551_072_000_000_000,
    ),
    CrashFile(
        "/Retired/stacks+SpringBoard-2024-04-20-080000.ips",
        _ips(
            {
                "bug_type": "288",
                "timestamp": "2024-04-20 08:00:00.00 +0200",
                "os_version": "iPhone OS 17.5.1 (21F90)",
                "roots_installed": 0,
                "incident_id": "6B1E9C4D-2A7F-4E3B-8D5C-0F9A2E7B3C18",
            },
            {"product": "iPhone14,5", "reason": "stackshot", "processes": [{"name": "SpringBoard", "pid": 58}]},
        ),
        1_713_592_800_000_000_000,
    ),
)

PAIRED = DeviceProfile(
    name="paired",
    udid="00008110-001A2C3E0E38801E",
    paired=True,
    values=_values("00008110-001A2C3E0E38801E", "F2LXK0Q1N6Y7", "Alex’s iPhone"),
    domains=_domains(fmip=False, supervised=False),
    installed_profiles={"OrderedIdentifiers": [], "ProfileManifest": {}, "ProfileMetadata": {}},
    battery=BATTERY,
    syslog=SYSLOG,
    crash_reports=CRASH_REPORTS,
)

ACTIVATION_LOCKED = replace(
    PAIRED,
    name="activation_locked",
    udid="00008110-0009154A2C10401E",
    values=_values("00008110-0009154A2C10401E", "G6TZ31MKN70P", "Sam’s iPhone"),
    domains=_domains(fmip=True, supervised=False),
    location_id=0x00150000,
)

_MDM_IDENTIFIER = "com.example.mdm.enrollment"

SUPERVISED_MDM = replace(
    PAIRED,
    name="supervised_mdm",
    udid="00008110-000C31A90E21802E",
    values=_values("00008110-000C31A90E21802E", "HX4QP29LM1D3", "EXC-0423"),
    domains=_domains(fmip=False, supervised=True),
    cloud_configuration={
        "AllowPairing": True,
        "CloudConfigurationUIComplete": True,
        "ConfigurationSource": 0,
        "ConfigurationURL": "https://mdm.example.com/enroll",
        "ConfigurationWasApplied": True,
        "IsMDMUnremovable": True,
        "IsMandatory": True,
        "IsMultiUser": False,
        "IsSupervised": True,
        "OrganizationDepartment": "IT",
        "OrganizationEmail": "it@example.com",
        "OrganizationMagic": "4F2A6C1E-8B3D-4E7A-9C05-1D6B2F8E3A47",
        "OrganizationName": "Example Corp",
        "OrganizationPhone": "+49 30 1234567",
        "PostSetupProfileWasInstalled": True,
        "SkipSetup": ["Location", "Restore", "AppleID", "Siri", "Diagnostics"],
    },
    installed_profiles={
        "OrderedIdentifiers": [_MDM_IDENTIFIER],
        "ProfileManifest": {_MDM_IDENTIFIER: {"Description": "MDM Profile", "IsActive": True}},
        "ProfileMetadata": {
            _MDM_IDENTIFIER: {
                "PayloadDescription": "Enrolls this device in Example Corp device management",
                "PayloadDisplayName": "MDM Profile",
                "PayloadOrganization": "Example Corp",
                "PayloadRemovalDisallowed": True,
                "PayloadUUID": "A1C3E5F7-0B2D-4F6A-8C1E-3B5D7F9A1C2E",
                "PayloadVersion": 1,
            }
        },
    },
    location_id=0x00160000,
)

UNPAIRED = replace(
    PAIRED,
    name="unpaired",
    udid="00008110-0011223344556601",
    paired=False,
    values=_values("00008110-0011223344556601", "JQ8RT4NV2K5M", "iPhone"),
    location_id=0x00170000,
)

PROFILES: dict[str, DeviceProfile] = {p.name: p for p in (PAIRED, ACTIVATION_LOCKED, SUPERVISED_MDM, UNPAIRED)}


def get_profile(profile: DeviceProfile | str) -> DeviceProfile:
    if isinstance(profile, DeviceProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown iOS profile {profile!r}; known: {', '.join(PROFILES)}") from None
