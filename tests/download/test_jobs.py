"""Job lifecycle end to end: cancel, the concurrency limit, and what EOF or shutdown leaves behind."""

from __future__ import annotations

import pytest

from sidecar_devkit.client import SidecarError

from .helpers import group_gone, job, leftovers, progress_of, wait_bytes, wait_end, writer_into
from .mediaserver import media_bytes

pytestmark = pytest.mark.e2e


def _stalled(media, path: str = "/slow.mp4") -> str:
    """A download that sends its first bytes, then waits until the test releases it."""
    return media.add(path, media_bytes(1_000_000), behaviour="stall")


def test_cancel_mid_download_stops_the_worker_group_and_removes_partial_files(downloader, media, downloads) -> None:
    started = downloader.request("download/start", {"url": _stalled(media), "progress_token": "c"})
    wait_bytes(downloader, "c")
    worker = writer_into(downloads)
    assert leftovers(downloads), "the partial file should exist while downloading"
    cancelled = downloader.request("download/cancel", {"job_id": started["job_id"]})
    assert cancelled["status"] == "cancelled" and cancelled["files"] == [] and cancelled["error"] is None
    assert group_gone(worker)
    assert leftovers(downloads) == [] and list(downloads.iterdir()) == []
    end = wait_end(downloader, "c")
    assert end["message"] == "cancelled" and end["detail"]["status"] == "cancelled"
    assert job(downloader, started["job_id"])["status"] == "cancelled"


def test_cancel_of_an_ended_job_returns_it_unchanged_and_of_an_unknown_job_is_invalid_target(downloader, media) -> None:
    started = downloader.request("download/start", {"url": media.url("/gone.mp4"), "progress_token": "g"})
    wait_end(downloader, "g")
    assert downloader.request("download/cancel", {"job_id": started["job_id"]})["status"] == "failed"
    with pytest.raises(SidecarError) as caught:
        downloader.request("download/cancel", {"job_id": "no-such-job"})
    assert caught.value.kind == "invalid_target"


def test_jobs_queue_behind_the_policy_limit_and_a_queued_job_cancels_without_starting(start_sidecar, media) -> None:
    sidecar = start_sidecar(max_concurrent_downloads=1)
    first = sidecar.request("download/start", {"url": _stalled(media, "/one.mp4"), "progress_token": "one"})
    second = sidecar.request("download/start", {"url": _stalled(media, "/two.mp4"), "progress_token": "two"})
    third = sidecar.request("download/start", {"url": _stalled(media, "/three.mp4"), "progress_token": "three"})
    wait_bytes(sidecar, "one")
    statuses = {entry["job_id"]: entry["status"] for entry in sidecar.request("download/list")["jobs"]}
    assert [statuses[first["job_id"]], statuses[second["job_id"]], statuses[third["job_id"]]] == ["active", "queued", "queued"]
    assert sidecar.request("download/cancel", {"job_id": third["job_id"]})["status"] == "cancelled"
    media.release()
    wait_end(sidecar, "two")
    order = [(n["params"]["token"], n["params"]["value"]["kind"]) for n in sidecar.notifications if n["params"]["value"]["kind"] in ("begin", "end")]
    assert order == [("one", "begin"), ("one", "end"), ("two", "begin"), ("two", "end")]
    assert progress_of(sidecar, "three") == []  # never started, so never begun


def test_a_progress_token_in_use_by_a_running_download_is_refused(downloader, media) -> None:
    downloader.request("download/start", {"url": _stalled(media), "progress_token": "same"})
    with pytest.raises(SidecarError) as caught:
        downloader.request("download/start", {"url": _stalled(media, "/other.mp4"), "progress_token": "same"})
    assert caught.value.code == -32602


def test_eof_mid_download_ends_the_sidecar_with_no_worker_left_and_no_partial_file(downloader, media, downloads) -> None:
    downloader.request("download/start", {"url": _stalled(media), "progress_token": "e"})
    wait_bytes(downloader, "e")
    worker = writer_into(downloads)
    downloader.proc.stdin.close()
    assert downloader.proc.wait(timeout=10) == 0
    assert group_gone(worker)
    assert leftovers(downloads) == []


def test_shutdown_mid_download_cancels_the_job_and_leaves_no_worker_and_no_partial_file(downloader, media, downloads) -> None:
    downloader.request("download/start", {"url": _stalled(media), "progress_token": "s"})
    wait_bytes(downloader, "s")
    worker = writer_into(downloads)
    assert downloader.request("shutdown") is None
    assert wait_end(downloader, "s")["message"] == "cancelled"
    assert group_gone(worker)
    assert leftovers(downloads) == []
    downloader.notify("exit")
    assert downloader.proc.wait(timeout=10) == 0


def test_a_worker_outlives_no_sidecar_even_one_killed_outright(downloader, media, downloads) -> None:
    downloader.request("download/start", {"url": _stalled(media), "progress_token": "k"})
    wait_bytes(downloader, "k")
    worker = writer_into(downloads)
    downloader.proc.kill()  # no cleanup in the sidecar at all: the worker notices its stdin closing
    downloader.proc.wait(timeout=10)
    assert group_gone(worker)
    assert leftovers(downloads) == []
