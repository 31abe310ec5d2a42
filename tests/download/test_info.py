"""Shaping yt-dlp's info dict into a probe result: loose extractor values never break a probe."""

from __future__ import annotations

import msgspec

from sidecar.download.info import probe_result


def test_a_video_keeps_usable_fields_and_drops_values_of_the_wrong_type() -> None:
    result = probe_result(
        {
            "id": 12345,
            "title": "Clip",
            "duration": "long",
            "uploader": None,
            "extractor": "generic",
            "thumbnail": "https://example.com/t.jpg",
            "formats": [
                {"format_id": "hd", "ext": "mp4", "height": 720.0, "fps": 29.97, "filesize": True, "tbr": float("nan")},
                {"ext": "mp4"},  # no format_id: not selectable, left out
                "garbage",
            ],
        },
        playlist_limit=10,
    )
    assert result.kind == "video" and result.id == "12345" and result.duration is None
    assert [thumbnail.url for thumbnail in result.thumbnails] == ["https://example.com/t.jpg"]
    [hd] = result.formats
    assert (hd.format_id, hd.height, hd.fps, hd.filesize) == ("hd", 720, 29.97, None)
    assert msgspec.json.decode(msgspec.json.encode(result))["formats"][0]["tbr"] is None  # NaN never reaches the host as NaN


def test_a_playlist_lists_at_most_the_limit_of_entries_and_no_formats() -> None:
    entries = [{"_type": "url", "url": f"https://example.com/{index}", "title": f"#{index}", "duration": index} for index in range(5)]
    result = probe_result({"_type": "playlist", "title": "List", "entries": entries, "playlist_count": 40, "formats": [{"format_id": "x"}]}, playlist_limit=3)
    assert result.kind == "playlist" and result.formats == [] and result.entry_count == 40
    assert [(entry.url, entry.title, entry.duration) for entry in result.entries] == [(f"https://example.com/{i}", f"#{i}", float(i)) for i in range(3)]
