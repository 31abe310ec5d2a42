"""yt-dlp set up for embedding in the worker, and the two things the worker does with it.

Embedding means: nothing on stdout (yt-dlp prints progress there even when quiet,
unless ``noprogress`` is set and a logger is given), its messages to our log, no
plugins, no cache directory, no proxy from the environment (the address policy must
see the real peers), and every file name it prepares confined to the output directory
and trimmed to what the file system takes. Only the worker imports this module.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import yt_dlp
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.postprocessor.common import PostProcessor
from yt_dlp.postprocessor.movefilesafterdownload import MoveFilesAfterDownloadPP

from ..atomic import Directory, PathChanged
from ..protocol.errors import RpcError
from . import info, paths, presets
from .downloaders import NATIVE_OPTIONS, NativeOnly
from .messages import DownloadRequest, ProbeRequest, Progress, Saved, Warned, WorkerEvent
from .types import DownloadProbeResult

log = logging.getLogger(__name__)
ytdlp_log = logging.getLogger("yt_dlp")
PROGRESS_INTERVAL = 0.5  # about two progress events a second per job


class _Logger:
    """yt-dlp's logger interface, onto ours (stderr, JSON lines)."""

    def debug(self, message: str) -> None:
        # yt-dlp sends its ordinary screen messages through debug() when a logger is set.
        if message.startswith("[debug] "):
            ytdlp_log.debug(message)
        else:
            ytdlp_log.info(message)

    def info(self, message: str) -> None:
        ytdlp_log.info(message)

    def warning(self, message: str) -> None:
        ytdlp_log.warning(message)

    def error(self, message: str) -> None:
        ytdlp_log.error(message)


def base_options() -> dict[str, Any]:
    return {
        "quiet": True,
        "noprogress": True,
        "logger": _Logger(),
        "color": "no_color",
        "consoletitle": False,
        "cachedir": False,
        "proxy": "",
        "retries": 3,
        "fragment_retries": 3,
        "ignoreerrors": False,
    }


@functools.cache
def default_extractors() -> tuple[type[InfoExtractor], ...]:
    """The extractors yt-dlp enables by default, in its order (as ``add_default_info_extractors``
    chooses them with ``allowed_extractors`` at its default), worked out once per process."""
    every = {extractor.IE_NAME.lower(): extractor for extractor in gen_extractor_classes()}
    return tuple(extractor for extractor in every.values() if extractor._ENABLED)


class EmbeddedYoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]  # yt-dlp ships no types: its classes are Any
    """yt-dlp with its default extractors from :func:`default_extractors`: yt-dlp dedupes the ~1,900
    names with a quadratic list scan on every instance (40 to 50 ms, half a warm job's start)."""

    def add_default_info_extractors(self) -> None:
        for extractor in default_extractors():
            self.add_info_extractor(extractor)


class ConfinedYoutubeDL(EmbeddedYoutubeDL):
    """Every name yt-dlp prepares is made safe (see ``paths.confined_name``) and checked against the policy's downloads root."""

    def __init__(self, params: dict[str, Any], request: DownloadRequest) -> None:
        self._request = request
        self._name_max = paths.name_max(Path(request.output_dir))
        super().__init__(params)

    def prepare_filename(self, info_dict: dict[str, Any], dir_type: str = "", *, outtmpl: str | None = None, warn: bool = False) -> str:
        prepared: str = super().prepare_filename(info_dict, dir_type, outtmpl=outtmpl, warn=warn)
        if not prepared:
            return prepared
        base = self.get_output_path(dir_type or "")
        try:
            confined = paths.confined_name(prepared, base, self._name_max)
        except ValueError:
            raise RpcError("policy_denied", f"the output template names {prepared!r}, outside the output directory", "Use a relative template.") from None
        self._request.policy.path_in("downloads", confined)  # symlinks inside the root must not lead out of it
        return confined

    def run_pp(self, pp: PostProcessor, infodict: dict[str, Any]) -> Any:
        if type(pp) is MoveFilesAfterDownloadPP:
            pp = ConfinedMove(self, pp._downloaded)  # yt-dlp's own final move, made by one that follows no symlink
        return super().run_pp(pp, infodict)


