"""Cold start of the sidecar from the bundled runtime, next to the development .venv.

    .venv/bin/python bench/runtime_start.py [RUNTIME_DIR]    (default runtime/dist/<this machine's triple>)

Spawn to the first `health` answer, median of 20, for `python -I -m sidecar` run from the
runtime and from .venv, both with the environment the host passes (it keeps only the variables
below); and a bare `python -I -c pass` of each, the floor. The two are measured in turn in one
run, because figures on a shared VM drift by tens of milliseconds between runs. Build the
runtime first: `.venv/bin/python build_runtime.py`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from run import HEALTH, Peer

REPO = Path(__file__).resolve().parent.parent
RUNS = 20
# The Unix variables src-tauri/host/src/spawn.rs (KEPT_ENV) lets through to the sidecar.
HOST_ENV = {name: os.environ[name] for name in ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR") if name in os.environ}


def median_ms(argv: list[str], talk: bool) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        if talk:
            peer = Peer(argv, env=HOST_ENV)
            assert b'"status":"ok"' in peer.call(HEALTH)
            samples.append(time.perf_counter() - start)
            peer.close()
        else:
            subprocess.run(argv, check=True, env=HOST_ENV)
            samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    triple = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout.split("host: ")[1].split()[0]
    runtime = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "runtime" / "dist" / triple
    for name, python in (("bundled runtime", str(runtime / "bin" / "python3")), (".venv", sys.executable)):
        bare = median_ms([python, "-I", "-c", "pass"], talk=False)
        sidecar = median_ms([python, "-I", "-m", "sidecar", "--log-level", "warning"], talk=True)
        print(f"{name:<16} sidecar to first health {sidecar:6.1f} ms   bare interpreter {bare:5.1f} ms   ({sidecar / bare:.1f}x)")


if __name__ == "__main__":
    main()
