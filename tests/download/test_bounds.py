"""What the job service keeps is bounded: the queue (busy past it), the history of ended jobs
(trimmed as jobs end), and download/list's answer (one frame, whatever the number of jobs)."""

from __future__ import annotations

import json
import time

import pytest

from sidecar.download.jobs import KEEP_FINISHED, MAX_QUEUED
from sidecar_devkit.client import SidecarError, SidecarProcess

from ..conftest import PRODUCT_ARGV, REPO
from .helpers import WAIT, wait_bytes
from .mediaserver import media_bytes

pytestmark = pytest.mark.e2e


def stalled(media, path: str = "/slow.mp4") -> str:
    return media.add(path, media_bytes(1_000_000), behaviour="stall")


def test_the_queue_is_bounded_and_past_it_download_start_is_busy_and_retryable(start_sidecar, media) -> None:
    sidecar = start_sidecar(max_concurrent_downloads=1)
    sidecar.request("download/start", {"url": stalled(media), "progress_token": "running"})
    wait_bytes(sidecar, "running")
    queued = [sidecar.request("download/start", {"url": media.url("/later.mp4")})["job_id"] for _ in range(MAX_QUEUED)]
    with pytest.raises(SidecarError) as caught:
        sidecar.request("download/start", {"url": media.url("/later.mp4")})
    assert caught.value.kind == "busy" and caught.value.data["retryable"] is True
    sidecar.request("download/cancel", {"job_id": queued[0]})
    assert sidecar.request("download/start", {"url": media.url("/later.mp4")})["status"] == "queued"


def test_ended_jobs_are_trimmed_as_they_end_keeping_the_newest(start_sidecar) -> None:
    # Refused when each job resolves its host (localhost is private): jobs that end at once, no worker.
    sidecar = start_sidecar(allow_private_networks=False)
    count = KEEP_FINISHED + 50
    first_id = 5000
    for offset in range(count):  # pipelined: every job is queued before the first has ended
        sidecar.send({"jsonrpc": "2.0", "id": first_id + offset, "method": "download/start", "params": {"url": "http://localhost:9/v.mp4"}})
    job_ids = []
    while len(job_ids) < count:
        reply = sidecar.read_message()
        if "id" in reply:
            job_ids.append(reply["result"]["job_id"])
    deadline = time.monotonic() + WAIT
    while True:
        listing = sidecar.request("download/list")
        if all(job["status"] == "failed" for job in listing["jobs"]) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [job["job_id"] for job in listing["jobs"]] == job_ids[-KEEP_FINISHED:]
    assert listing["omitted"] == 0


def test_download_list_fits_in_one_frame_whatever_the_number_of_jobs(tmp_path, policy, media) -> None:
    limit = 64 * 1024
    with (
        open(tmp_path / "sidecar.log", "wb") as stderr,
        SidecarProcess([*PRODUCT_ARGV, "--max-frame-bytes", str(limit)], stderr=stderr, cwd=str(REPO)) as sidecar,
    ):
        sidecar.initialize(policy | {"max_concurrent_downloads": 1})
        sidecar.request("download/start", {"url": stalled(media), "progress_token": "running"})
        wait_bytes(sidecar, "running")
        long_url = media.url("/later.mp4?" + "q" * 8000)  # the longest URL the schema takes, nearly
        for _ in range(40):
            sidecar.request("download/start", {"url": long_url})

        listing = sidecar.request("download/list")

        assert len(json.dumps(listing)) < limit
        shown = listing["jobs"]
        assert 0 < len(shown) < 41 and listing["omitted"] == 41 - len(shown)
        assert shown[0]["status"] == "active"  # the oldest unfinished job comes first, and is kept
        assert all(job["status"] == "queued" for job in shown[1:])
        media.release()
