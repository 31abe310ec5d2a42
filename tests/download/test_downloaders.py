"""While the policy refuses private networks, no downloader yt-dlp may choose fetches a byte from a
private address: only its own downloaders run (their connections pass the worker's address guard),
never ffmpeg or another program with its own network stack.

The worker runs in this process (``worker.run``), against HTTP servers on loopback. No public
server is reachable from the test machine, so 127.0.0.1 stands in for a public one (the worker's
address rule is replaced for that, and only that) and 127.0.0.2 is the private network. ffmpeg is
the real one (Debian's, requirements/apt.txt) or a stand-in that fetches what ffmpeg would fetch
(the playlist, its key and its segments, with its own HTTP client) and records it.
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import yt_dlp.downloader
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from yt_dlp.downloader.common import FileDownloader

from sidecar.download import worker
from sidecar.download.downloaders import is_native
from sidecar.download.messages import DownloadRequest, Failed, Saved
from sidecar.policy import Policy, Roots

from .mediaserver import MediaServer

KEY = bytes(range(16))
IV = bytes(range(16, 32))

# Every downloader yt-dlp has, as reviewed: these run in this process through its HTTP stack...
NATIVE = {"HttpFD", "HttpQuietDownloader", "HlsFD", "DashSegmentsFD", "F4mFD", "IsmFD", "MhtmlFD", "YoutubeLiveChatFD", "BunnyCdnFD", "SoopVodFD"}
# ...and these start another program (or hand the stream to one: ffmpeg for the live ones).
EXTERNAL = {
    "ExternalFD",
    "FFmpegFD",
    "CurlFD",
    "AxelFD",
    "WgetFD",
    "Aria2cFD",
    "HttpieFD",
    "RtmpFD",
    "FC2LiveFD",
    "NiconicoLiveFD",
    "FFmpegSinkFD",
    "WebSocketFragmentFD",
}
BASES = {"FragmentFD"}  # never created itself


def all_downloaders() -> set[type]:
    for module in pkgutil.iter_modules(yt_dlp.downloader.__path__):
        importlib.import_module(f"yt_dlp.downloader.{module.name}")
    found, todo = set(), [FileDownloader]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("yt_dlp.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_downloader_yt_dlp_has_is_reviewed_and_only_its_own_are_native() -> None:
    downloaders = all_downloaders()
    names = {downloader.__name__ for downloader in downloaders}
    assert names - NATIVE - EXTERNAL - BASES == set(), "a yt-dlp upgrade brought a downloader: decide whether its connections pass the guard"
    assert {d.__name__ for d in downloaders if is_native(d)} == NATIVE


# ---- the media and the servers


REAL_FFMPEG = shutil.which("ffmpeg")  # looked up before any test puts the stand-in first on PATH


def real_ffmpeg() -> str:
    assert REAL_FFMPEG, "ffmpeg is not installed: scripts/setup installs it (requirements/apt.txt)"
    return REAL_FFMPEG


@functools.cache
def segment(index: int) -> bytes:
    """An MPEG-TS segment made by the real ffmpeg (a test pattern, one second)."""
    return subprocess.run(
        [
            real_ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration=1:size=64x48:rate=5,hue=h={index * 90}",
            "-c:v",
            "mpeg2video",
            "-f",
            "mpegts",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout


def segments(count: int) -> list[bytes]:
    return [segment(index) for index in range(count)]


def encrypt(data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()
    return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()


def media_playlist(uris: list[str], key_uri: str | None = None, live: bool = False) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1", "#EXT-X-MEDIA-SEQUENCE:0"]
    if key_uri:
        lines.append(f'#EXT-X-KEY:METHOD=AES-128,URI="{key_uri}",IV=0x{IV.hex()}')
    for uri in uris:
        lines += ["#EXTINF:1.0,", uri]
    if not live:
        lines.append("#EXT-X-ENDLIST")  # without it, the playlist is a live stream's
    return "\n".join(lines) + "\n"


@pytest.fixture
def public() -> Iterator[MediaServer]:
    server = MediaServer("127.0.0.1")
    yield server
    server.close()


@pytest.fixture
def private() -> Iterator[MediaServer]:
    server = MediaServer("127.0.0.2")
    yield server
    server.close()


@pytest.fixture(autouse=True)
def loopback_stands_in_for_public(monkeypatch) -> None:
    # The one substitution: no public server exists here, so the worker's address rule takes
    # 127.0.0.1 as public. 127.0.0.2 stays private, and the policy's switch keeps its meaning.
    monkeypatch.setattr(worker, "address_allowed", lambda address, allow_private: allow_private or address != "127.0.0.2")


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """An ffmpeg that fetches what ffmpeg would (HTTP only): returns (the program, the log of what it fetched). First on PATH."""
    folder, log = tmp_path / "stand-in", tmp_path / "stand-in-fetched.log"
    folder.mkdir()
    program = folder / "ffmpeg"
    program.write_text(STAND_IN.replace("LOG_PATH", repr(str(log))).replace("REAL", repr(real_ffmpeg())).replace("PYTHON", sys.executable))
    program.chmod(0o755)
    (folder / "ffprobe").symlink_to(Path(real_ffmpeg()).with_name("ffprobe"))  # yt-dlp looks for it beside ffmpeg
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return program, log


STAND_IN = '''#!PYTHON
"""Stand-in ffmpeg: for an http(s) input, fetch it like ffmpeg's hls demuxer (the playlist, variant
playlists, keys, segments), record each URL and write the segments out; anything else (version
checks, postprocessing local files) is the real ffmpeg's."""
import os, re, sys, urllib.parse, urllib.request
args = sys.argv[1:]
inputs = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-i"]
if not inputs or not re.match("https?://", inputs[0]):
    os.execv(REAL, [REAL, *args])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
