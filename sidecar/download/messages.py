"""What the sidecar and a download worker say to each other, one JSON line at a time.

The sidecar writes one request on the worker's stdin (and keeps stdin open: its EOF
tells the worker the sidecar is gone). The worker writes events on its stdout, a
private pipe to the sidecar, never the protocol stream.
"""

from __future__ import annotations

import logging
from typing import Literal

import msgspec

from ..logs import LOG_LEVELS, LogLevel
from ..policy import Policy
from ..protocol.errors import RpcError
from .types import DownloadProbeResult

# ---- sidecar to worker


class ProbeRequest(msgspec.Struct, frozen=True, tag="probe", tag_field="mode"):
    url: str
    playlist_limit: int
    policy: Policy
    log_level: LogLevel


class DownloadRequest(msgspec.Struct, frozen=True, tag="download", tag_field="mode"):
    url: str
    preset: str
    output_dir: str
    temp_dir: str
    template: str
    playlist_limit: int | None
    policy: Policy
    log_level: LogLevel
    ffmpeg_location: str | None = None  # the host's configured ffmpeg (binary or folder)
    keep_partial: bool = False  # interrupted (a signal, the sidecar's end): leave temp_dir for a later job to resume


WorkerRequest = ProbeRequest | DownloadRequest


def current_log_level() -> LogLevel:
    """The sidecar's log level now, for a worker to log at."""
    name = logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
    return next((level for level in LOG_LEVELS if level == name), "info")


# ---- worker to sidecar

FailureKind = Literal["download_failed", "policy_denied", "io_error"]


class Progress(msgspec.Struct, frozen=True, tag="progress", tag_field="event"):
    """Throttled by the worker to about two a second, plus one at each change of file or stage."""

    status: Literal["downloading", "processing"]
    filename: str | None
    path: str | None = None  # absolute: where the file will be once complete
    downloaded_bytes: int | None = None
    total_bytes: int | None = None
    total_is_estimate: bool = False
    speed: float | None = None
    eta: float | None = None
    playlist_index: int | None = None
    playlist_count: int | None = None


class Warned(msgspec.Struct, frozen=True, tag="warning", tag_field="event"):
    message: str


class Saved(msgspec.Struct, frozen=True, tag="file", tag_field="event"):
    """A file is complete at its final path."""

    path: str


class Probed(msgspec.Struct, frozen=True, tag="probe", tag_field="event"):
    result: DownloadProbeResult


class Failed(msgspec.Struct, frozen=True, tag="error", tag_field="event"):
    kind: FailureKind
    message: str
    retryable: bool

    def error(self) -> RpcError:
        return RpcError(self.kind, self.message, _SUGGESTIONS[self.kind], retryable=self.retryable)


_SUGGESTIONS: dict[str, str] = {
    "download_failed": "Check the URL in a browser and the network connection; retry if the error says it may pass.",
    "policy_denied": "Allow private networks in the app's policy if this download is intended.",
    "io_error": "Check that the downloads folder is writable and has free space.",
}


WorkerEvent = Progress | Warned | Saved | Probed | Failed
