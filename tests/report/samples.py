"""Report data as the host sends it: what inspect/basic, inspect/deep and logs/collect return.

The values follow what the device backends produce for real phones (a Pixel with an unlocked
bootloader, an iPhone with MDM), so the reports are exercised on realistic shapes. Each
function returns a fresh dict that a test may modify.
"""

from __future__ import annotations

from typing import Any

GENERATED_AT = "2026-11-22T09:30:00+01:00"

# Device strings that try to break out of every format.
HOSTILE_MODEL = "<script>alert(1)</script>"
HOSTILE_MANUFACTURER = "| **bold** [link](javascript:alert(1)) <img src=x onerror=alert(2)> &amp; `code` _x_ ~~s~~ $m$"
HOSTILE_BUILD = "line one\n# heading?\r\n- item?\x00\x1b[31m"
HOSTILE_SERIAL = "ABC\u202eFDP.exe"


def android() -> dict[str, Any]:
    return {
        "generated_at": GENERATED_AT,
        "title": "Intake inspection",
        "device": {
            "platform": "android",
            "model": "Pixel 8 Pro",
            "manufacturer": "Google",
            "os_version": "14",
            "build": "AP2A.240805.005",
            "serial": "39211FDJH000XK",
            "activation_locked": None,
            "mdm_enrolled": None,
            "frp_locked": False,
            "efi_locked": None,
            "bootloader_locked": False,
            "verified_boot_state": "orange",
            "battery_level": 87,
        },
        "deep": {
            "battery": {"level": 87, "health": "good", "temperature_c": 28.1, "voltage_mv": 4123, "cycle_count": None, "charging": True},
            "storage": {"total_bytes": 118_354_722_816, "free_bytes": 23_412_539_392},
            "security_patch": "2024-08-05",
            "encryption": "encrypted (file)",
            "selinux": "Enforcing",
            "developer_options": True,
            "adb_enabled": True,
            "adb_over_network": False,
            "uptime_s": 273_000.5,
            "packages": {"user": 143, "system": 312},
            "root_indicators": ["su binary at /system/xbin/su", "bootloader unlocked (verified boot orange)"],
            "supervision": {"supervised": None, "mdm_enrolled": None, "organization_name": None, "profile_count": None},
        },
        "logs": {
            "path": "/home/ana/.local/share/inspector/logs/39211FDJH000XK-20261122T0930.log",
            "bytes": 5_242_880,
            "log_count": 48_213,
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "truncated": True,
            "warnings": [{"code": "truncated", "message": "the log reached max_log_bytes (5242880 bytes) and was cut"}],
        },
        "warnings": [
            {"code": "not_supported", "message": "Android does not expose supervision or MDM details to a read-only shell", "field": "supervision"},
            {"code": "permission_denied", "message": "/data/anr is not readable without root", "field": "root_indicators"},
        ],
    }


def ios() -> dict[str, Any]:
    return {
        "generated_at": "2026-11-22T08:30:00Z",
        "device": {
            "platform": "ios",
            "model": "iPhone14,5",
            "manufacturer": "Apple",
            "os_version": "17.5.1",
            "build": "21F90",
            "serial": "F2LXK9QHN72J",
            "activation_locked": True,
            "mdm_enrolled": True,
            "frp_locked": None,
            "efi_locked": None,
            "bootloader_locked": None,
            "verified_boot_state": None,
            "battery_level": 64,
        },
        "deep": {
            "battery": {"level": 64, "health": "91% of design capacity", "temperature_c": 30.52, "voltage_mv": 3871, "cycle_count": 512, "charging": False},
            "storage": {"total_bytes": 127_989_493_760, "free_bytes": 9_871_233_024},
            "security_patch": None,
            "encryption": "data protection (always on)",
            "selinux": None,
            "developer_options": False,
            "adb_enabled": None,
            "adb_over_network": None,
            "uptime_s": None,
            "packages": {"user": None, "system": None},
            "root_indicators": [],
            "supervision": {"supervised": True, "mdm_enrolled": True, "organization_name": "Northwind Traders", "profile_count": 2},
        },
        "logs": None,
        "warnings": [{"code": "not_supported", "message": "not applicable on iOS: security_patch, selinux, adb_enabled, adb_over_network, uptime_s, packages"}],
    }


def android_basic_only() -> dict[str, Any]:
    """Only inspect/basic ran, and the device withheld some values."""
    data = android()
    data["deep"] = None
    data["logs"] = None
    data["title"] = None
    data["device"].update(serial=None, build=None, verified_boot_state=None)
    data["warnings"] = [{"code": "partial_data", "message": "getprop ro.boot.verifiedbootstate returned nothing", "field": "verified_boot_state"}]
    return data


def hostile() -> dict[str, Any]:
    data = android()
    data["title"] = "Audit </title><script>alert('title')</script>"
    data["device"].update(model=HOSTILE_MODEL, manufacturer=HOSTILE_MANUFACTURER, build=HOSTILE_BUILD, serial=HOSTILE_SERIAL)
    data["deep"]["supervision"]["organization_name"] = "株式会社テスト 🚀 Ωμέγα עברית"
    data["warnings"].append({"code": "partial_data", "message": "<b>not bold</b>\n\n## not a heading | not a cell", "field": "model|x"})
    return data


# Names people give their phones, in the scripts the reports must draw (issue 10).
CHINESE, CYRILLIC, ARABIC, EMOJI = "小米手机", "Галина", "هاتف", "Bobby's iPhone 🍎"


def scripts() -> dict[str, Any]:
    """Device strings in Chinese, Cyrillic and Arabic, and with an emoji, where every format shows them."""
    data = android()
    data["title"] = EMOJI
    data["device"].update(manufacturer="Xiaomi", model=f"{CHINESE} 13")
    data["deep"]["supervision"]["organization_name"] = CYRILLIC
    data["warnings"] = [
        {"code": "partial_data", "message": ARABIC, "field": "model_name"},
        {"code": "partial_data", "message": f"ro.product.marketname is {ARABIC} ({CYRILLIC})", "field": None},
    ]
    return data


ALL = {"android": android, "ios": ios, "android_basic_only": android_basic_only, "hostile": hostile, "scripts": scripts}