class ConfinedMove(MoveFilesAfterDownloadPP):  # type: ignore[misc]  # yt-dlp ships no types: its classes are Any
    """yt-dlp's final move, from the job's temp dir into the output directory, through folders opened
    without following a symlink (``atomic.Directory``): a folder swapped for a symlink after
    ``prepare_filename`` checked the path is refused, so no file lands outside the downloads root.
    Otherwise as yt-dlp's (same entries, same warnings, an existing file replaced)."""

    def run(self, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        download_dir, name = os.path.split(info["filepath"])
        final_dir = info.get("__finaldir", download_dir)
        final_path = os.path.join(final_dir, name)
        if self._downloaded:
            info["__files_to_move"][info["filepath"]] = final_path
        for old, listed in info["__files_to_move"].items():
            new = listed or os.path.join(final_dir, os.path.basename(old))
            if os.path.abspath(old) == os.path.abspath(new):
                continue
            if not os.path.exists(old):
                self.report_warning(f'File "{old}" cannot be found')
                continue
            self.to_screen(f'Moving file "{old}" to "{new}"')
            _move(Path(os.path.abspath(old)), Path(os.path.abspath(new)))
        info["filepath"] = final_path
        return [], info


def _move(old: Path, new: Path) -> None:
    try:
        with Directory(old.parent) as source, Directory(new.parent, create=True) as target:
            target.move_in(source, old.name, new.name)
    except PathChanged as exc:
        raise RpcError(
            "policy_denied",
            f"the download could not be moved into place: {exc.strerror}",
            "Check that nothing replaces folders inside the downloads folder, then retry.",
        ) from None


def warm_up(ffmpeg_location: str | None = None) -> None:
    """yt-dlp's first-use work, done once where workers are made from (the template, a spare), not
    per job: every extractor's URL pattern compiled (the generic extractor is only chosen after all
    of them were tried: about 0.5 s here the first time), the generic extractor and the network
    stack imported, ffmpeg's version asked. Nothing is fetched and no thread is left running, so
    the process can still be forked."""
    from yt_dlp.postprocessor.ffmpeg import FFmpegPostProcessor

    url = "https://warm-up.invalid/"
    for extractor in default_extractors():
        extractor.suitable(url)
    ffmpeg = presets.locate_ffmpeg(ffmpeg_location)
    with EmbeddedYoutubeDL(base_options() | ({"ffmpeg_location": ffmpeg} if ffmpeg else {})) as ydl:
        ydl.get_info_extractor("Generic")
        if ffmpeg:
            FFmpegPostProcessor(ydl).available  # noqa: B018 (its version is cached per path, for every job to come)


def probe(request: ProbeRequest) -> DownloadProbeResult:
    options = base_options() | {"extract_flat": "in_playlist", "playlistend": request.playlist_limit}
    with EmbeddedYoutubeDL(options) as ydl:
        extracted = ydl.extract_info(request.url, download=False)
        return info.probe_result(ydl.sanitize_info(extracted), request.playlist_limit)


def download(request: DownloadRequest, emit: Callable[[WorkerEvent], None]) -> None:
    ffmpeg = presets.locate_ffmpeg(request.ffmpeg_location)
    recipe = presets.recipe(request.preset, ffmpeg)
    if recipe.warning:
        log.warning(recipe.warning)
        emit(Warned(recipe.warning))
    hooks = _Hooks(emit)
    options = base_options() | {
        "format": recipe.format,
        "postprocessors": recipe.postprocessors,
        "paths": {"home": request.output_dir, "temp": request.temp_dir},
        "outtmpl": {"default": request.template},
        "playlistend": request.playlist_limit,
        "progress_hooks": [hooks.on_download],
        "postprocessor_hooks": [hooks.on_postprocess],
        "post_hooks": [hooks.on_saved],
    }
    if ffmpeg:
        options["ffmpeg_location"] = ffmpeg
    # While private networks are refused, every fetch must pass the address guard: only
    # yt-dlp's own downloaders may run (see downloaders.py).
    confine: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if not request.policy.allow_private_networks:
        options |= NATIVE_OPTIONS
        confine = NativeOnly()
    with confine, ConfinedYoutubeDL(options, request) as ydl:
        ydl.download([request.url])


class _Hooks:
    """yt-dlp's progress, postprocessor and post hooks, as throttled worker events."""

    def __init__(self, emit: Callable[[WorkerEvent], None]) -> None:
        self._emit = emit
        self._last_sent = 0.0
        self._last_key: tuple[str, str | None] | None = None
        self._downloaded: Progress | None = None  # the last download figures, kept while postprocessing

    def on_download(self, status: dict[str, Any]) -> None:
        if status.get("status") not in ("downloading", "finished"):
            return
        total, estimated = status.get("total_bytes"), False
        if total is None and status.get("total_bytes_estimate") is not None:
            total, estimated = status["total_bytes_estimate"], True
        entry = status.get("info_dict") or {}
        self._downloaded = Progress(
            status="downloading",
            filename=_name(status.get("filename")),
            path=_final_path(entry.get("_filename")),
            downloaded_bytes=info.whole(status.get("downloaded_bytes")),
            total_bytes=info.whole(total),
            total_is_estimate=estimated,
            speed=info.number(status.get("speed")),
            eta=info.number(status.get("eta")),
            playlist_index=info.whole(entry.get("playlist_index")),
            playlist_count=info.whole(entry.get("n_entries")),
        )
        self._send(self._downloaded, force=status["status"] == "finished")

    def on_postprocess(self, status: dict[str, Any]) -> None:
        if status.get("status") == "started":
            entry = status.get("info_dict") or {}
            figures = self._downloaded or Progress(status="processing", filename=None)
            processing = msgspec.structs.replace(figures, status="processing", filename=_name(entry.get("filepath")), speed=None, eta=None)
            self._send(processing, force=True)

    def on_saved(self, path: str) -> None:
        self._emit(Saved(os.path.abspath(path)))

    def _send(self, event: Progress, force: bool) -> None:
        now = time.monotonic()
        key = (event.status, event.filename)
        if force or key != self._last_key or now - self._last_sent >= PROGRESS_INTERVAL:
            self._last_key, self._last_sent = key, now
            self._emit(event)


def _name(path: Any) -> str | None:
    return os.path.basename(path) if isinstance(path, str) else None


def _final_path(path: Any) -> str | None:
    # yt-dlp's name for the finished file (in the output directory, before postprocessing changes its extension)
    return os.path.abspath(path) if isinstance(path, str) else None
