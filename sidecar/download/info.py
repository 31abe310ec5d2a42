"""From yt-dlp's info dict (after ``sanitize_info``, so plain JSON values) to a probe result.

Extractors fill fields loosely (an id may be a number, a size a float), so each field
is taken only when it has a usable type and is ``None`` otherwise.
"""

from __future__ import annotations

import math
from typing import Any

from .types import DownloadProbeResult, MediaFormat, MediaThumbnail, PlaylistEntry

Info = dict[str, Any]


def probe_result(info: Info, playlist_limit: int) -> DownloadProbeResult:
    playlist = info.get("_type") in ("playlist", "multi_video")
    entries = [entry for entry in _list(info, "entries") if isinstance(entry, dict)][:playlist_limit] if playlist else []
    return DownloadProbeResult(
        kind="playlist" if playlist else "video",
        id=_str(info, "id"),
        title=_str(info, "title"),
        duration=_number(info, "duration"),
        uploader=_str(info, "uploader"),
        webpage_url=_str(info, "webpage_url"),
        extractor=_str(info, "extractor"),
        thumbnails=_thumbnails(info),
        formats=[] if playlist else [_format(f) for f in _list(info, "formats") if isinstance(f, dict) and _str(f, "format_id")],
        entries=[_entry(entry) for entry in entries],
        entry_count=(_int(info, "playlist_count") or len(_list(info, "entries"))) if playlist else None,
    )


def _thumbnails(info: Info) -> list[MediaThumbnail]:
    found = [
        MediaThumbnail(url=url, id=_str(item, "id"), width=_int(item, "width"), height=_int(item, "height"))
        for item in _list(info, "thumbnails")
        if isinstance(item, dict) and (url := _str(item, "url"))
    ]
    single = _str(info, "thumbnail")
    if not found and single:
        found.append(MediaThumbnail(url=single))
    return found


def _format(item: Info) -> MediaFormat:
    return MediaFormat(
        format_id=_str(item, "format_id") or "",
        ext=_str(item, "ext"),
        protocol=_str(item, "protocol"),
        width=_int(item, "width"),
        height=_int(item, "height"),
        fps=_number(item, "fps"),
        vcodec=_str(item, "vcodec"),
        acodec=_str(item, "acodec"),
        tbr=_number(item, "tbr"),
        filesize=_int(item, "filesize"),
        filesize_approx=_int(item, "filesize_approx"),
        format_note=_str(item, "format_note"),
    )


def _entry(item: Info) -> PlaylistEntry:
    return PlaylistEntry(
        id=_str(item, "id"),
        title=_str(item, "title"),
        url=_str(item, "url") or _str(item, "webpage_url"),
        duration=_number(item, "duration"),
        uploader=_str(item, "uploader"),
    )


def _list(info: Info, key: str) -> list[Any]:
    value = info.get(key)
    return value if isinstance(value, list) else []


def _str(info: Info, key: str) -> str | None:
    value = info.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def number(value: Any) -> float | None:
    """``value`` as a float if it is a number (not a bool)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def whole(value: Any) -> int | None:
    """``value`` as an int if it is a finite number (not a bool)."""
    real = number(value)
    return int(real) if real is not None and math.isfinite(real) else None


def _number(info: Info, key: str) -> float | None:
    return number(info.get(key))


def _int(info: Info, key: str) -> int | None:
    return whole(info.get(key))
