"""download/probe end to end: what a URL holds, JSON-safe, without downloading it."""

from __future__ import annotations

import pytest

from sidecar_devkit.client import SidecarError

from .mediaserver import media_bytes

pytestmark = pytest.mark.e2e


def test_probe_of_a_direct_link_gives_title_and_formats_and_downloads_nothing(downloader, media, downloads) -> None:
    url = media.add("/movie.webm", media_bytes(80_000), content_type="video/webm")
    result = downloader.request("download/probe", {"url": url})
    assert result["kind"] == "video" and result["title"] == "movie" and result["extractor"] == "generic"
    assert result["entries"] == [] and result["entry_count"] is None
    assert [(f["format_id"], f["ext"], f["protocol"]) for f in result["formats"]] == [("webm", "webm", "http")]
    assert not downloads.exists()


def test_probe_of_a_playlist_page_lists_entries_flat_up_to_the_limit(downloader, media) -> None:
    for index in range(3):
        media.add(f"/clip{index}.mp4", media_bytes(5_000))
    videos = "".join(f'<video src="/clip{index}.mp4"></video>' for index in range(3))
    page = media.add_page("/list.html", f"<html><head><title>Holiday</title></head><body>{videos}</body></html>")
    result = downloader.request("download/probe", {"url": page, "playlist_limit": 2})
    assert result["kind"] == "playlist" and result["title"] == "Holiday" and result["formats"] == []
    assert [entry["url"] for entry in result["entries"]] == [media.url("/clip0.mp4"), media.url("/clip1.mp4")]
    assert result["entry_count"] == 3


def test_probe_of_a_missing_page_is_download_failed(downloader, media) -> None:
    with pytest.raises(SidecarError) as caught:
        downloader.request("download/probe", {"url": media.url("/nothing")})
    assert caught.value.kind == "download_failed" and "404" in caught.value.data["message"]