def fetch(url):
    with open(LOG_PATH, "a") as log:
        log.write(url + "\\n")
    with opener.open(url, timeout=20) as response:
        return response.read()
def media(url):
    body = fetch(url)
    if not body.startswith(b"#EXTM3U"):
        return body
    out = b""
    for line in body.decode().splitlines():
        key = re.search(r'URI="([^"]+)"', line) if line.startswith("#EXT-X-KEY") else None
        if key:
            fetch(urllib.parse.urljoin(url, key.group(1)))
        elif line and not line.startswith("#"):
            out += media(urllib.parse.urljoin(url, line))
    return out
data = media(inputs[0])
with open(args[-1].removeprefix("file:"), "wb") as output:
    output.write(data)
'''


def fetched_by(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def run_worker(url: str, tmp_path: Path, ffmpeg: str, allow_private: bool = False) -> tuple[int, list]:
    output = tmp_path / "downloads"
    output.mkdir(exist_ok=True)
    request = DownloadRequest(
        url=url,
        preset="best",
        output_dir=str(output),
        temp_dir=str(output / ".sidecar-download-test"),
        template="%(id)s.%(ext)s",
        playlist_limit=None,
        log_level="warning",
        ffmpeg_location=ffmpeg,
        policy=Policy(capabilities=frozenset({"download.fetch"}), roots=Roots(downloads=str(output)), allow_private_networks=allow_private),
    )
    events: list = []
    code = worker.run(request, events.append)
    # yt-dlp leaves its fragment file open when a fetch fails mid-download; the worker process
    # ends right after, so nothing is lost there. Here it is collected before the next test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return code, events


def failure(events: list) -> Failed:
    failures = [event for event in events if isinstance(event, Failed)]
    assert len(failures) == 1, events
    return failures[0]


# ---- the defects: ffmpeg fetching from the private network


@pytest.mark.parametrize("which", ["stand-in", "real"])
def test_a_live_hls_stream_with_segments_on_the_private_network_is_refused_before_ffmpeg_fetches_anything(which, public, private, stand_in, tmp_path) -> None:
    # yt-dlp always hands live HLS to ffmpeg, which refreshes the playlist and follows new segments on its own.
    program, log = stand_in
    chunks = segments(2)
    uris = [private.add(f"/seg{index}.ts", chunk, "video/mp2t") for index, chunk in enumerate(chunks)]
    url = public.add("/live.m3u8", media_playlist(uris, live=True).encode(), "application/vnd.apple.mpegurl")

    code, events = run_worker(url, tmp_path, str(program) if which == "stand-in" else real_ffmpeg())

    assert code == 1
    refusal = failure(events)
    assert refusal.kind == "policy_denied" and "ffmpeg" in refusal.message
    assert private.requests == [] and fetched_by(log) == []
    assert not [event for event in events if isinstance(event, Saved)]


@pytest.mark.parametrize("which", ["stand-in", "real"])
def test_an_aes128_hls_key_on_the_private_network_is_refused_by_the_address_guard(which, public, private, stand_in, tmp_path) -> None:
    # Without pycryptodomex yt-dlp delegated AES-128 HLS to the ffmpeg on PATH, which fetched the key itself.
    program, log = stand_in
    key_uri = private.add("/key", KEY, "application/octet-stream")
    uris = [public.add(f"/seg{index}.ts", encrypt(chunk), "video/mp2t") for index, chunk in enumerate(segments(2))]
    url = public.add("/vod.m3u8", media_playlist(uris, key_uri).encode(), "application/vnd.apple.mpegurl")

    code, events = run_worker(url, tmp_path, str(program) if which == "stand-in" else real_ffmpeg())

    assert code == 1
    refusal = failure(events)
    assert refusal.kind == "policy_denied" and "127.0.0.2" in refusal.message
    assert private.requests == [] and fetched_by(log) == []


@pytest.mark.parametrize("which", ["stand-in", "real"])
def test_aes128_hls_from_public_addresses_is_downloaded_and_decrypted_natively_though_ffmpeg_is_there(which, public, stand_in, tmp_path) -> None:
    program, log = stand_in
    chunks = segments(3)
    key_uri = public.add("/key", KEY, "application/octet-stream")
    uris = [public.add(f"/seg{index}.ts", encrypt(chunk), "video/mp2t") for index, chunk in enumerate(chunks)]
    url = public.add("/vod.m3u8", media_playlist(uris, key_uri).encode(), "application/vnd.apple.mpegurl")

    code, events = run_worker(url, tmp_path, str(program) if which == "stand-in" else real_ffmpeg())

    assert code == 0, events
    saved = [event.path for event in events if isinstance(event, Saved)]
    assert len(saved) == 1
    plain = tmp_path / "plain.ts"
    plain.write_bytes(b"".join(chunks))
    # Remuxed into MP4 by yt-dlp's fixup (the real ffmpeg, on a local file), the same video frames as made.
    assert frame_hashes(Path(saved[0])) == frame_hashes(plain)
    assert fetched_by(log) == []
    assert ("/key", None) in public.requests


def frame_hashes(path: Path) -> list[str]:
    """The MD5 of each decoded video frame (timestamps left out: a remux may shift them)."""
    out = subprocess.run(
        [real_ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", f"file:{path}", "-map", "0:v", "-f", "framemd5", "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    hashes = [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]
    assert len(hashes) >= 3
    return hashes


def test_with_private_networks_allowed_a_live_stream_still_goes_to_ffmpeg(public, private, stand_in, tmp_path) -> None:
    # No address rule to break: yt-dlp chooses as it always does (live HLS: ffmpeg).
    program, log = stand_in
    chunks = segments(2)
    uris = [private.add(f"/seg{index}.ts", chunk, "video/mp2t") for index, chunk in enumerate(chunks)]
    url = public.add("/live.m3u8", media_playlist(uris, live=True).encode(), "application/vnd.apple.mpegurl")

    code, events = run_worker(url, tmp_path, str(program), allow_private=True)

    assert code == 0, events
    assert fetched_by(log) == [url, *uris]
    saved = [event.path for event in events if isinstance(event, Saved)]
    plain = tmp_path / "plain.ts"
    plain.write_bytes(b"".join(chunks))
    assert len(saved) == 1 and frame_hashes(Path(saved[0])) == frame_hashes(plain)


def test_ffmpeg_as_a_postprocessor_fetches_nothing_a_downloaded_file_names(private, tmp_path) -> None:
    # Postprocessors run ffmpeg on local files (file:), and ffmpeg then allows only file, crypto and
    # data: a "video" that is really a playlist of private URLs fails instead of being followed.
    import yt_dlp
    from yt_dlp.postprocessor.ffmpeg import FFmpegPostProcessor
    from yt_dlp.utils import PostProcessingError

    from sidecar.download.embed import base_options

    uris = [private.add(f"/seg{index}.ts", chunk, "video/mp2t") for index, chunk in enumerate(segments(2))]
    disguised = tmp_path / "video.mp4"
    disguised.write_text(media_playlist(uris))
    with yt_dlp.YoutubeDL(base_options() | {"ffmpeg_location": real_ffmpeg()}) as ydl, pytest.raises(PostProcessingError):
        FFmpegPostProcessor(ydl).run_ffmpeg(str(disguised), str(tmp_path / "out.mkv"), ["-c", "copy"])
    assert private.requests == []
