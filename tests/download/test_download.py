"""Downloads end to end over the real stdio protocol, from a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import job, leftovers, progress_of, wait_bytes, wait_end
from .mediaserver import media_bytes

pytestmark = pytest.mark.e2e


def test_a_direct_media_link_downloads_through_the_generic_extractor_into_the_downloads_root(downloader, media, downloads) -> None:
    data = media_bytes(300_000)
    url = media.add("/clips/holiday.mp4", data)
    started = downloader.request("download/start", {"url": url, "progress_token": "d1"})
    assert started["status"] == "queued" and started["job_id"]
    end = wait_end(downloader, "d1")
    path = Path(end["message"])
    assert end["detail"]["status"] == "finished" and end["detail"]["files"] == [str(path)]
    assert path.parent == downloads and path.name == "holiday [holiday].mp4"
    assert path.read_bytes() == data
    listed = job(downloader, started["job_id"])
    assert listed["status"] == "finished" and listed["files"] == [str(path)] and listed["error"] is None
    assert listed["progress"]["downloaded_bytes"] == listed["progress"]["total_bytes"] == len(data) and listed["progress"]["percent"] == 100
    # The end carries the job's final state, as download/list shows it: no need to ask for it.
    assert end["detail"] == {"method": "download/start", **listed}
    assert leftovers(downloads) == []


def test_progress_brackets_the_job_with_begin_reports_and_an_end_carrying_the_path(downloader, media) -> None:
    url = media.add("/a.mp4", media_bytes(200_000))
    downloader.request("download/start", {"url": url, "progress_token": 7})
    end = wait_end(downloader, 7)
    values = progress_of(downloader, 7)
    kinds = [value["kind"] for value in values]
    assert kinds[0] == "begin" and kinds[-1] == "end" and set(kinds[1:-1]) == {"report"}
    assert values[0]["title"] == "download"
    reports = [value["detail"] for value in values if value["kind"] == "report"]
    assert {report["method"] for report in reports} == {"download/start"} and {report["status"] for report in reports} == {"active"}
    figures = [report["progress"] for report in reports if report["progress"]["downloaded_bytes"]]
    assert figures, "no report carried byte counts"
    assert figures[-1]["stage"] == "downloading" and figures[-1]["filename"] == "a [a].mp4" and figures[-1]["total_bytes"] == 200_000
    percentages = [value["percentage"] for value in values if value.get("percentage") is not None]
    assert percentages == sorted(percentages) and all(0 <= p <= 100 for p in percentages)
    assert end["message"].endswith("a [a].mp4")


def test_a_connection_dropped_mid_file_is_resumed_with_a_range_request(downloader, media, downloads) -> None:
    data = media_bytes(400_000)
    url = media.add("/flaky.mp4", data, behaviour="cut_unranged")
    downloader.request("download/start", {"url": url, "progress_token": "r"})
    end = wait_end(downloader, "r")
    assert end["detail"]["status"] == "finished"
    assert Path(end["message"]).read_bytes() == data
    ranges = [header for path, header in media.requests if path == "/flaky.mp4" and header]
    assert ranges and ranges[0].startswith("bytes=") and ranges[0] != "bytes=0-", ranges


def test_a_server_without_content_length_downloads_with_an_unknown_total(downloader, media) -> None:
    data = media_bytes(150_000)
    url = media.add("/live.mp4", data, behaviour="no_length")
    downloader.request("download/start", {"url": url, "progress_token": "n"})
    # The server pauses mid-body until released, so the download is surely seen in progress.
    during = wait_bytes(downloader, "n")
    media.release()
    figures = during["detail"]["progress"]
    assert figures["stage"] == "downloading" and figures["total_bytes"] is None and figures["percent"] is None
    assert during.get("percentage") is None and figures["downloaded_bytes"] > 0
    end = wait_end(downloader, "n")
    assert Path(end["message"]).read_bytes() == data


def test_a_404_fails_the_job_cleanly_with_download_failed(downloader, media, downloads) -> None:
    started = downloader.request("download/start", {"url": media.url("/missing.mp4"), "progress_token": "f"})
    end = wait_end(downloader, "f")
    error = end["detail"]["error"]
    assert end["detail"]["status"] == "failed" and error["kind"] == "download_failed"
    assert "404" in error["message"] and error["retryable"] is False and error["suggestion"]
    assert end["message"] == error["message"]
    assert job(downloader, started["job_id"])["error"] == error
    assert not downloads.exists() or leftovers(downloads) == []


def test_a_connection_reset_fails_the_job_cleanly_and_retryably(downloader, media, downloads) -> None:
    url = media.add("/reset.mp4", b"", behaviour="reset")
    downloader.request("download/start", {"url": url, "progress_token": "x"})
    end = wait_end(downloader, "x")
    error = end["detail"]["error"]
    assert end["detail"]["status"] == "failed" and error["kind"] == "download_failed" and error["retryable"] is True
    assert not downloads.exists() or leftovers(downloads) == []


def test_a_playlist_page_downloads_its_entries_up_to_the_limit(downloader, media, downloads) -> None:
    clips = {f"/p/clip{index}.mp4": media_bytes(50_000 + index) for index in range(3)}
    for path, data in clips.items():
        media.add(path, data)
    videos = "".join(f'<video src="{path}"></video>' for path in clips)
    url = media.add_page("/p/index.html", f"<html><head><title>Trip</title></head><body>{videos}</body></html>")
    downloader.request("download/start", {"url": url, "playlist_limit": 2, "progress_token": "pl"})
    end = wait_end(downloader, "pl")
    assert end["detail"]["status"] == "finished"
    files = [Path(path) for path in end["detail"]["files"]]
    assert len(files) == 2 and all(path.parent == downloads for path in files)
    assert sorted(path.read_bytes() for path in files) == sorted(list(clips.values())[:2])


def test_the_audio_preset_without_ffmpeg_warns_and_keeps_the_audio_as_served(downloader, media) -> None:
    data = media_bytes(60_000)
    url = media.add("/song.mp3", data, content_type="audio/mpeg")
    started = downloader.request("download/start", {"url": url, "preset": "audio:mp3", "progress_token": "au"})
    end = wait_end(downloader, "au")
    assert end["detail"]["status"] == "finished" and Path(end["message"]).read_bytes() == data
    warning = end["detail"]["warnings"][0]
    assert "ffmpeg" in warning and "mp3" in warning
    reported = [value["detail"]["warnings"] for value in progress_of(downloader, "au") if value["kind"] == "report"]
    assert [warning] in reported and reported[-1] == [warning]  # every report after it repeats it
    assert job(downloader, started["job_id"])["warnings"] == [warning]


def test_a_title_of_dot_dot_in_a_template_directory_stays_inside_the_output_dir(downloader, media, downloads) -> None:
    # Plain yt-dlp writes this feed's item to <output_dir>/../one.mp4: the title ".." becomes a directory.
    data = media_bytes(10_000)
    clip = media.add("/one.mp4", data)
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title><item><title>..</title><guid>one</guid><enclosure url="{clip}" type="video/mp4"/></item></channel></rss>'
    url = media.add("/feed.xml", feed.encode(), "application/rss+xml", "page")
    downloader.request("download/start", {"url": url, "filename_template": "%(title)s/%(id)s.%(ext)s", "progress_token": "dd"})
    end = wait_end(downloader, "dd")
    assert end["detail"]["status"] == "finished", end
    path = Path(end["message"])
    assert path == downloads / "_" / "one.mp4" and path.read_bytes() == data
    assert [p.name for p in downloads.parent.iterdir()] == ["downloads"]


def test_a_title_too_long_for_the_file_system_is_trimmed_by_bytes(downloader, media, downloads) -> None:
    title = "長" * 200  # 600 bytes of UTF-8, over the usual 255-byte name limit
    media.add("/c.mp4", media_bytes(10_000))
    url = media.add_page("/long.html", f'<html><head><title>{title}</title></head><body><video src="/c.mp4"></video></body></html>')
    downloader.request("download/start", {"url": url, "filename_template": "%(title)s.%(ext)s", "progress_token": "long"})
    end = wait_end(downloader, "long")
    path = Path(end["message"])
    assert end["detail"]["status"] == "finished", end
    assert path.parent == downloads and path.suffix == ".mp4" and path.stem.startswith("長" * 10)
    assert len(path.name.encode()) <= 255


def test_nothing_of_yt_dlp_reaches_the_protocol_stream_and_its_messages_go_to_the_log(start_sidecar, media, tmp_path) -> None:
    sidecar = start_sidecar()
    url = media.add("/quiet.mp4", media_bytes(100_000))
    sidecar.request("download/probe", {"url": url})
    sidecar.request("download/start", {"url": url, "progress_token": "q"})
    wait_end(sidecar, "q")
    sidecar.close()
    # Every frame decoded into a JSON-RPC message (garbage would have broken the framing or the JSON).
    assert sidecar.notifications and all(message.get("jsonrpc") == "2.0" for message in sidecar.notifications)
    log = [json.loads(line) for line in (tmp_path / "sidecar-0.log").read_text().splitlines() if line.startswith("{")]
    assert any(entry["logger"] == "yt_dlp" and "[generic]" in entry["msg"] for entry in log)


def test_a_template_directory_that_is_a_symlink_out_of_the_root_fails_with_policy_denied(downloader, media, downloads, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    downloads.mkdir(parents=True)
    (downloads / "link").symlink_to(outside)
    url = media.add("/v.mp4", media_bytes(10_000))
    downloader.request("download/start", {"url": url, "filename_template": "link/%(id)s.%(ext)s", "progress_token": "ln"})
    end = wait_end(downloader, "ln")
    assert end["detail"]["status"] == "failed" and end["detail"]["error"]["kind"] == "policy_denied", end
    assert list(outside.iterdir()) == [] and leftovers(downloads) == []
