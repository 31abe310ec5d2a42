"""Presets: what the host asks for ("best", "audio", "audio:mp3", "video:720") as yt-dlp formats.

Merging separate video and audio streams and extracting audio need ffmpeg. Without it
a preset still downloads something sensible (a format that already has what was asked
for, or the audio as the site serves it) and says what it could not do.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

# The host may point at a bundled ffmpeg (the binary, or the folder holding it).
FFMPEG_ENV = "SIDECAR_FFMPEG"


@dataclass(frozen=True)
class Recipe:
    format: str
    postprocessors: list[dict[str, Any]] = field(default_factory=list)
    warning: str | None = None  # what the preset could not do here


def recipe(preset: str, ffmpeg: str | None) -> Recipe:
    """The yt-dlp format and postprocessors for ``preset`` (already validated against PRESET_PATTERN)."""
    kind, _, argument = preset.partition(":")
    if kind == "best":
        return Recipe("bv*+ba/b" if ffmpeg else "b")
    if kind == "video":
        height = int(argument)
        if ffmpeg:
            return Recipe(f"bv*[height<=?{height}]+ba/b[height<=?{height}]")
        return Recipe(
            f"b[height<=?{height}]",
            warning="ffmpeg was not found, so only formats that already combine video and audio were considered; the result may be smaller than asked.",
        )
    if kind == "audio":
        codec = argument or "best"
        if ffmpeg:
            return Recipe("ba/b", [{"key": "FFmpegExtractAudio", "preferredcodec": codec}])
        converted = "" if codec == "best" else f" or conversion to {codec}"
        return Recipe("ba/b", warning=f"ffmpeg was not found, so the audio was saved as the site serves it, without extraction{converted}.")
    raise ValueError(f"unknown preset {preset!r}")


def locate_ffmpeg(configured: str | None = None) -> str | None:
    """The ffmpeg to use: the host's configured one (initialize config ``ffmpeg_location``),
    else the one ``SIDECAR_FFMPEG`` names, else the first on PATH."""
    configured = configured or os.environ.get(FFMPEG_ENV)
    if configured:
        candidate = configured if os.path.isfile(configured) else os.path.join(configured, "ffmpeg.exe" if os.name == "nt" else "ffmpeg")
        return candidate if os.access(candidate, os.X_OK) else None
    return shutil.which("ffmpeg")
