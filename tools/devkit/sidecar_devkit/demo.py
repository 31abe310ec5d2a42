"""The main job, for people: start the real sidecar, drive it the way the host does, show what it answers.

./scripts/demo        (or: .venv/bin/python -m sidecar_devkit.demo)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from sidecar.policy import Policy, digest

from .client import SidecarError, SidecarProcess, development_policy


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sidecar-demo-") as root:
        argv = [sys.executable, "-I", "-m", "sidecar", "--log-level", "warning"]
        started = time.perf_counter()
        sidecar = SidecarProcess(argv)
        try:
            _core(sidecar, root, started)
            _devices(sidecar, Path(root))
            _download(sidecar, Path(root))
        finally:
            code = sidecar.close()
        _say(f"\nsidecar exited with code {code} after shutdown + exit")
        return 0 if code == 0 else 1


def _core(sidecar: SidecarProcess, root: str, started: float) -> None:
    _heading("The sidecar")
    health = sidecar.request("health")
    _say(f"spawned `python -I -m sidecar` (pid {health['pid']}); first health answered in {(time.perf_counter() - started) * 1000:.0f} ms")
    _say(f"  version {health['version']}, Python {health['python']['version']} at {health['python']['executable']}")
    _say("  backends: " + ", ".join(f"{name} {'yes' if b['available'] else 'no'}" for name, b in health["backends"].items()))

    try:
        sidecar.request("policy/update", {"policy": {"capabilities": []}})
    except SidecarError as error:
        _say(f"before initialize, policy/update is refused: {error.kind} ({error.code}): {error.data['suggestion']}")

    policy = development_policy(root)
    # The emulated Android device trusts this key (as a real phone trusts ~/.android/adbkey after "Allow").
    result = sidecar.initialize(policy, config={"adb_key_path": str(Path(root) / "adbkey"), "device_timeout_s": 5})
    expected = _host_side_digest(policy)
    verdict = "matches" if result["policy_digest"] == expected else "DIFFERS FROM"
    _say(f"initialized: policy digest {result['policy_digest'][:16]}... {verdict} the host's own digest")
    _say(f"limits: {json.dumps(result['limits'])}")
    _say("methods (capabilities needed):")
    for method in result["methods"]:
        needs = ", ".join(method["capabilities"]) or "none"
        _say(f"  {method['name']:<18} {needs}{'  (notification)' if method['notification'] else ''}")

    try:
        sidecar.initialize(policy)
    except SidecarError as error:
        _say(f"a second initialize is refused: {error.kind}")

    document = sidecar.request("rpc.discover")
    _say(f"rpc.discover: OpenRPC {document['openrpc']}, {len(document['methods'])} methods, {len(document['components']['schemas'])} types")


def _devices(sidecar: SidecarProcess, root: Path) -> None:
    from .emulate.lab import running_lab

    with running_lab(root / "adbkey", "pixel", "supervised_mdm") as lab:
        _heading("Devices (emulated: real ADB and usbmux/lockdown protocols on loopback)")
        listed = sidecar.request("devices/list", {"android_tcp": [lab.android.serial], "usbmux_address": lab.ios.usbmux_address})
        for device in listed["devices"]:
            _say(f"  {device['platform']:<8} {device['device_id']:<28} {device['model'] or '?':<12} {device['os_version'] or '?':<8} {device['state']}")
        refs = [
            {"device_id": lab.android.serial, "platform": "android", "hints": {"connection": "tcp", "address": lab.android.serial}},
            {"device_id": lab.ios.udid, "platform": "ios", "hints": {"usbmux_address": lab.ios.usbmux_address}},
        ]
        for ref in refs:
            _report(sidecar, ref, _inspect(sidecar, ref))
        commands = ", ".join(sorted({s.removeprefix("shell:") for s in lab.android.received}))
        _say(f"\nEverything the Android device received (all on the read-only allowlist):\n  {commands}")
        ios_requests = sorted({f"{r.layer}:{r.request}" for r in lab.ios.received})
        _say(f"Everything the iOS device received (all read-only):\n  {', '.join(ios_requests)}")


def _inspect(sidecar: SidecarProcess, ref: dict[str, Any]) -> dict[str, Any]:
    basic = sidecar.request("inspect/basic", ref)
    deep = sidecar.request("inspect/deep", ref)
    data, signals = basic["data"], deep["data"]
    _heading(f"{ref['platform']} {data['manufacturer']} {data['model']}, OS {data['os_version']} ({data['build']})")
    rows = [
        ("serial", data["serial"]),
        ("activation locked", data["activation_locked"]),
        ("FRP locked", data["frp_locked"]),
        ("MDM enrolled", data["mdm_enrolled"]),
        ("bootloader locked", data["bootloader_locked"]),
        ("verified boot", data["verified_boot_state"]),
        (
            "battery",
            f"{_v(signals['battery']['level'])}%, {_v(signals['battery']['health'])}, {_v(signals['battery']['temperature_c'])} C, cycles {_v(signals['battery']['cycle_count'])}",
        ),
        ("storage free", _gib(signals["storage"]["free_bytes"]) + " of " + _gib(signals["storage"]["total_bytes"])),
        ("security patch", signals["security_patch"]),
        ("encryption", signals["encryption"]),
        ("SELinux", signals["selinux"]),
        ("developer options", signals["developer_options"]),
        ("packages user/system", f"{_v(signals['packages']['user'])}/{_v(signals['packages']['system'])}"),
        ("root indicators", ", ".join(signals["root_indicators"]) or "none"),
        ("supervised by", signals["supervision"]["organization_name"]),
    ]
    for label, value in rows:
        _say(f"  {label:<22} {_v(value)}")
    for warning in basic["warnings"] + deep["warnings"]:
        _say(f"  note: {warning['code']}: {warning['message']}")
    # iOS's syslog relay is live only: collect for two seconds; Android dumps its last 200 lines.
    window = {"duration_s": 2} if ref["platform"] == "ios" else {"max_lines": 200}
    logs = sidecar.request("logs/collect", ref | window)
    _say(f"  logs: {logs['log_count']} lines, {logs['bytes']} bytes -> {logs['path']} (sha256 {logs['sha256'][:12]}...)")
    generated_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "generated_at": generated_at,
        "device": data,
        "deep": signals,
        "logs": logs,
        "warnings": basic["warnings"] + deep["warnings"],
        "title": f"Inspection of {data['manufacturer']} {data['model']}",
    }


def _report(sidecar: SidecarProcess, ref: dict[str, Any], data: dict[str, Any]) -> None:
    for fmt in ("html", "pdf"):
        report = sidecar.request("report/format", {"report_id": f"{ref['platform']}-inspection", "format": fmt, "data": data})
        _say(f"  report ({fmt}): {report['bytes']} bytes -> {report['artifact']}")


def _download(sidecar: SidecarProcess, root: Path) -> None:
    """Download a file from a local web server (loopback: the development policy allows private networks)."""
    _heading("Download (yt-dlp, embedded, in its own child process)")
    media = root / "served"
    media.mkdir()
    (media / "demo-clip.mp4").write_bytes(_mp4_like(24 * 1024 * 1024))
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(media)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    announced = server.stdout
    if announced is None:  # stdout=PIPE above: never, but the type says so
        raise RuntimeError("http.server was spawned without a pipe")
    try:
        port = int(announced.readline().split(" port ")[1].split()[0])
        job = sidecar.request("download/start", {"url": f"http://127.0.0.1:{port}/demo-clip.mp4", "progress_token": "dl"})
        _say(f"  job {job['job_id']} {job['status']}")
        end = _follow_progress(sidecar, "dl")
        listed = {j["job_id"]: j for j in sidecar.request("download/list")["jobs"]}[job["job_id"]]
        _say(f"\n  {listed['status']}: {', '.join(listed['files']) or end.get('message')}")
    finally:
        server.terminate()
        server.wait()
        announced.close()


def _follow_progress(sidecar: SidecarProcess, token: str) -> dict[str, Any]:
    """Show a job's progress notifications until its ``end``."""
    while True:
        message = sidecar.read_message(timeout=120)
        value = message.get("params", {}).get("value", {}) if message.get("method") == "$/progress" else {}
        if message.get("params", {}).get("token") != token:
            continue
        if value.get("kind") == "end":
            return value
        percentage = value.get("percentage")
        line = f"  {value.get('message') or value.get('kind')}" + ("" if percentage is None else f" {percentage:5.1f}%")
        if sys.stdout.isatty():
            print(f"\r{line:<70}", end="", flush=True)
        else:
            _say(line)


def _mp4_like(size: int) -> bytes:
    """``size`` bytes that start like an MP4 file (an ftyp box)."""
    header = (24).to_bytes(4, "big") + b"ftypisom" + (0x200).to_bytes(4, "big") + b"isomiso2"
    return header + os.urandom(size - len(header))


def _v(value: object) -> str:
    return "-" if value is None else str(value)


def _gib(value: int | None) -> str:
    return "?" if value is None else f"{value / 2**30:.1f} GiB"


def _heading(text: str) -> None:
    _say(f"\n== {text}")


def _host_side_digest(policy: dict[str, Any]) -> str:
    """The digest a host computes over its own policy (the Rust host does the same in Rust)."""
    return digest(msgspec.convert(policy, Policy))


def _say(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
