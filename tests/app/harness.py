"""The app under test, as users get it: the .deb that `tauri build` made, unpacked to a fresh folder,
run on a virtual display (Xvfb) and driven through its UI by WebDriver (tauri-driver in front of
WebKitWebDriver, Debian's webkit2gtk-driver).

Nothing is mocked: the app spawns the Python runtime bundled in the .deb, which talks to emulated
phones (real ADB and usbmux/lockdown protocols on loopback) and a local HTTP server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from ..conftest import REPO

TARGET_DIR = REPO / "src-tauri" / "target"
BUNDLE_DIR = TARGET_DIR / "debug" / "bundle" / "deb"
SCREENSHOTS = TARGET_DIR / "e2e"
TAURI_DRIVER = REPO / ".venv" / "bin" / "tauri-driver"
WEBKIT_DRIVER = Path("/usr/bin/WebKitWebDriver")
PRODUCT = "Sidecar"  # productName in tauri.conf.json: the .deb's /usr/lib/<product> holds the resources
IDENTIFIER = "dev.sidecar.desktop"
TRIPLE = "x86_64-unknown-linux-gnu"
WAIT = 90.0  # seconds; generous, for a loaded 2-core machine (a cold runtime start included)
BUILD_HINT = "./scripts/test builds it (runtime, frontend, then `tauri build --debug --bundles deb`)"


def deb_path() -> Path:
    debs = sorted(BUNDLE_DIR.glob("*.deb"))
    if len(debs) != 1:
        raise AssertionError(f"expected one .deb in {BUNDLE_DIR}, found {[d.name for d in debs]}; {BUILD_HINT}")
    return debs[0]


def unpack(deb: Path, root: Path) -> Path:
    """The .deb's files under ``root`` (as dpkg would install them under /)."""
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


@contextmanager
def virtual_display() -> Iterator[str]:
    """An Xvfb display on a free number (Xvfb picks it and writes it to -displayfd)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as numbers:
            number = numbers.readline().strip()
        if not number:
            raise AssertionError("Xvfb did not start (no display number)")
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Home:
    """A user's home for one app run: settings, and the folders the app writes into."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / ".local" / "share" / IDENTIFIER

    @property
    def settings_file(self) -> Path:
        return self.root / ".config" / IDENTIFIER / "settings.json"

    def write_settings(self, settings: dict | str) -> None:
        self.settings_file.parent.mkdir(parents=True, exist_ok=True)
        text = settings if isinstance(settings, str) else json.dumps(settings)
        self.settings_file.write_text(text)

    def env(self, display: str) -> dict[str, str]:
        """What the app sees: this home, the display, and nothing of the test's own environment
        that could change which Python or which settings it uses."""
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.root),
            "XDG_CONFIG_HOME": str(self.root / ".config"),
            "XDG_DATA_HOME": str(self.root / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.root / ".cache"),
            "XDG_RUNTIME_DIR": str(self.root / "run"),
            "DISPLAY": display,
            "LANG": "C.UTF-8",
        }


class App:
    """One running app and the WebDriver session that drives it."""

    def __init__(self, driver: webdriver.Remote) -> None:
        self.driver = driver

    def find(self, test_id: str, within: WebElement | None = None) -> WebElement:
        return (within or self.driver).find_element(By.CSS_SELECTOR, f'[data-testid="{test_id}"]')

    def find_all(self, test_id: str, within: WebElement | None = None) -> list[WebElement]:
        return (within or self.driver).find_elements(By.CSS_SELECTOR, f'[data-testid="{test_id}"]')

    def wait_for(self, test_id: str, within: WebElement | None = None, timeout: float = WAIT) -> WebElement:
        WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            lambda _: self.find_all(test_id, within), f"no {test_id!r} within {timeout} s; the page says: {self.page_text()}"
        )
        return self.find(test_id, within)

    def wait_until(self, condition, timeout: float = WAIT, message: str = ""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(lambda _: condition(), message)

    def page_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def state(self) -> str | None:
        return self.driver.find_element(By.TAG_NAME, "body").get_attribute("data-state")

    def invoke(self, command: str, args: dict | None = None) -> dict:
        """Invoke a Tauri command from the page, as the frontend would; {"ok": ...} or {"error": ...}."""
        return self.driver.execute_async_script(
            "const [command, args, done] = arguments;"
            "window.__TAURI__.core.invoke(command, args).then(ok => done({ok}), error => done({error: String(error)}));",
            command,
            args or {},
        )

    def screenshot(self, name: str) -> Path:
        # Two animation frames: the page has painted what the DOM holds (on a busy machine a
        # screenshot taken at once can show an earlier frame).
        self.driver.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def running_app(binary: Path, home: Home, display: str, log: Path) -> Iterator[App]:
    """Start tauri-driver, open a WebDriver session on ``binary`` (which starts the app), and
    end both; the app's stderr (and its sidecar's) goes to ``log``."""
    for tool, hint in ((TAURI_DRIVER, "./scripts/setup installs it"), (WEBKIT_DRIVER, "Debian's webkit2gtk-driver")):
        if not tool.exists():
            raise AssertionError(f"{tool} is missing; {hint}")
    (home.root / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    port, native_port = free_port(), free_port()
    with open(log, "ab") as output:
        driver_process = subprocess.Popen(
            [str(TAURI_DRIVER), "--port", str(port), "--native-port", str(native_port), "--native-driver", str(WEBKIT_DRIVER)],
            env=home.env(display),
            stdout=output,
            stderr=output,
        )
    try:
        # tauri-driver listens at once but starts WebKitWebDriver beside it: wait for both,
        # or the first session request can find nothing behind the proxy.
        _wait_listening(port, driver_process)
        _wait_listening(native_port, driver_process)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(binary)})
        # A connection object, not a URL: selenium's URL path warns about its own deprecated argument.
        connection = RemoteConnection(client_config=ClientConfig(remote_server_addr=f"http://127.0.0.1:{port}"))
        driver = webdriver.Remote(command_executor=connection, options=options)
        try:
            yield App(driver)
        finally:
            _end_session(driver, binary)
    finally:
        driver_process.terminate()
        try:
            driver_process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver_process.kill()
            driver_process.wait()


def _end_session(driver: webdriver.Remote, binary: Path) -> None:
    """End the session, and the app if it is still there: a test that closed the window or
    killed the app has already ended it, and nothing may outlive the test."""
    try:
        driver.quit()
    except WebDriverException:
        pass  # the app is gone already
    for pid, _ in processes_using(binary):
        os.kill(pid, signal.SIGKILL)


def _wait_listening(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tauri-driver exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"tauri-driver did not listen on port {port} within {timeout} s")


def processes_using(path: Path) -> list[tuple[int, str]]:
    """Live processes whose command line mentions ``path`` (zombies count as gone)."""
    found = []
    needle = str(path).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            found.append((int(entry.name), cmdline.replace(b"\0", b" ").decode(errors="replace")))
    return found
