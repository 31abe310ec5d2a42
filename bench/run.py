"""Benchmarks of the sidecar's protocol path, side by side with their floors, written into BENCHMARKS.md.

    .venv/bin/python bench/run.py            # measure, print, and rewrite the table in BENCHMARKS.md
    .venv/bin/python bench/run.py --quick    # fewer repetitions, no file written

Every peer is driven by the same minimal client (raw os.read/os.write on the
pipes, no asyncio), so differences are the servers', not the client's:

* cold start: spawn to first ``health`` response, vs ``python -I -c pass`` (spawn to exit);
* serial round trip (p50/p99) of ``health``, vs echoing the same frame through ``cat`` (the pipe floor);
* pipelined ``health`` throughput, vs the ~40-line asyncio+msgspec reference server (bench/reference_server.py);
  for both, each peer's CPU time per request too (from /proc: hardly moved by other load on the machine);
* an 8 MiB result round trip in MB/s;
* idle RSS after ``initialize``; time from stdin EOF to process exit.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _sidecar_argv() -> list[str]:
    """``python -I -m sidecar``, as the host starts it; run from another export of the tree (an A/B),
    ``-E`` instead, started in it (cwd): ``-I`` would import the editable install's checkout."""
    spec = importlib.util.find_spec("sidecar")
    ours = spec is not None and spec.origin is not None and Path(spec.origin).resolve().is_relative_to(REPO / "sidecar")
    return [PYTHON, "-I" if ours else "-E", "-m", "sidecar", "--log-level", "warning"]


SIDECAR = _sidecar_argv()
TEST_SIDECAR = [PYTHON, "-m", "tests.support.testserver", "--log-level", "warning"]
REFERENCE = [PYTHON, str(REPO / "bench" / "reference_server.py")]
CAT = ["cat"]

T = TypeVar("T")

HEALTH = b'{"jsonrpc":"2.0","id":1,"method":"health"}'


def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


