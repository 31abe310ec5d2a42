"""Which of yt-dlp's downloaders a job may use: while the policy refuses private networks,
only those whose every connection passes the worker's address guard.

yt-dlp's own downloaders (plain HTTP, native HLS and DASH, and the rest listed in
``_NATIVE``) fetch through its HTTP stack in this process, which resolves every host
through ``socket.getaddrinfo``, where ``netguard`` checks it. The external ones (ffmpeg,
which yt-dlp picks for live HLS and live DASH, for HLS it cannot do natively and for
sections; curl, aria2c, wget, axel, httpie; rtmpdump) are other programs with their own
resolver and network stack. Nothing here sees their connections: checking a manifest
first cannot cover a live playlist, which names new segments long after any check (and
a name may resolve differently when ffmpeg looks it up), and ffmpeg's
``-protocol_whitelist`` limits protocols, not addresses. So while private networks are
refused:

* yt-dlp is asked for its native downloaders wherever it has one
  (:data:`NATIVE_OPTIONS`); with pycryptodomex installed that includes AES-128 HLS;
* :class:`NativeOnly` refuses to create any other downloader, however yt-dlp came to
  choose it (a live HLS stream always goes to ffmpeg; HLS it cannot do natively falls
  back to ffmpeg from inside the native downloader), before the program is started.

With private networks allowed there is no address rule for another program to break,
and yt-dlp chooses as it always does.

ffmpeg as a postprocessor (merging, audio extraction) reads only local files, named with
``file:``; ffmpeg gives such an input the protocol whitelist ``file,crypto,data``, so a
downloaded file that is really a playlist cannot make it fetch anything.
"""

from __future__ import annotations

from typing import Any, Self

from yt_dlp.downloader.bunnycdn import BunnyCdnFD
from yt_dlp.downloader.common import FileDownloader
from yt_dlp.downloader.dash import DashSegmentsFD
from yt_dlp.downloader.f4m import F4mFD
from yt_dlp.downloader.fragment import HttpQuietDownloader
from yt_dlp.downloader.hls import HlsFD
from yt_dlp.downloader.http import HttpFD
from yt_dlp.downloader.ism import IsmFD
from yt_dlp.downloader.mhtml import MhtmlFD
from yt_dlp.downloader.soop import SoopVodFD
from yt_dlp.downloader.youtube_live_chat import YoutubeLiveChatFD

from ..protocol.errors import RpcError

# Downloaders that fetch only through yt-dlp's HTTP stack in this process (BunnyCdnFD and
# SoopVodFD are HLS plus side requests through ydl.urlopen). Exact classes: a downloader a
# new yt-dlp adds is refused until it is looked at (tests/download/test_downloaders.py
# lists every downloader yt-dlp has and fails on one that is in neither list).
_NATIVE: frozenset[type] = frozenset({HttpFD, HttpQuietDownloader, HlsFD, DashSegmentsFD, F4mFD, IsmFD, MhtmlFD, YoutubeLiveChatFD, BunnyCdnFD, SoopVodFD})

# yt-dlp's own choice, where it has one: the native downloader for every protocol.
NATIVE_OPTIONS: dict[str, Any] = {"external_downloader": {"default": "native"}, "hls_prefer_native": True}


def is_native(downloader: type) -> bool:
    return downloader in _NATIVE


class NativeOnly:
    """While entered, creating a yt-dlp downloader that is not native raises ``policy_denied``."""

    def __init__(self) -> None:
        self._original: Any = None

    def __enter__(self) -> Self:
        original = self._original = FileDownloader.__init__

        def guarded_init(downloader: FileDownloader, ydl: Any, params: Any) -> None:
            if not is_native(type(downloader)):
                raise refused(type(downloader).get_basename())
            original(downloader, ydl, params)

        FileDownloader.__init__ = guarded_init
        return self

    def __exit__(self, *exc_info: object) -> None:
        FileDownloader.__init__ = self._original


def refused(program: str) -> RpcError:
    return RpcError(
        "policy_denied",
        f"this stream can only be fetched by {program} (a live stream, or a format yt-dlp cannot download itself), "
        "whose connections the sidecar cannot check against the address policy",
        "Allow private networks in the app's policy to download it (the address check then no longer applies), or choose another format.",
    )
