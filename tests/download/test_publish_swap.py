"""A download's final move, from the job's temp dir into the output directory, follows no symlink: a
folder swapped for one after yt-dlp's names were checked keeps the file inside the downloads root.

The worker runs in this process against a local media server. The race is made without timing:
the swap happens when yt-dlp starts its final move (its postprocessor hook for MoveFiles), as
a racing process would do it then: the real folder renamed aside, a symlink to a folder outside
the root in its place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sidecar.download import embed, worker
from sidecar.download.messages import DownloadRequest, Failed, Saved
from sidecar.policy import Policy, Roots

from .mediaserver import media_bytes


def test_a_destination_folder_swapped_for_a_symlink_before_the_final_move_keeps_the_file_inside(media, tmp_path: Path, monkeypatch) -> None:
    downloads, outside = tmp_path / "downloads", tmp_path / "outside"
    (downloads / "sub").mkdir(parents=True)
    outside.mkdir()
    url = media.add("/v.mp4", media_bytes(50_000))

    real_hook = embed._Hooks.on_postprocess

    def swap_when_moving(hooks: Any, status: dict[str, Any]) -> None:
        if status.get("postprocessor") == "MoveFiles" and status.get("status") == "started":
            (downloads / "sub").rename(downloads / "sub-moved")
            (downloads / "sub").symlink_to(outside, target_is_directory=True)
        real_hook(hooks, status)

    monkeypatch.setattr(embed._Hooks, "on_postprocess", swap_when_moving)
    request = DownloadRequest(
        url=url,
        preset="best",
        output_dir=str(downloads),
        temp_dir=str(downloads / ".sidecar-download-test"),
        template="sub/%(id)s.%(ext)s",
        playlist_limit=None,
        log_level="warning",
        ffmpeg_location=str(tmp_path / "no-ffmpeg"),
        policy=Policy(capabilities=frozenset({"download.fetch"}), roots=Roots(downloads=str(downloads)), allow_private_networks=True),
    )
    events: list = []

    code = worker.run(request, events.append)

    assert list(outside.iterdir()) == []
    assert code == 1 and [event.kind for event in events if isinstance(event, Failed)] == ["policy_denied"]
    assert not [event for event in events if isinstance(event, Saved)]
