"""The shapes of ``download/*``: what the host sends, what a probe finds, what a job is.

Numbers yt-dlp could not learn are ``null``, never guessed. Sizes are bytes, speeds
bytes per second, durations and ETAs seconds.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from ..protocol.errors import ErrorData
from ..protocol.names import named
from ..protocol.progress import DETAIL_TAG, ProgressToken

PRESET_PATTERN = r"^(best|audio(:(best|aac|alac|flac|m4a|mp3|opus|vorbis|wav))?|video:[1-9][0-9]{0,3})$"

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=8192, description="An http or https URL.")]
Preset = Annotated[
    str,
    msgspec.Meta(
        pattern=PRESET_PATTERN,
        description=(
            "best: best video with audio; audio or audio:<codec>: the audio alone (extracted and converted with ffmpeg when it is available); "
            "video:<height>: the best video no taller than <height> pixels, with audio."
        ),
    ),
]
PlaylistLimit = Annotated[int, msgspec.Meta(ge=1, le=1000, description="At most this many playlist entries.")]
FilenameTemplate = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=512,
        description="A yt-dlp output template relative to output_dir, e.g. '%(title)s.%(ext)s'; no absolute paths, '..', '$' or '~'.",
    ),
]
OutputDir = Annotated[
    str, msgspec.Meta(min_length=1, max_length=4096, description="Inside the policy's downloads root: relative to it, or absolute. Default: the root.")
]
JobId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ResumeKey = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description=(
            "The host's own name for the job, for its partial files: they are kept when the sidecar stops during the job (status interrupted), "
            "and a job started later with the same key, URL, output_dir and template resumes them (with a Range request where the server takes one). "
            "Removed when that job finishes, fails or is cancelled."
        ),
    ),
]
# interrupted: the sidecar stopped (shutdown, exit, a signal) during a job that has a resume_key; its partial files are kept.
JobStatus = Annotated[Literal["queued", "active", "finished", "failed", "cancelled", "interrupted"], named("JobStatus")]


# ---- download/probe


class DownloadProbeParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: Url
    playlist_limit: PlaylistLimit = 50
    progress_token: ProgressToken | None = None


class MediaThumbnail(msgspec.Struct, frozen=True):
    url: str
    id: str | None = None
    width: int | None = None
    height: int | None = None


class MediaFormat(msgspec.Struct, frozen=True):
    format_id: str
    ext: str | None = None
    protocol: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    vcodec: str | None = None
    acodec: str | None = None
    tbr: float | None = None  # total bitrate, kbit/s
    filesize: int | None = None
    filesize_approx: int | None = None
    format_note: str | None = None


class PlaylistEntry(msgspec.Struct, frozen=True):
    id: str | None = None
    title: str | None = None
    url: str | None = None
    duration: float | None = None
    uploader: str | None = None


class DownloadProbeResult(msgspec.Struct, frozen=True):
    """What a URL holds. A playlist has ``entries`` (flat, at most ``playlist_limit``) and no formats."""

    kind: Literal["video", "playlist"]
    id: str | None
    title: str | None
    duration: float | None
    uploader: str | None
    webpage_url: str | None
    extractor: str | None
    thumbnails: list[MediaThumbnail]
    formats: list[MediaFormat]
    entries: list[PlaylistEntry]
    entry_count: int | None  # the playlist's size when the site says; may exceed len(entries)


# ---- download/start, download/cancel, download/list


class DownloadStartParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: Url
    preset: Preset = "best"
    output_dir: OutputDir | None = None
    filename_template: FilenameTemplate | None = None
    playlist_limit: PlaylistLimit | None = None
    progress_token: ProgressToken | None = None
    resume_key: ResumeKey | None = None


class DownloadStartResult(msgspec.Struct, frozen=True):
    job_id: str
    status: JobStatus


class DownloadCancelParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    job_id: JobId


class DownloadProgress(msgspec.Struct, frozen=True):
    """Where the file being downloaded stands; null what yt-dlp has not learnt (yet)."""

    stage: Literal["downloading", "processing"] | None  # processing: ffmpeg converts or merges the file; null before the first figure
    filename: str | None  # name of the file being downloaded
    path: str | None  # absolute: where that file will be once complete
    downloaded_bytes: int | None
    total_bytes: int | None
    total_is_estimate: bool
    percent: float | None
    speed: float | None
    eta: float | None
    playlist_index: int | None  # of a playlist: which entry (1-based) and of how many
    playlist_count: int | None


class DownloadJob(msgspec.Struct, frozen=True):
    """One download of this sidecar process."""

    job_id: str
    url: str
    preset: str
    status: JobStatus
    output_dir: str
    progress_token: ProgressToken | None
    path: str | None  # once the job has finished: its last file (absolute), else null
    resume_key: str | None
    progress: DownloadProgress
    files: list[str]  # final paths of the files completed so far
    warnings: list[str]
    error: ErrorData | None


class DownloadStartProgress(DownloadJob, frozen=True, tag="download/start", tag_field=DETAIL_TAG):
    """The ``detail`` of a download job's ``$/progress``: the job as ``download/list`` would show it now;
    in its ``end``, the job's final state (status, files, error)."""


class DownloadListResult(msgspec.Struct, frozen=True):
    """The jobs, oldest first. When they do not all fit in one frame (--max-frame-bytes), unfinished jobs are kept before ended ones, and newer ended jobs before older; omitted counts those left out."""

    jobs: list[DownloadJob]
    omitted: Annotated[int, msgspec.Meta(ge=0)]
