"""Downloads side by side with curl, over loopback, in one run.

    .venv/bin/python bench/downloads.py            # measure, print, and rewrite the table in BENCHMARKS.md
    .venv/bin/python bench/downloads.py --quick    # fewer repetitions, no 256 MiB file, no file written
    .venv/bin/python bench/downloads.py --buffers  # yt-dlp's read sizes compared in this process, printed only

One local HTTP server (a thread of this process, files sent from disk with ``sendfile``, Range
supported) serves a 1 MiB and a 256 MiB file of random bytes. For each size, curl and the sidecar
take turns, so both see the same machine at the same moment:

* curl: ``curl -s -o <file> <url>``, spawn to exit;
* the sidecar: ``download/start`` sent to its ``end`` notification read, on a sidecar already
  initialized whose download machinery has started (the first download method starts it), so a
  job's start is what is measured; the first download of a fresh sidecar is measured apart.

Every downloaded file is compared with the served one. Medians are reported, with the ratio to curl.

``--buffers`` compares yt-dlp's own download of the 256 MiB file in this process (no sidecar, no
worker start, the extraction done beforehand) with its read size left to resize itself (from 1 KiB,
doubling up to 4 MiB while the data keeps up) and with other start or fixed sizes, curl in turn.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sidecar_devkit.client import SidecarProcess, development_policy

SIDECAR = [sys.executable, "-I", "-m", "sidecar", "--log-level", "warning"]
MiB = 1 << 20


class FileServer:
    """Serves the files of one folder: HEAD, GET and single byte ranges, the body by sendfile."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests: list[str] = []  # "METHOD path Range", for seeing what a download asks for
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}/{name}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up early (yt-dlp's extractor reads only the start of a GET) is no error here


def _handler(server: FileServer) -> type[BaseHTTPRequestHandler]:
    folder = server.folder

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            server.requests.append(f"{self.command} {self.path} {self.headers.get('Range')}")
            path = folder / self.path.lstrip("/").split("?", 1)[0]
            if not path.is_file():
                self.send_error(404)
                return
            size = path.stat().st_size
            start = 0
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                start = int(ranged[6:].split("-", 1)[0] or 0)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(size - start))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if not head:
                self.wfile.flush()
                with path.open("rb") as body:
                    self.connection.sendfile(body, offset=start)

    return Handler


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 4 * MiB))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def curl_once(url: str, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-o", str(out), url], check=True)
    return time.perf_counter() - start


class Downloader:
    """One initialized sidecar that may fetch from loopback, its downloads under ``root``."""

    _tokens = iter(range(1, 1 << 30))

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sidecar = SidecarProcess(SIDECAR, stderr=subprocess.DEVNULL, cwd=str(REPO))
        self.sidecar.initialize(development_policy(str(root)))

    def download(self, url: str) -> tuple[float, Path]:
        token = f"bench-{next(self._tokens)}"
        start = time.perf_counter()
        self.sidecar.request("download/start", {"url": url, "progress_token": token, "filename_template": f"{token}.%(ext)s"})
        while True:
            message = self.sidecar.read_message(timeout=600)
            params = message.get("params") or {}
            if params.get("token") == token and params["value"]["kind"] == "end":
                elapsed = time.perf_counter() - start
                break
        detail = params["value"]["detail"]
        assert detail["status"] == "finished", detail
        return elapsed, Path(detail["files"][0])

    def close(self) -> None:
        self.sidecar.close()


def side_by_side(server: FileServer, name: str, expected: str, runs: int, downloader: Downloader, scratch: Path) -> tuple[list[float], list[float]]:
    curl, ours = [], []
    for _ in range(runs):
        out = scratch / "curl.out"
        curl.append(curl_once(server.url(name), out))
        assert sha256(out) == expected
        out.unlink()
        elapsed, path = downloader.download(server.url(name))
        assert sha256(path) == expected
        path.unlink()
        ours.append(elapsed)
    return curl, ours


def first_download(server: FileServer, name: str, expected: str, root: Path) -> float:
    """A fresh sidecar's very first download method: download/start itself starts the machinery."""
    downloader = Downloader(root)
    try:
        elapsed, path = downloader.download(server.url(name))
        assert sha256(path) == expected
        path.unlink()
        return elapsed
    finally:
        downloader.close()


def measure(quick: bool) -> list[tuple[str, str, str, str]]:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "sidecar")], check=True)
    if not shutil.which("curl"):
        sys.exit("curl is not installed (requirements/apt.txt lists it)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="sidecar-bench-dl-") as temp:
        scratch = Path(temp)
        served, root = scratch / "served", scratch / "downloads"
        served.mkdir()
        root.mkdir()
        sizes = [("1 MiB", "small.mp4", MiB, 2 if quick else 15)] + ([] if quick else [("256 MiB", "large.mp4", 256 * MiB, 5)])
        digests = {name: make_file(served / name, size) for _, name, size, _ in sizes}
        server = FileServer(served)
        try:
            first = [first_download(server, "small.mp4", digests["small.mp4"], root) for _ in range(1 if quick else 5)]
            downloader = Downloader(root)
            downloader.sidecar.request("download/list")  # the first download method: the machinery starts
            downloader.download(server.url("small.mp4"))[1].unlink()  # and settles
            for label, name, _size, runs in sizes:
                curl, ours = side_by_side(server, name, digests[name], runs, downloader, scratch)
                c, o = statistics.median(curl), statistics.median(ours)
                rows.append(
                    (
                        f"{label}: `download/start` to `end` (median of {runs})",
                        f"{o * 1000:.0f} ms",
                        f"curl: {c * 1000:.0f} ms",
                        f"{o / c:.2f}x, curl + {(o - c) * 1000:.0f} ms",
                    )
                )
            downloader.close()
            rows.append(
                (
                    "1 MiB, a fresh sidecar's first download method (`download/start` to `end`)",
                    f"{statistics.median(first) * 1000:.0f} ms",
                    "",
                    f"median of {len(first)}",
                )
            )
        finally:
            server.close()
    return rows


BUFFER_VARIANTS: dict[str, dict[str, object]] = {
    "yt-dlp's default (1 KiB, resized up to 4 MiB)": {},
    "64 KiB, resized": {"buffersize": 64 << 10},
    "1 MiB, resized": {"buffersize": 1 << 20},
    "1 MiB, fixed": {"buffersize": 1 << 20, "noresizebuffer": True},
    "4 MiB, fixed": {"buffersize": 4 << 20, "noresizebuffer": True},
}


def buffers(runs: int) -> list[tuple[str, str, str, str]]:
    os.environ["YTDLP_NO_PLUGINS"] = "1"
    from sidecar.download.embed import EmbeddedYoutubeDL, base_options

    with tempfile.TemporaryDirectory(prefix="sidecar-bench-dl-") as temp:
        scratch = Path(temp)
        (scratch / "served").mkdir()
        expected = make_file(scratch / "served" / "large.mp4", 256 * MiB)
        server = FileServer(scratch / "served")
        url = server.url("large.mp4")

        def once(options: dict[str, object]) -> float:
            settings = base_options() | {"paths": {"home": str(scratch / "out")}, "outtmpl": {"default": "out.%(ext)s"}, "format": "b"} | options
            with EmbeddedYoutubeDL(settings) as ydl:
                found = ydl.extract_info(url, download=False, process=False)
                start = time.perf_counter()
                ydl.process_ie_result(found, download=True)
                elapsed = time.perf_counter() - start
            out = scratch / "out" / "out.mp4"
            assert sha256(out) == expected
            out.unlink()
            return elapsed

        try:
            once({})  # warm: imports, page cache
            times: dict[str, list[float]] = {name: [] for name in BUFFER_VARIANTS}
            curl: list[float] = []
            for _ in range(runs):
                for name, options in BUFFER_VARIANTS.items():
                    times[name].append(once(options))
                curl.append(curl_once(url, scratch / "curl.out"))
                (scratch / "curl.out").unlink()
        finally:
            server.close()
    c = statistics.median(curl)
    return [(name, f"{statistics.median(t) * 1000:.0f} ms", f"curl: {c * 1000:.0f} ms", f"{statistics.median(t) / c:.2f}x") for name, t in times.items()]


def render(rows: list[tuple[str, str, str, str]], command: str = "bench/downloads.py", ours: str = "sidecar") -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, with `.venv/bin/python {command}`.",
        "",
        f"| measure | {ours} | curl, same run | ratio |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    path = REPO / "BENCHMARKS.md"
    begin, end = "<!-- bench/downloads.py:begin -->", "<!-- bench/downloads.py:end -->"
    current = path.read_text()
    if begin not in current:
        current += f"\n## Downloads\n\n{begin}\n{end}\n"
    path.write_text(re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: f"{begin}\n{text}\n{end}", current, flags=re.DOTALL))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, 1 MiB only; do not write BENCHMARKS.md")
    parser.add_argument("--buffers", action="store_true", help="compare yt-dlp's read sizes in this process; do not write BENCHMARKS.md")
    args = parser.parse_args()
    if args.buffers:
        sys.stdout.write(render(buffers(7), "bench/downloads.py --buffers", "yt-dlp in this process (256 MiB)") + "\n")
        return
    table = render(measure(args.quick))
    sys.stdout.write(table + "\n")
    if not args.quick:
        write_section(table)


if __name__ == "__main__":
    main()
