"""yt-dlp plugins are code from the user's folders: the worker never loads them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .helpers import wait_end
from .mediaserver import media_bytes

pytestmark = pytest.mark.e2e


def test_the_worker_does_not_load_yt_dlp_plugins_from_the_users_config(start_sidecar, media, tmp_path, monkeypatch) -> None:
    config = tmp_path / "config"
    marker = tmp_path / "plugin-ran"
    plugin = config / "yt-dlp" / "plugins" / "evil" / "yt_dlp_plugins" / "extractor" / "evil.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    # Control: plain yt-dlp, embedded the default way, does run it.
    subprocess.run([sys.executable, "-c", "import yt_dlp; yt_dlp.YoutubeDL({'quiet': True})"], check=True, env=os.environ.copy(), timeout=60)
    assert marker.exists()
    marker.unlink()
    sidecar = start_sidecar()  # inherits XDG_CONFIG_HOME, and so does its worker
    sidecar.request("download/start", {"url": media.add("/v.mp4", media_bytes(5_000)), "progress_token": "p"})
    assert wait_end(sidecar, "p")["detail"]["status"] == "finished"
    assert not marker.exists()
