"""The Tauri app end to end: the .deb as built, unpacked to a path with spaces and non-ASCII
characters, run under Xvfb and driven through its UI over WebDriver (see harness.py)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from sidecar_devkit.emulate.lab import Lab, running_lab

from ..download.mediaserver import STALL_FIRST_BYTES, MediaServer, media_bytes
from ..evidence.verify_evidence import verify as verify_log
from ..support.runtime_verify import verify
from .harness import PRODUCT, TRIPLE, App, Home, deb_path, processes_using, running_app, unpack, virtual_display

pytestmark = pytest.mark.app


@dataclass(frozen=True)
class Installed:
    root: Path

    @property
    def binary(self) -> Path:
        return self.root / "usr" / "bin" / "sidecar-app"

    @property
    def runtime(self) -> Path:
        return self.root / "usr" / "lib" / PRODUCT / "runtime" / TRIPLE


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    # Installed somewhere the build never was: the app must find its runtime relative to itself.
    return Installed(unpack(deb_path(), tmp_path_factory.mktemp("app") / "Installed Apps ø"))


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with virtual_display() as name:
        yield name


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return Home(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def lab(home: Home) -> Iterator[Lab]:
    # The emulated Android device trusts ~/.android/adbkey of this home, as a phone trusts the
    # key of a computer whose "Allow USB debugging?" prompt was accepted.
    with running_lab(home.root / ".android" / "adbkey", "pixel", "paired") as lab:
        yield lab


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    server = MediaServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def app(installed: Installed, home: Home, lab: Lab, display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    home.write_settings(
        {
            "android_tcp": [lab.android.serial],
            "usbmux_address": lab.ios.usbmux_address,
            "allow_private_networks": True,  # the media server is on loopback
            "downloads_dir": str(home.root / "Downloads"),
        }
    )
    with running_app(installed.binary, home, display, tmp_path_factory.mktemp("logs") / "app.log") as app:
        app.wait_until(lambda: app.state() != "starting", message="the app never left the starting state")
        yield app


def test_the_deb_ships_the_app_and_a_runtime_that_verifies(installed: Installed) -> None:
    assert installed.binary.is_file()
    assert (installed.runtime / "bin" / "python3").is_file()
    result = verify(installed.runtime)
    assert result.returncode == 0, result.stderr


def test_the_app_becomes_ready_on_its_bundled_runtime(app: App, installed: Installed) -> None:
    assert app.state() == "ready", app.find("status-details").text
    assert app.find("sidecar-version").text.startswith("sidecar 0.1.0 · Python 3.")
    source = app.find("python-source").text
    assert "bundled runtime" in source and str(installed.runtime) in source
    app.screenshot("ready")


def test_it_lists_the_emulated_phones(app: App, lab: Lab) -> None:
    app.find("refresh-devices").click()
    app.wait_until(lambda: len(app.find_all("device-row")) == 2, message="two devices listed")
    ids = {row.get_attribute("data-device-id") for row in app.find_all("device-row")}
    assert ids == {lab.android.serial, lab.ios.udid}


def _device_row(app: App, device_id: str):
    app.wait_until(lambda: any(r.get_attribute("data-device-id") == device_id for r in app.find_all("device-row")))
    return next(r for r in app.find_all("device-row") if r.get_attribute("data-device-id") == device_id)


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_inspecting_a_phone_shows_what_it_reports(app: App, lab: Lab, platform: str) -> None:
    device_id = lab.android.serial if platform == "android" else lab.ios.udid
    app.find("inspect", within=_device_row(app, device_id)).click()
    facts = app.wait_for("basic-info")
    expected_model = "Pixel 7" if platform == "android" else str(lab.ios.profile.values["ProductType"])
    assert expected_model in facts.text
    if platform == "ios":  # the name it is sold under, beside the model code
        assert "iPhone 13" in facts.text
    app.find("inspect-deep").click()
    assert "Security patch" in app.wait_for("deep-info").text


def test_logs_are_followed_for_the_chosen_time_with_progress_into_the_logs_folder(app: App, lab: Lab, home: Home) -> None:
    app.find("inspect", within=_device_row(app, lab.android.serial)).click()
    app.wait_for("basic-info")
    Select(app.find("logs-duration")).select_by_value("10")
    app.find("collect-logs").click()
    bar = app.wait_for("logs-progress")
    # Ten seconds of following: the bar moves well before the result replaces it.
    app.wait_until(lambda: 0 < float(bar.get_attribute("value") or 0) < 100, message="the logs progress bar moved")
    result = app.wait_for("logs-result").text
    path = Path(result.rsplit(": ", 1)[1])
    assert path.is_file() and path.is_relative_to(home.data / "logs"), path


def test_reports_are_written_in_every_format_with_everything_collected(app: App, lab: Lab, home: Home) -> None:
    app.find("inspect", within=_device_row(app, lab.android.serial)).click()
    app.wait_for("basic-info")
    app.find("inspect-deep").click()
    app.wait_for("deep-info")
    app.find("collect-logs").click()
    app.wait_for("logs-result")
    written = {}
    for fmt in ("html", "md", "json", "pdf"):
        app.find(f"report-{fmt}").click()
        written[fmt] = Path(app.wait_for(f"report-written-{fmt}").text.rsplit(": ", 1)[1])
    for fmt, path in written.items():
        assert path.parent == home.data / "reports" and path.suffix == f".{fmt}", path
    assert written["pdf"].read_bytes().startswith(b"%PDF-")
    document = json.loads(written["json"].read_text())["data"]
    assert document["device"]["model"] == "Pixel 7"
    assert document["deep"]["security_patch"] and document["logs"]["log_count"] > 0
    assert "Pixel 7" in written["html"].read_text()
    app.screenshot("inspection")


def test_the_evidence_of_an_inspection_is_listed_carried_by_its_report_and_verifies(app: App, lab: Lab, home: Home) -> None:
    app.find("inspect", within=_device_row(app, lab.android.serial)).click()
    app.wait_for("basic-info")
    panel = app.wait_for("device-evidence")
    app.wait_until(lambda: app.find_all("evidence-entry", within=panel), message="the device's evidence entries are listed")
    listed = {row.get_attribute("data-hash") for row in app.find_all("evidence-entry", within=panel)}
    app.find("report-json").click()
    report = json.loads(Path(app.wait_for("report-written-json").text.rsplit(": ", 1)[1]).read_text())["data"]["evidence"]
    assert {entry["hash"] for entry in report["entries"]} <= listed and report["entries"]
    log = home.data / "evidence" / "evidence.jsonl"
    assert verify_log(log.read_bytes()).startswith("ok")
    assert report["head"] in log.read_text()  # the head the report prints is an entry of the log
    app.find("evidence-verify").click()
    app.wait_until(lambda: app.find("evidence-result").find_elements(By.CSS_SELECTOR, '[data-ok="true"]'), message="the app verified its log")


def test_a_download_shows_its_progress_and_lands_in_the_downloads_folder(app: App, media: MediaServer, home: Home) -> None:
    body = media_bytes(4 * STALL_FIRST_BYTES)
    # The server sends a first part, then waits: the UI is seen mid-download, whatever the machine's speed.
    url = media.add("/clips/e2e.mp4", body, behaviour="stall")
    app.find("download-url").send_keys(url)
    app.find("download-start").click()
    job = app.wait_for("download-job")
    bar = app.find("download-progress", within=job)
    app.wait_until(lambda: float(bar.get_attribute("value") or 0) > 0, message="the progress bar moved")
    assert job.get_attribute("data-status") == "active"
    media.release()
    app.wait_until(lambda: job.get_attribute("data-status") == "finished", message="the download finished")
    assert float(bar.get_attribute("value")) == 100
    files = [p for p in (home.root / "Downloads").rglob("*") if p.is_file()]
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in files] == [hashlib.sha256(body).hexdigest()], files
    app.driver.execute_script("arguments[0].scrollIntoView()", job)
    app.screenshot("download")


def test_the_page_can_call_nothing_its_capabilities_do_not_grant(app: App) -> None:
    assert "ok" in app.invoke("plugin:sidecar|health")
    refused = app.invoke("plugin:app|version")
    assert "not allowed" in refused.get("error", ""), refused
    # The commands are the sidecar plugin's, not the app's own: that name is not a command.
    assert "error" in app.invoke("health")


def test_settings_that_do_not_parse_give_a_readable_error(installed: Installed, display: str, tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.write_settings('{"android_tcp": ["no port here"]}')
    with running_app(installed.binary, home, display, tmp_path / "app.log") as app:
        app.wait_until(lambda: app.state() == "failed", message="the app shows the failure")
        error = app.find("sidecar-error")
        assert error.get_attribute("data-kind") == "settings_invalid"
        assert str(home.settings_file) in error.text and "delete it to start with the defaults" in error.text
        app.screenshot("settings-error")


def test_a_modified_runtime_is_refused_with_a_readable_error(display: str, tmp_path: Path) -> None:
    installed = Installed(unpack(deb_path(), tmp_path / "installed"))
    planted = installed.runtime / "lib" / "python3.11" / "site-packages" / "sitecustomize.py"
    planted.write_text("import os  # would run in every sidecar process\n")
    home = Home(tmp_path / "home")
    with running_app(installed.binary, home, display, tmp_path / "app.log") as app:
        app.wait_until(lambda: app.state() == "failed", message="the app refuses the runtime")
        error = app.find("sidecar-error")
        assert error.get_attribute("data-kind") == "runtime_damaged"
        assert "extra: lib/python3.11/site-packages/sitecustomize.py" in error.text and "Reinstall the app" in error.text
    assert processes_using(installed.runtime) == [], "nothing ran from the refused runtime"


def _gone(paths: Path, within: float = 30.0) -> list[tuple[int, str]]:
    """The processes still using ``paths`` after up to ``within`` seconds (none, hopefully)."""
    deadline = time.monotonic() + within
    while (left := processes_using(paths)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_closing_the_window_ends_the_app_and_its_sidecar(installed: Installed, display: str, tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with running_app(installed.binary, home, display, tmp_path / "app.log") as app:
        app.wait_until(lambda: app.state() == "ready", message="the app is ready")
        assert processes_using(installed.runtime), "the sidecar runs from the bundled runtime"
        app.driver.close()  # what the user does: close the last window
        assert _gone(installed.root) == []


def test_a_killed_app_does_not_orphan_its_sidecar(installed: Installed, display: str, tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with running_app(installed.binary, home, display, tmp_path / "app.log") as app:
        app.wait_until(lambda: app.state() == "ready", message="the app is ready")
        [(app_pid, _)] = processes_using(installed.binary)
        assert processes_using(installed.runtime)
        os.kill(app_pid, signal.SIGKILL)  # no RunEvent::Exit: the sidecar must notice on its own
        assert _gone(installed.runtime) == []


def test_a_download_the_app_was_killed_during_is_resumed_and_shown_at_its_next_start(installed: Installed, display: str, tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    downloads = home.root / "Downloads"
    home.write_settings({"allow_private_networks": True, "downloads_dir": str(downloads)})  # the media server is on loopback
    server = MediaServer()
    body = media_bytes(4 * STALL_FIRST_BYTES)
    url = server.add("/clips/resumed.mp4", body, behaviour="stall")  # a first part, then a pause until released
    try:
        with running_app(installed.binary, home, display, tmp_path / "app.log") as app:
            app.wait_until(lambda: app.state() == "ready", message="the app is ready")
            app.find("download-url").send_keys(url)
            app.find("download-start").click()
            job = app.wait_for("download-job")
            key = job.get_attribute("data-job-id")
            bar = app.find("download-progress", within=job)
            app.wait_until(lambda: float(bar.get_attribute("value") or 0) > 0, message="the progress bar moved")
            [(app_pid, _)] = processes_using(installed.binary)
            os.kill(app_pid, signal.SIGKILL)
            assert _gone(installed.runtime) == []
        [partial] = (downloads / f".sidecar-download-{key}").rglob("*.part")
        kept = partial.stat().st_size
        assert kept > 0 and not [p for p in downloads.iterdir() if p.is_file()]
        server.release()

        with running_app(installed.binary, home, display, tmp_path / "app.log") as app:
            app.wait_until(lambda: app.state() == "ready", message="the app is ready again")
            rows = app.wait_until(
                lambda: [row for row in app.find_all("download-job") if row.get_attribute("data-job-id") == key], message="the resumed download is listed"
            )
            app.wait_until(lambda: rows[0].get_attribute("data-status") == "finished", message="the resumed download finished")
            assert app.find("download-files", within=rows[0]).text == str(downloads / "resumed [resumed].mp4")
        files = [p for p in downloads.rglob("*") if p.is_file()]
        assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in files] == [hashlib.sha256(body).hexdigest()], files
        assert server.requests[-1] == ("/clips/resumed.mp4", f"bytes={kept}-")
        assert [p for p in downloads.iterdir() if p.name.startswith(".")] == []
    finally:
        server.close()


def test_using_the_app_left_its_runtime_exactly_as_shipped(installed: Installed) -> None:
    # Last in this module: every test above ran the sidecar from this runtime (no .pyc written,
    # nothing added), so the startup check will pass again tomorrow.
    result = verify(installed.runtime)
    assert result.returncode == 0, result.stderr
