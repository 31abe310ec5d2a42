"""Resumable jobs: a job started with a resume_key keeps its partial file when the sidecar stops
under it (shutdown, or killed outright), and a later sidecar's job with the same key resumes it with
a Range request; cancel removes the partial files. Job records give the final absolute path."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from sidecar_devkit.client import SidecarError

from .helpers import job, leftovers, wait_bytes, wait_end
from .mediaserver import media_bytes

pytestmark = pytest.mark.e2e

SIZE = 1_000_000


def partial(downloads: Path, key: str) -> Path:
    [found] = (downloads / f".sidecar-download-{key}").rglob("*.part")
    return found


def start(sidecar, url: str, key: str, token: str) -> dict:
    return sidecar.request("download/start", {"url": url, "resume_key": key, "progress_token": token, "filename_template": "%(id)s.%(ext)s"})


@pytest.mark.parametrize("ending", ["shutdown", "sigkill"])
def test_a_resumable_job_stopped_with_its_sidecar_is_resumed_by_the_next_one_with_a_range_request(start_sidecar, media, downloads, ending) -> None:
    data = media_bytes(SIZE)
    url = media.add("/film.mp4", data, behaviour="stall")  # 64 KiB, then a pause until released
    first = start_sidecar()
    start(first, url, "film-1", "a")
    wait_bytes(first, "a")
    if ending == "shutdown":
        first.request("shutdown")
        end = wait_end(first, "a")
        assert end["message"] == "interrupted" and end["detail"]["status"] == "interrupted" and end["detail"]["resume_key"] == "film-1"
        first.notify("exit")
    else:
        os.kill(first.proc.pid, signal.SIGKILL)  # the worker sees its channel close and stops, keeping the partial file
    first.proc.wait(timeout=30)
    kept = partial(downloads, "film-1").stat().st_size
    assert 0 < kept < SIZE and not (downloads / "film.mp4").exists()

    media.release()
    second = start_sidecar()
    start(second, url, "film-1", "b")
    end = wait_end(second, "b")

    assert end["detail"]["status"] == "finished", end
    assert Path(end["message"]) == downloads / "film.mp4" and (downloads / "film.mp4").read_bytes() == data
    assert media.requests[-1] == ("/film.mp4", f"bytes={kept}-")
    assert leftovers(downloads) == []


def test_cancel_removes_a_resumable_jobs_partial_files_running_or_left_by_an_interrupted_one(start_sidecar, media, downloads) -> None:
    url = media.add("/clip.mp4", media_bytes(SIZE), behaviour="stall")
    first = start_sidecar()
    start(first, url, "clip-1", "a")
    wait_bytes(first, "a")
    first.request("shutdown")
    wait_end(first, "a")
    first.notify("exit")
    first.proc.wait(timeout=30)
    assert partial(downloads, "clip-1").exists()

    # Queued behind a running job, so it never runs: cancelling it still removes what its key left.
    second = start_sidecar(max_concurrent_downloads=1)
    other = second.request("download/start", {"url": media.add("/other.mp4", media_bytes(SIZE), behaviour="stall"), "progress_token": "other"})
    wait_bytes(second, "other")
    queued = start(second, url, "clip-1", "b")
    assert second.request("download/cancel", {"job_id": queued["job_id"]})["status"] == "cancelled"
    assert not (downloads / ".sidecar-download-clip-1").exists()

    # Running: its partial file exists, and cancel removes it.
    running = start(second, media.add("/third.mp4", media_bytes(SIZE), behaviour="stall"), "third-1", "c")
    second.request("download/cancel", {"job_id": other["job_id"]})  # the slot it waits for
    wait_bytes(second, "c")
    assert partial(downloads, "third-1").exists()
    assert second.request("download/cancel", {"job_id": running["job_id"]})["status"] == "cancelled"
    assert leftovers(downloads) == []


def test_a_resume_key_held_by_an_unfinished_job_is_refused(downloader, media) -> None:
    url = media.add("/slow.mp4", media_bytes(SIZE), behaviour="stall")
    start(downloader, url, "same", "a")
    with pytest.raises(SidecarError) as caught:
        start(downloader, url, "same", "b")
    assert caught.value.code == -32602
    with pytest.raises(SidecarError) as caught:
        downloader.request("download/start", {"url": url, "resume_key": "../up"})
    assert caught.value.code == -32602
    media.release()


def test_a_job_record_gives_the_final_absolute_path_while_downloading_and_once_finished(downloader, media, downloads) -> None:
    url = media.add("/walk.mp4", media_bytes(300_000), behaviour="stall")
    started = downloader.request("download/start", {"url": url, "progress_token": "w", "filename_template": "sub/%(title)s.%(ext)s"})
    during = wait_bytes(downloader, "w")
    final = downloads / "sub" / "walk.mp4"
    assert during["detail"]["progress"]["path"] == str(final) and job(downloader, started["job_id"])["progress"]["path"] == str(final)
    media.release()
    end = wait_end(downloader, "w")
    assert end["detail"]["path"] == str(final) == end["message"]
    listed = job(downloader, started["job_id"])
    assert listed["status"] == "finished" and listed["path"] == str(final) and listed["files"] == [str(final)]
