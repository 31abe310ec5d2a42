"""yt-dlp is heavy: the sidecar must not import it to start, initialize or answer health."""

from __future__ import annotations

import sys

import pytest

from sidecar_devkit.client import SidecarProcess

from ..conftest import REPO

pytestmark = pytest.mark.e2e


def test_yt_dlp_is_not_imported_by_initialize_or_health(tmp_path, policy) -> None:
    log = tmp_path / "importtime.log"
    with open(log, "wb") as stderr:
        sidecar = SidecarProcess([sys.executable, "-X", "importtime", "-I", "-m", "sidecar"], stderr=stderr, cwd=str(REPO))
    with sidecar:
        sidecar.initialize(policy)
        assert sidecar.request("health")["backends"]["yt_dlp"]["available"] is True
        assert sidecar.request("download/list") == {"jobs": [], "omitted": 0}
    imported = [line.rsplit("|", 1)[-1].strip() for line in log.read_text().splitlines() if line.startswith("import time:")]
    assert "sidecar.download.jobs" in imported  # the download family is loaded...
    assert not [name for name in imported if name.split(".")[0] == "yt_dlp"]  # ...but not yt-dlp
