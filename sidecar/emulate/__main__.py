"""Dev CLI: serve an emulated Android and an emulated iOS device until interrupted.

    python -m sidecar.emulate [--android pixel|frp|bootloader-unlocked|rooted] [--ios paired|activation_locked|supervised_mdm|unpaired]
"""

from __future__ import annotations

import argparse
import json
import signal
import tempfile
import threading
from pathlib import Path

from .android import PROFILES as ANDROID_PROFILES
from .ios.profiles import PROFILES as IOS_PROFILES
from .lab import running_lab


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sidecar.emulate", description=__doc__.splitlines()[0])
    parser.add_argument("--android", choices=sorted(ANDROID_PROFILES), default="pixel")
    parser.add_argument("--ios", choices=sorted(IOS_PROFILES), default="paired")
    parser.add_argument("--adb-key", type=Path, help="adb private key the Android device trusts (default: a new one in a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sidecar-emulate-") as scratch:
        key = args.adb_key or Path(scratch) / "adbkey"
        with running_lab(key, args.android, args.ios) as lab:
            android = {"device_id": lab.android.serial, "platform": "android", "hints": {"connection": "tcp", "address": lab.android.serial}}
            ios = {"device_id": lab.ios.udid, "platform": "ios", "hints": {"usbmux_address": lab.ios.usbmux_address}}
            print(f"Android ({args.android}) at {lab.android.serial}; iOS ({args.ios}) via usbmuxd at {lab.ios.usbmux_address}")
            print(f"initialize with config: {json.dumps({'adb_key_path': str(key)})}")
            print(f"inspect params:\n  {json.dumps(android)}\n  {json.dumps(ios)}")
            print("Ctrl-C to stop.", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            stop.wait()


if __name__ == "__main__":
    main()
