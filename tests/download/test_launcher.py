"""How workers start: forked from a warm template (Linux), or a warm spare (elsewhere; forced here by
SIDECAR_DOWNLOAD_LAUNCH=spare). Either way a worker is isolated as a spawned one was: the request's
policy is enforced in the worker itself, a cancel stops that job's process group only and leaves no
partial file, and nothing the launcher started outlives the sidecar, even one killed outright. The
launcher starts with the first download method, never with the sidecar."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from sidecar.download.launcher import LAUNCH_ENV, Launcher
from sidecar.download.messages import DownloadRequest, Failed, Saved, WorkerEvent
from sidecar.policy import Policy, Roots

from .helpers import WAIT, children, descendants, gone, group_gone, leftovers, wait_bytes, wait_end, writer_into
from .mediaserver import media_bytes

WAYS = ["fork", "spare"]


@pytest.fixture(params=WAYS)
def way(request, monkeypatch) -> str:
    """Sidecars started in this test launch their workers this way."""
    monkeypatch.setenv(LAUNCH_ENV, request.param)
    return request.param


def download_request(url: str, downloads: Path, allow_private: bool, job: str = "test") -> DownloadRequest:
    return DownloadRequest(
        url=url,
        preset="best",
        output_dir=str(downloads),
        temp_dir=str(downloads / f".sidecar-download-{job}"),
        template="%(id)s.%(ext)s",
        playlist_limit=None,
        log_level="warning",
        ffmpeg_location=None,
        policy=Policy(capabilities=frozenset({"download.fetch"}), roots=Roots(downloads=str(downloads)), allow_private_networks=allow_private),
    )


def launch(way: str, request: DownloadRequest) -> tuple[list[WorkerEvent], int]:
    """Run ``request`` in a worker the product launcher starts (outside a sidecar); its events and exit code."""

    async def main() -> tuple[list[WorkerEvent], int]:
        launcher = Launcher.standalone(way)  # type: ignore[arg-type]
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(launcher.run)
            async with launcher.spawn(request) as worker:
                events = [event async for event in worker.events()]
                code = await worker.wait()
            tasks.cancel_scope.cancel()
        return events, code

    return anyio.run(main)


@pytest.mark.parametrize("launch_way", WAYS)
def test_a_launched_worker_enforces_the_address_policy_itself(launch_way, media, tmp_path) -> None:
    # Nothing before the worker checked this URL (the sidecar would have refused it at once): the
    # refusal is the worker's own guard, installed by the request in the forked or spare process.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    url = media.add("/v.mp4", media_bytes(10_000))

    events, code = launch(launch_way, download_request(url, downloads, allow_private=False))

    assert code == 1
    [failure] = [event for event in events if isinstance(event, Failed)]
    assert failure.kind == "policy_denied" and "127.0.0.1" in failure.message
    assert media.requests == [] and list(downloads.iterdir()) == []


@pytest.mark.parametrize("launch_way", WAYS)
def test_a_launched_worker_downloads_into_the_output_dir_and_removes_its_temp_dir(launch_way, media, tmp_path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    data = media_bytes(200_000)

    events, code = launch(launch_way, download_request(media.add("/clip.mp4", data), downloads, allow_private=True))

    assert code == 0, events
    assert [event.path for event in events if isinstance(event, Saved)] == [str(downloads / "clip.mp4")]
    assert (downloads / "clip.mp4").read_bytes() == data and leftovers(downloads) == []


@pytest.mark.e2e
def test_the_launcher_starts_with_the_first_download_method_not_with_the_sidecar(start_sidecar, way) -> None:
    sidecar = start_sidecar()
    sidecar.request("health")
    assert children(sidecar.proc.pid) == []
    sidecar.request("download/list")
    assert len(_eventually(lambda: children(sidecar.proc.pid))) == 1  # the template, or the warm spare


@pytest.mark.e2e
def test_cancel_stops_only_that_job_and_the_other_finishes(start_sidecar, media, downloads, way) -> None:
    sidecar = start_sidecar()
    first = media.add("/first.mp4", media_bytes(1_000_000), behaviour="stall")
    second_data = media_bytes(1_000_000)
    second = media.add("/second.mp4", second_data, behaviour="stall")
    cancelled = sidecar.request("download/start", {"url": first, "progress_token": "a", "filename_template": "a/%(id)s.%(ext)s"})
    wait_bytes(sidecar, "a")
    worker_a = writer_into(downloads / f".sidecar-download-{cancelled['job_id']}")
    sidecar.request("download/start", {"url": second, "progress_token": "b", "filename_template": "b/%(id)s.%(ext)s"})
    wait_bytes(sidecar, "b")
    before = set(descendants(sidecar.proc.pid))

    assert sidecar.request("download/cancel", {"job_id": cancelled["job_id"]})["status"] == "cancelled"

    assert group_gone(worker_a)
    assert set(descendants(sidecar.proc.pid)) == before - {worker_a}  # the template (or spare) and the other job run on
    media.release()
    end = wait_end(sidecar, "b")
    assert end["detail"]["status"] == "finished" and Path(end["message"]).read_bytes() == second_data
    assert [path.relative_to(downloads) for path in downloads.rglob("*") if path.is_file()] == [Path("b/second.mp4")]


@pytest.mark.e2e
@pytest.mark.parametrize("ending", ["exit", "eof", "sigkill"])
def test_nothing_the_launcher_started_outlives_the_sidecar(start_sidecar, media, downloads, way, ending) -> None:
    sidecar = start_sidecar()
    sidecar.request("download/start", {"url": media.add("/slow.mp4", media_bytes(1_000_000), behaviour="stall"), "progress_token": "s"})
    wait_bytes(sidecar, "s")
    started = descendants(sidecar.proc.pid)
    assert len(started) >= 2  # the worker, and the template (or the next spare)

    if ending == "exit":
        sidecar.request("shutdown")
        sidecar.notify("exit")
    elif ending == "eof":
        sidecar.proc.stdin.close()
    else:
        os.kill(sidecar.proc.pid, signal.SIGKILL)  # no cleanup in the sidecar at all
    sidecar.proc.wait(timeout=30)

    assert all(gone(pid) for pid in started), [pid for pid in started if not gone(pid)]
    assert leftovers(downloads) == []


def _eventually(find: Callable[[], list[int]]) -> list[int]:
    deadline = time.monotonic() + WAIT
    while not (found := find()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def test_the_embedded_yt_dlp_tries_the_extractors_yt_dlp_enables_by_default_in_its_order() -> None:
    # The list is worked out once per process instead of per instance; it must be yt-dlp's own.
    import yt_dlp

    from sidecar.download.embed import EmbeddedYoutubeDL, base_options

    with yt_dlp.YoutubeDL(base_options()) as plain, EmbeddedYoutubeDL(base_options()) as ours:
        assert list(ours._ies.items()) == list(plain._ies.items())
        assert len(ours._ies) > 1000 and list(ours._ies)[-1] == "Generic"