class Peer:
    """A child process with the minimal framed client the benchmarks share."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both asked for as pipes
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.wfd = self.stdin.fileno()
        self.rfd = self.stdout.fileno()
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.wfd, view) :]

    def read_frame(self) -> bytes:
        while True:
            if len(self.buf) >= 4:
                size = int.from_bytes(self.buf[:4], "big")
                if len(self.buf) >= 4 + size:
                    payload = bytes(self.buf[4 : 4 + size])
                    del self.buf[: 4 + size]
                    return payload
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                raise EOFError("peer closed its output")
            self.buf += chunk

    def call(self, payload: bytes) -> bytes:
        self.write(frame(payload))
        return self.read_frame()

    def initialize(self) -> None:
        root = tempfile.mkdtemp(prefix="sidecar-bench-")
        params = {
            "protocol_version": 1,
            "client": {"name": "bench", "version": "1"},
            "host_pid": os.getpid(),
            "policy": {"capabilities": ["device.inspect"], "roots": {"reports": root}},
        }
        reply = json.loads(self.call(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}).encode()))
        assert "result" in reply, reply

    def cpu_seconds(self) -> float:
        """CPU time the peer has used (user + system, from /proc): unlike wall time, hardly moved by other load."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.stdin.close()
        self.proc.wait(10)
        self.stdout.close()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cold_start(runs: int) -> tuple[float, float]:
    bare, sidecar = [], []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([PYTHON, "-I", "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        peer = Peer(SIDECAR)
        assert b'"status":"ok"' in peer.call(HEALTH)
        sidecar.append(time.perf_counter() - start)
        peer.close()
    return statistics.median(bare), statistics.median(sidecar)


def serial_round_trips(argv: list[str], count: int, initialize: bool) -> tuple[list[float], float]:
    """Round-trip times, and the peer's CPU time per call."""
    peer = Peer(argv)
    if initialize:
        peer.initialize()
    for _ in range(200):  # warm up
        peer.call(HEALTH)
    samples = []
    cpu = peer.cpu_seconds()
    for _ in range(count):
        start = time.perf_counter()
        peer.call(HEALTH)
        samples.append(time.perf_counter() - start)
    cpu = peer.cpu_seconds() - cpu
    peer.close()
    return samples, cpu / count


def pipelined_throughput(argv: list[str], count: int, initialize: bool) -> tuple[float, float]:
    """Requests per second, and the peer's CPU time per request."""
    peer = Peer(argv)
    if initialize:
        peer.initialize()
    stream = b"".join(frame(b'{"jsonrpc":"2.0","id":%d,"method":"health"}' % i) for i in range(count))
    cpu = peer.cpu_seconds()
    start = time.perf_counter()
    writer = threading.Thread(target=peer.write, args=(stream,))
    writer.start()
    for _ in range(count):
        peer.read_frame()
    elapsed = time.perf_counter() - start
    writer.join()
    cpu = peer.cpu_seconds() - cpu
    peer.close()
    return count / elapsed, cpu / count


def big_result(size: int, runs: int) -> float:
    peer = Peer(TEST_SIDECAR)
    peer.initialize()
    request = b'{"jsonrpc":"2.0","id":1,"method":"test/blob","params":{"size":%d}}' % size
    peer.call(request)  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        reply = peer.call(request)
        times.append(time.perf_counter() - start)
        assert len(reply) > size
    peer.close()
    return size / statistics.median(times) / 1e6


def idle_rss_mib() -> float:
    peer = Peer(SIDECAR)
    peer.initialize()
    peer.call(HEALTH)
    time.sleep(0.5)
    with open(f"/proc/{peer.proc.pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    peer.close()
    return rss / 1024


def eof_exit_ms(runs: int) -> float:
    samples = []
    for _ in range(runs):
        peer = Peer(SIDECAR)
        peer.initialize()
        start = time.perf_counter()
        peer.stdin.close()
        peer.proc.wait(10)
        samples.append(time.perf_counter() - start)
        peer.stdout.close()
    return statistics.median(samples) * 1000


MEASURES = ("cold", "serial", "pipelined", "blob", "rss", "eof")


def measure(quick: bool, only: set[str], repeat: int) -> list[tuple[str, str, str, str]]:
    # An installed sidecar runs from bytecode (pip and the bundled runtime precompile it); the
    # editable dev install may not have any (e.g. with PYTHONDONTWRITEBYTECODE), so compile first.
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(REPO / "sidecar")], check=True)
    scale = 0.2 if quick else 1.0
    rows = []
    # Each measure that has a peer runs ``repeat`` times, sidecar and peer side by side each
    # time; the row shows the run with the median ratio (the machine's drift hits both alike).
    if "cold" in only:
        bare, cold = _median_run(lambda: cold_start(max(5, int(20 * scale))), lambda r: r[1] / r[0], repeat)
        rows.append(
            (
                "cold start (spawn to first health)",
                f"{cold * 1000:.1f} ms",
                f"bare `python -I -c pass`: {bare * 1000:.1f} ms ({cold / bare:.1f}x)",
                _bar(cold / bare <= 8, "<= 8x"),
            )
        )

    if "serial" in only:
        n = max(2000, int(20000 * scale))

        def serial() -> tuple[tuple[list[float], float], tuple[list[float], float]]:
            return serial_round_trips(SIDECAR, n, initialize=True), serial_round_trips(CAT, n, initialize=False)

        (sidecar_rtt, sidecar_cpu), (cat_rtt, cat_cpu) = _median_run(serial, lambda r: percentile(r[0][0], 0.5) / percentile(r[1][0], 0.5), repeat)
        p50, cat_p50 = percentile(sidecar_rtt, 0.5), percentile(cat_rtt, 0.5)
        rows.append(
            (
                f"serial round trip, health (p50 / p99; CPU per call {sidecar_cpu * 1e6:.1f} us)",
                f"{p50 * 1e6:.0f} / {percentile(sidecar_rtt, 0.99) * 1e6:.0f} us",
                f"`cat` floor: {cat_p50 * 1e6:.0f} / {percentile(cat_rtt, 0.99) * 1e6:.0f} us, CPU {cat_cpu * 1e6:.1f} us ({p50 / cat_p50:.2f}x at p50)",
                _bar(p50 / cat_p50 <= 1.5, "p50 <= 1.5x"),
            )
        )

    if "pipelined" in only:
        m = max(20000, int(100000 * scale))

        def pipelined() -> tuple[tuple[float, float], tuple[float, float]]:
            return pipelined_throughput(SIDECAR, m, initialize=True), pipelined_throughput(REFERENCE, m, initialize=False)

        (ours, ours_cpu), (reference, reference_cpu) = _median_run(pipelined, lambda r: r[0][0] / r[1][0], repeat)
        rows.append(
            (
                f"pipelined health throughput (CPU per request {ours_cpu * 1e6:.1f} us)",
                f"{ours:,.0f} req/s",
                f"reference asyncio+msgspec server: {reference:,.0f} req/s, CPU {reference_cpu * 1e6:.1f} us ({ours / reference:.2f}x)",
                _bar(ours / reference >= 0.8, ">= 0.8x"),
            )
        )

    if "blob" in only:
        rows.append(("8 MiB result round trip", f"{big_result(8 << 20, max(3, int(10 * scale))):.0f} MB/s", "test/blob through the same server", ""))
    if "rss" in only:
        rss = statistics.median(idle_rss_mib() for _ in range(repeat))
        rows.append(("idle RSS after initialize", f"{rss:.1f} MiB", "", _bar(rss <= 25, "<= 25 MiB")))
    if "eof" in only:
        eof_ms = eof_exit_ms(max(3, int(10 * scale)))
        rows.append(("stdin EOF to process exit", f"{eof_ms:.0f} ms", "", _bar(eof_ms <= 1000, "<= 1000 ms")))
    return rows


def _median_run(run: Callable[[], T], ratio: Callable[[T], float], repeat: int) -> T:
    """Of ``repeat`` runs, the one whose ratio is the median (the upper one for an even count)."""
    results = sorted((run() for _ in range(repeat)), key=ratio)
    for result in results:
        sys.stderr.write(f"  ratio {ratio(result):.3f}\n")
    return results[len(results) // 2]


def _bar(ok: bool, bar: str) -> str:
    return f"{'meets' if ok else 'MISSES'} {bar}"


def render(rows: list[tuple[str, str, str, str]], repeat: int) -> str:
    lines = [
        (
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
            f" with `.venv/bin/python bench/run.py` (each measure with a peer run {repeat} times side by side with it; the run with the median ratio is shown)."
        ),
        "",
        "| measure | sidecar | compared with | bar |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    path = REPO / "BENCHMARKS.md"
    begin, end = "<!-- bench/run.py:begin -->", "<!-- bench/run.py:end -->"
    current = path.read_text() if path.exists() else "# Benchmarks\n\n## Protocol core\n\n" + begin + "\n" + end + "\n"
    updated = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: f"{begin}\n{text}\n{end}", current, flags=re.DOTALL)
    path.write_text(updated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions; do not write BENCHMARKS.md")
    parser.add_argument("--only", action="append", choices=MEASURES, help="run this measure only (repeatable); do not write BENCHMARKS.md")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure with a peer; the median ratio is shown (default: 3)")
    args = parser.parse_args()
    table = render(measure(args.quick, set(args.only or MEASURES), args.repeat), args.repeat)
    sys.stdout.write(table + "\n")
    if not (args.quick or args.only):
        write_section(table)


if __name__ == "__main__":
    main()
