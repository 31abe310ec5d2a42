"""A progress token belongs to one user at a time, a request or a download job (queued ones included),
until its ``end``; so a job's ``end``, which PROTOCOL.md promises, always reaches the host."""

from __future__ import annotations

import itertools

import pytest

from sidecar_devkit.client import SidecarError

from .helpers import progress_of, wait_bytes, wait_end, wait_progress
from .mediaserver import media_bytes

pytestmark = pytest.mark.e2e

_ids = itertools.count(1000)


def stalled_download(media, path: str = "/slow.mp4") -> str:
    """A download that sends its first bytes, then waits until the test releases it."""
    return media.add(path, media_bytes(1_000_000), behaviour="stall")


def stalled_page(media) -> str:
    """A page whose probe waits (yt-dlp reads the whole page) until the test releases it."""
    return media.add("/page.html", b"<html><body>" + b" " * 200_000 + b"</body></html>", "text/html", behaviour="stall")


def refused_kind(sidecar, method: str, params: dict) -> str:
    with pytest.raises(SidecarError) as caught:
        sidecar.request(method, params)
    return caught.value.kind


def brackets(sidecar, token: str) -> list[str]:
    return [value["kind"] for value in progress_of(sidecar, token) if value["kind"] != "report"]


def test_a_request_cannot_take_the_token_of_a_running_download_and_the_download_still_ends_on_it(downloader, media) -> None:
    downloader.request("download/start", {"url": stalled_download(media), "progress_token": "shared"})
    wait_bytes(downloader, "shared")
    probe = {"url": media.add("/quick.mp4", media_bytes(1_000)), "progress_token": "shared"}
    assert refused_kind(downloader, "download/probe", probe) == "invalid_params"
    media.release()
    end = wait_end(downloader, "shared")
    assert end["detail"]["status"] == "finished"
    assert brackets(downloader, "shared") == ["begin", "end"]


def test_a_queued_download_holds_its_token_before_it_begins(start_sidecar, media) -> None:
    sidecar = start_sidecar(max_concurrent_downloads=1)
    sidecar.request("download/start", {"url": stalled_download(media, "/one.mp4"), "progress_token": "one"})
    queued = sidecar.request("download/start", {"url": stalled_download(media, "/two.mp4"), "progress_token": "two"})
    assert queued["status"] == "queued"
    probe = {"url": media.add("/quick.mp4", media_bytes(1_000)), "progress_token": "two"}
    assert refused_kind(sidecar, "download/probe", probe) == "invalid_params"
    assert refused_kind(sidecar, "download/start", probe) == "invalid_params"
    # A queued job that is cancelled never began: its token is free at once.
    sidecar.request("download/cancel", {"job_id": queued["job_id"]})
    assert sidecar.request("download/start", probe)["status"] == "queued"
    media.release()
    wait_end(sidecar, "two")


def test_a_download_cannot_take_the_token_of_a_running_request(downloader, media) -> None:
    request_id = next(_ids)
    downloader.send({"jsonrpc": "2.0", "id": request_id, "method": "download/probe", "params": {"url": stalled_page(media), "progress_token": "p"}})
    wait_progress(downloader, "p", lambda value: value["kind"] == "begin")
    assert refused_kind(downloader, "download/start", {"url": media.add("/quick.mp4", media_bytes(1_000)), "progress_token": "p"}) == "invalid_params"
    media.release()
    while True:
        message = downloader.read_message(timeout=30)
        if message.get("id") == request_id:
            break
        downloader.notifications.append(message)
    assert brackets(downloader, "p") == ["begin", "end"]
    assert [entry for entry in downloader.request("download/list")["jobs"] if entry["progress_token"] == "p"] == []


def test_a_token_is_free_again_once_its_holder_has_ended(downloader, media) -> None:
    url = media.add("/quick.mp4", media_bytes(1_000))
    downloader.request("download/start", {"url": url, "progress_token": "again"})
    wait_end(downloader, "again")
    downloader.request("download/probe", {"url": url, "progress_token": "again"})
    downloader.notifications.clear()
    downloader.request("download/start", {"url": media.add("/quick2.mp4", media_bytes(1_000)), "progress_token": "again"})
    assert wait_end(downloader, "again")["detail"]["status"] == "finished"
