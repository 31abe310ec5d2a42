"""Device list and watch latency through the user's adb server, and through usbmuxd's Listen.

    .venv/bin/python bench/devices_latency.py [--rounds N]

Peers, all on this machine: Debian's adb server on a private port (killed at the end), connected
to an emulated phone (the repo's adbd fake on loopback); the emulated usbmuxd with an emulated
iPhone. Measured, each the median of N rounds:

* ``devices/list`` through the server (one ``host:devices-l`` plus one allowlisted ``getprop`` per
  ready phone), against the peer ``adb devices -l`` (the user's own command, same server, same run);
* watch latency: from ``adb connect`` / ``adb disconnect`` returning, and from the emulated iPhone
  being plugged in / out, to the ``devices/watch`` report that shows it.

Figures go to stdout (and into BENCHMARKS.md by hand); nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sidecar_devkit.client import SidecarProcess, development_policy
from sidecar_devkit.emulate.android import PROFILES, running_adbd
from sidecar_devkit.emulate.android.profiles import AuthPolicy
from sidecar_devkit.emulate.ios import running_ios
from tests.devices.adbserver import AdbServer

SIDECAR = [sys.executable, "-I", "-m", "sidecar", "--log-level", "warning"]


def ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.1f} ms (min {min(seconds) * 1000:.1f}, max {max(seconds) * 1000:.1f})"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def until_report(sidecar: SidecarProcess, token: str, condition: Callable[[set[str]], bool]) -> float:
    """Seconds until a watch report whose device ids satisfy ``condition``."""
    started = time.perf_counter()
    while True:
        message = sidecar.read_message(timeout=30)
        params = message.get("params") or {}
        is_report = message.get("method") == "$/progress" and params.get("token") == token and params["value"]["kind"] == "report"
        if is_report and condition({d["device_id"] for d in params["value"]["detail"]["devices"]}):
            return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        server = AdbServer(root / "adb-home")
        try:
            profile = msgspec.structs.replace(PROFILES["pixel"], auth=AuthPolicy(trusted_keys=(server.public_key,)), features=("shell_v2", "cmd"))
            with running_adbd(profile) as phone, running_ios("paired") as iphone:
                server.connect(phone.serial)
                env = {**server.env, "ADB_SERVER_SOCKET": server.spec}
                with SidecarProcess(SIDECAR, env=env, cwd=str(REPO)) as sidecar:
                    sidecar.initialize(development_policy(str(root / "roots")))
                    sidecar.request("devices/list", {})  # warm: backends imported once
                    listing = [timed(lambda: sidecar.request("devices/list", {})) for _ in range(rounds)]
                    peer = [timed(lambda: server("devices", "-l")) for _ in range(rounds)]
                    print(f"devices/list through the adb server: {ms(listing)}")
                    print(f"peer `adb devices -l`, same server:   {ms(peer)}  (ratio {statistics.median(listing) / statistics.median(peer):.2f}x)")

                    sidecar.send(
                        {"jsonrpc": "2.0", "id": "w", "method": "devices/watch", "params": {"usbmux_address": iphone.usbmux_address, "progress_token": "t"}}
                    )
                    until_report(sidecar, "t", lambda ids: phone.serial in ids and iphone.udid in ids)
                    attach, detach, plug, unplug = [], [], [], []
                    for _ in range(rounds):
                        server("disconnect", phone.serial)
                        detach.append(until_report(sidecar, "t", lambda ids: phone.serial not in ids))
                        server("connect", phone.serial)
                        attach.append(until_report(sidecar, "t", lambda ids: phone.serial in ids))
                        iphone.unplug()
                        unplug.append(until_report(sidecar, "t", lambda ids: iphone.udid not in ids))
                        iphone.plug_in()
                        plug.append(until_report(sidecar, "t", lambda ids: iphone.udid in ids))
                    print(f"watch, adb connect -> report:        {ms(attach)}")
                    print(f"watch, adb disconnect -> report:     {ms(detach)}")
                    print(f"watch, iPhone plugged in -> report:  {ms(plug)}")
                    print(f"watch, iPhone unplugged -> report:   {ms(unplug)}")
                    sidecar.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "w"}})
        finally:
            server.kill()  # the server started here, on its private port


if __name__ == "__main__":
    main()
