"""The desktop app against emulated phones, for people without one at hand (./scripts/demo).

Starts the emulated Android and iOS devices, writes app settings that point at them into a
throwaway config folder, and runs the app until its window is closed. The app's data (reports,
logs, downloads) goes to that folder too; its path is printed at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sidecar_devkit.emulate.lab import running_lab

IDENTIFIER = "dev.sidecar.desktop"  # tauri.conf.json: names the app's config and data folders


def main(app: str) -> int:
    root = Path(tempfile.mkdtemp(prefix="sidecar-app-demo-"))
    with running_lab(root / "adbkey", "pixel", "supervised_mdm") as lab:
        settings = {
            "android_tcp": [lab.android.serial],
            "usbmux_address": lab.ios.usbmux_address,
            "adb_key_path": str(lab.adb_key),
            "downloads_dir": str(root / "downloads"),
        }
        config = root / "config" / IDENTIFIER
        config.mkdir(parents=True)
        (config / "settings.json").write_text(json.dumps(settings, indent=2))
        sys.stderr.write(f"emulated phones: Android {lab.android.serial}, iOS {lab.ios.udid} (usbmuxd {lab.ios.usbmux_address})\n")
        env = {**os.environ, "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data")}
        code = subprocess.call([app], env=env)
    sys.stderr.write(f"the app exited with code {code}; its settings, reports, logs and downloads are in {root}\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
