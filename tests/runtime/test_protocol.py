"""The moved runtime, started the way the host starts it (`python3 -I -m sidecar`, empty environment),
serves the whole protocol: health, devices (emulated phones), reports in every format, a download."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sidecar_devkit.client import development_policy
from sidecar_devkit.emulate.lab import running_lab

from ..download.helpers import wait_end
from ..download.mediaserver import MediaServer, media_bytes
from ..report import samples
from ..report.poppler import logical, pdf_text

pytestmark = pytest.mark.e2e

DEVICE_TIMEOUT_S = 10.0  # generous: a loaded machine must not turn a slow answer into a failure


def initialize(sidecar, tmp_path: Path, **config) -> dict:
    return sidecar.initialize(development_policy(str(tmp_path / "roots")), config={"device_timeout_s": DEVICE_TIMEOUT_S, **config})


def test_health_names_the_moved_runtime_as_its_python_and_every_backend_as_installed(built, runtime_sidecar, tmp_path) -> None:
    initialize(runtime_sidecar, tmp_path)
    health = runtime_sidecar.request("health")
    assert health["status"] == "ok" and health["initialized"]
    assert health["python"]["executable"] == str(built.python)
    assert health["python"]["prefix"] == str(built.root)
    assert {name: backend["available"] for name, backend in health["backends"].items()} == {
        "adb_shell": True,
        "pymobiledevice3": True,
        "yt_dlp": True,
        "jinja2": True,
        "fpdf2": True,
    }


def test_emulated_android_and_ios_devices_are_listed_inspected_and_their_logs_collected(runtime_sidecar, tmp_path) -> None:
    with running_lab(tmp_path / "adb" / "adbkey", "pixel", "supervised_mdm") as lab:
        initialize(runtime_sidecar, tmp_path, adb_key_path=str(lab.adb_key))
        listed = runtime_sidecar.request("devices/list", {"android_tcp": [lab.android.serial], "usbmux_address": lab.ios.usbmux_address}, timeout=60)
        assert {(d["device_id"], d["state"]) for d in listed["devices"]} >= {(lab.android.serial, "ready"), (lab.ios.udid, "ready")}
        # The bundled libusb loads: Android over USB is looked for (this machine has no phone), not reported unavailable.
        assert not [w for w in listed["warnings"] if "libusb" in w["message"]], listed["warnings"]
        refs = [
            {"device_id": lab.android.serial, "platform": "android", "hints": {"connection": "tcp", "address": lab.android.serial}},
            {"device_id": lab.ios.udid, "platform": "ios", "hints": {"usbmux_address": lab.ios.usbmux_address}},
        ]
        for ref, window in zip(refs, ({"max_lines": 50}, {"duration_s": 3}), strict=True):
            basic = runtime_sidecar.request("inspect/basic", ref, timeout=60)
            deep = runtime_sidecar.request("inspect/deep", ref, timeout=60)
            assert basic["data"]["serial"] and basic["data"]["model"], basic
            assert deep["data"]["battery"]["level"] is not None, deep
            logs = runtime_sidecar.request("logs/collect", ref | window, timeout=60)
            assert logs["log_count"] > 0 and hashlib.sha256(Path(logs["path"]).read_bytes()).hexdigest() == logs["sha256"]


@pytest.mark.parametrize(("fmt", "magic"), [("html", b"<!DOCTYPE html>"), ("md", b"# "), ("json", b"{"), ("pdf", b"%PDF-")])
def test_a_report_is_written_in_each_format(runtime_sidecar, tmp_path, fmt, magic) -> None:
    initialize(runtime_sidecar, tmp_path)
    report = runtime_sidecar.request("report/format", {"report_id": "intake", "format": fmt, "data": samples.android()})
    content = Path(report["artifact"]).read_bytes()
    assert content.lstrip().startswith(magic) and report["bytes"] == len(content)
    assert Path(report["artifact"]).parent == tmp_path / "roots" / "reports"


def test_a_pdf_report_draws_every_script_with_the_bundled_fonts_and_shaping(runtime_sidecar, tmp_path) -> None:
    # The CJK and emoji fallbacks and uharfbuzz are in the runtime: Chinese (no system font has it
    # here), Cyrillic, Arabic in reading order (shaped) and an emoji come back from the PDF.
    initialize(runtime_sidecar, tmp_path)
    report = runtime_sidecar.request("report/format", {"report_id": "scripts", "format": "pdf", "data": samples.scripts()})
    text = logical(pdf_text(Path(report["artifact"])))
    for shown in (samples.CHINESE, samples.CYRILLIC, samples.ARABIC, "🍎"):
        assert shown in text, shown
    assert "\ufffd" not in text


def test_a_file_downloads_from_a_local_http_server(runtime_sidecar, tmp_path) -> None:
    initialize(runtime_sidecar, tmp_path)  # the development policy allows private networks, so loopback
    media = MediaServer()
    try:
        data = media_bytes(200_000)
        runtime_sidecar.request("download/start", {"url": media.add("/clip.mp4", data), "progress_token": "d"})
        end = wait_end(runtime_sidecar, "d")
    finally:
        media.close()
    assert end["detail"]["status"] == "finished", end
    assert Path(end["message"]).read_bytes() == data
