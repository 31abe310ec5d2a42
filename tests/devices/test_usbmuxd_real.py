"""Debian's real usbmuxd, with no iPhone attached: listing and watching give an empty list and no
warning. usbmuxd 1.1.1 always listens at /var/run/usbmuxd, so it runs in a private mount namespace
(a fresh /run) together with the sidecar that talks to it; the machine's own /run is never touched.
It runs here although this machine has no USB bus: libusb initialises and reports no devices."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar_devkit.client import SidecarProcess

from ..conftest import PRODUCT_ARGV, REPO
from .test_adb_server_e2e import watch_reports

pytestmark = pytest.mark.e2e

# In the namespace: a private /run, usbmuxd in the foreground (as root: it needs no other user here),
# then the sidecar once the socket exists; when the sidecar ends, this shell ends usbmuxd.
_START = r"""
mount -t tmpfs tmpfs /run || exit 97
usbmuxd -f -v -U root -l "$LOG" & usbmuxd=$!
i=0; while [ ! -S /var/run/usbmuxd ]; do i=$((i+1)); [ $i -gt 100 ] && exit 98; sleep 0.05; done
"$@"; status=$?
kill "$usbmuxd"; wait "$usbmuxd"
exit $status
"""


@pytest.fixture
def sidecar_beside_usbmuxd(tmp_path: Path, policy: dict, adb_key: Path) -> Iterator[SidecarProcess]:
    assert shutil.which("usbmuxd") and shutil.which("unshare"), "usbmuxd and util-linux are installed by setup (requirements/apt.txt)"
    env = {**os.environ, "LOG": str(tmp_path / "usbmuxd.log")}
    env.pop("USBMUXD_SOCKET_ADDRESS", None)
    argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", _START, "sh", *PRODUCT_ARGV]
    with open(tmp_path / "stderr.log", "wb") as stderr:
        sidecar = SidecarProcess(argv, stderr=stderr, cwd=str(REPO), env=env)
    with sidecar:
        sidecar.initialize(policy, config={"adb_key_path": str(adb_key)})
        yield sidecar


def test_usbmuxd_with_no_iphone_lists_nothing_and_warns_nothing(sidecar_beside_usbmuxd) -> None:
    result = sidecar_beside_usbmuxd.request("devices/list", {})
    assert [d for d in result["devices"] if d["platform"] == "ios"] == []
    assert not any("usbmuxd" in w["message"] for w in result["warnings"]), result["warnings"]


def test_watching_usbmuxd_with_no_iphone_reports_an_empty_list(sidecar_beside_usbmuxd) -> None:
    sidecar_beside_usbmuxd.send({"jsonrpc": "2.0", "id": "w", "method": "devices/watch", "params": {"progress_token": "t"}})
    first = next(watch_reports(sidecar_beside_usbmuxd, "t"))
    assert [d for d in first if d["platform"] == "ios"] == []


def test_usbmuxd_really_served_the_sidecar(sidecar_beside_usbmuxd, tmp_path: Path) -> None:
    sidecar_beside_usbmuxd.request("devices/list", {})
    sidecar_beside_usbmuxd.close()
    assert "Client" in (tmp_path / "usbmuxd.log").read_text()  # usbmuxd logged the sidecar's connections
