"""The syslog lines and crash reports every emulated iPhone serves (hand-written: no public capture
of a whole syslog or crash-report folder was used)."""

from __future__ import annotations

import json
from typing import Any

from sidecar_devkit.emulate.ios.profile import CrashFile

SYSLOG = (
    "May  2 09:30:15 iPhone kernel[0] <Notice>: AppleKeyStore:Sending lock change 0 for handle 0",
    ("May  2 09:30:15 iPhone SpringBoard(FrontBoard)[58] <Notice>: [application<com.apple.mobilesafari>] Foreground"),
    'May  2 09:30:16 iPhone locationd[77] <Notice>: {"msg":"client authorization", "status":"authorized"}',
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
                "exception": {"codes": "0x0000000000000001, 0x00000001a5c3b2d4", "type": "EXC_BREAKPOINT", "signal": "SIGTRAP"},
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
                "memoryStatus": {"compressorSize": 51234, "pageSize": 16384, "memoryPages": {"active": 70213, "free": 3412}},
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
