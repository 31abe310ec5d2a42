"""Presets as yt-dlp formats, with and without ffmpeg, and where ffmpeg is looked for."""

from __future__ import annotations

import os

import msgspec
import pytest

from sidecar.download.presets import FFMPEG_ENV, locate_ffmpeg, recipe
from sidecar.download.types import DownloadStartParams

decode_start = msgspec.json.Decoder(DownloadStartParams).decode


def test_best_merges_with_ffmpeg_and_takes_a_combined_format_without() -> None:
    assert recipe("best", "/usr/bin/ffmpeg").format == "bv*+ba/b"
    assert recipe("best", None).format == "b" and recipe("best", None).warning is None


def test_video_height_caps_the_height_and_warns_without_ffmpeg() -> None:
    assert recipe("video:720", "/usr/bin/ffmpeg").format == "bv*[height<=?720]+ba/b[height<=?720]"
    without = recipe("video:720", None)
    assert without.format == "b[height<=?720]" and "ffmpeg" in without.warning


def test_audio_extracts_with_ffmpeg_and_keeps_the_download_as_is_with_a_warning_without() -> None:
    assert recipe("audio:mp3", "/usr/bin/ffmpeg").postprocessors == [{"key": "FFmpegExtractAudio", "preferredcodec": "mp3"}]
    assert recipe("audio", "/usr/bin/ffmpeg").postprocessors[0]["preferredcodec"] == "best"
    without = recipe("audio:mp3", None)
    assert without.format == "ba/b" and without.postprocessors == [] and "mp3" in without.warning


@pytest.mark.parametrize("preset", ["best", "audio", "audio:opus", "video:1080", "video:1"])
def test_valid_presets_pass_validation(preset: str) -> None:
    assert decode_start(msgspec.json.encode({"url": "https://example.com/v", "preset": preset})).preset == preset


@pytest.mark.parametrize("preset", ["", "worst", "audio:", "audio:exe", "video:", "video:0", "video:abc", "video:12345", "best "])
def test_other_presets_are_refused_by_validation(preset: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_start(msgspec.json.encode({"url": "https://example.com/v", "preset": preset}))


def test_ffmpeg_is_taken_from_the_environment_setting_when_present(tmp_path, monkeypatch) -> None:
    binary = tmp_path / "ffmpeg"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv(FFMPEG_ENV, str(tmp_path))
    assert locate_ffmpeg() == str(binary)
    monkeypatch.setenv(FFMPEG_ENV, str(binary))
    assert locate_ffmpeg() == str(binary)
    monkeypatch.setenv(FFMPEG_ENV, str(tmp_path / "missing"))
    assert locate_ffmpeg() is None
    monkeypatch.delenv(FFMPEG_ENV)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    assert locate_ffmpeg() == str(binary)


def test_the_hosts_configured_ffmpeg_wins_over_the_environment_and_path(tmp_path, monkeypatch) -> None:
    configured = tmp_path / "bundled" / "ffmpeg"
    configured.parent.mkdir()
    configured.write_text("#!/bin/sh\n")
    configured.chmod(0o755)
    monkeypatch.setenv(FFMPEG_ENV, str(tmp_path / "missing"))
    assert locate_ffmpeg(str(configured.parent)) == str(configured)
    assert locate_ffmpeg(str(configured)) == str(configured)
