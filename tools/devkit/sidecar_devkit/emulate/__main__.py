"""Dev CLI: serve an emulated Android and an emulated iOS device until interrupted.

    python -m sidecar_devkit.emulate [--profile NAME]... [--list]

``--profile`` names an Android or an iOS profile (``--list`` shows them all: hand-made ones and
the zoo of real phones built from captured output); give one of each platform to choose both.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
from pathlib import Path

from .android import all_profiles
from .android.profiles import DeviceProfile
from .ios.profiles import PROFILES as IOS_PROFILES
from .ios.profiles import describe as describe_ios
from .lab import running_lab


def main() -> None:
    android_profiles = all_profiles()
    parser = argparse.ArgumentParser(prog="python -m sidecar_devkit.emulate", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        choices=sorted({*android_profiles, *IOS_PROFILES}),
        metavar="NAME",
        help="an Android or iOS profile to serve (see --list); give one per platform",
    )
    parser.add_argument("--android", choices=sorted(android_profiles), help="the Android profile (default: pixel)")
    parser.add_argument("--ios", choices=sorted(IOS_PROFILES), help="the iOS profile (default: paired)")
    parser.add_argument("--list", action="store_true", help="list the profiles and exit")
    parser.add_argument("--adb-key", type=Path, help="adb private key the Android device trusts (default: a new one in a temp folder)")
    args = parser.parse_args()
    if args.list:
        _list(android_profiles)
        return
    android = args.android or next((p for p in args.profile if p in android_profiles), "pixel")
    ios = args.ios or next((p for p in args.profile if p in IOS_PROFILES), "paired")
    with tempfile.TemporaryDirectory(prefix="sidecar-emulate-") as scratch:
        key = args.adb_key or Path(scratch) / "adbkey"
        with running_lab(key, android, ios) as lab:
            android_ref = {"device_id": lab.android.serial, "platform": "android", "hints": {"connection": "tcp", "address": lab.android.serial}}
            ios_ref = {"device_id": lab.ios.udid, "platform": "ios", "hints": {"usbmux_address": lab.ios.usbmux_address}}
            print(f"Android ({android}) at {lab.android.serial}; iOS ({ios}) via usbmuxd at {lab.ios.usbmux_address}")
            print(f"initialize with config: {json.dumps({'adb_key_path': str(key)})}")
            print(f"inspect params:\n  {json.dumps(android_ref)}\n  {json.dumps(ios_ref)}")
            print("Ctrl-C to stop.", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            stop.wait()


def _list(android_profiles: dict[str, DeviceProfile]) -> None:
    for name, profile in sorted(android_profiles.items()):
        print(f"android  {name:32} {profile.about}")
    for name, about in sorted(describe_ios().items()):
        print(f"ios      {name:32} {about}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
