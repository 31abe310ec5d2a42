"""Hand-written emulated iPhones (kept for the tests and demos written against them).

Values follow what an iPhone 13 on iOS 17.5.1 reports. The real-world personalities, built from
captures of real iPhones, are in :mod:`sidecar_devkit.emulate.ios.zoo`.

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

from dataclasses import replace
from typing import Any

from sidecar_devkit.emulate.ios.logs import CRASH_REPORTS, SYSLOG
from sidecar_devkit.emulate.ios.profile import DeviceProfile

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
            "TotalDataAvailable": 75_817_066_496,  # free + reserved + 4 GiB purgeable
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
        "com.apple.security.mac.amfi": {"DeveloperModeStatus": False},
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

PAIRED = DeviceProfile(
    name="paired",
    description="hand-written iPhone 13, iOS 17.5.1, paired, not managed",
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
    description="hand-written iPhone 13, iOS 17.5.1, Find My (activation lock) on",
    udid="00008110-0009154A2C10401E",
    values=_values("00008110-0009154A2C10401E", "G6TZ31MKN70P", "Sam’s iPhone"),
    domains=_domains(fmip=True, supervised=False),
    location_id=0x00150000,
)

_MDM_IDENTIFIER = "com.example.mdm.enrollment"

SUPERVISED_MDM = replace(
    PAIRED,
    name="supervised_mdm",
    description="hand-written iPhone 13, iOS 17.5.1, supervised and MDM-enrolled by Example Corp",
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
    description="hand-written iPhone 13, iOS 17.5.1, never trusted this computer",
    udid="00008110-0011223344556601",
    paired=False,
    values=_values("00008110-0011223344556601", "JQ8RT4NV2K5M", "iPhone"),
    location_id=0x00170000,
)
