"""Where the sidecar's startup goes: wall-clock marks around each import phase (no -X importtime overhead).

.venv/bin/python -I bench/startup_phases.py      (run a few times: the spread is large on a VM)
"""

import gc
import time

gc.disable()  # as ``python -m sidecar`` starts (sidecar/__main__.py)
marks = [("start", time.perf_counter())]


def mark(name: str) -> None:
    marks.append((name, time.perf_counter()))


import msgspec  # noqa: F401 (the import is what is measured)

mark("msgspec")
import anyio
import anyio._backends._asyncio  # noqa: F401

mark("anyio+asyncio")
import sidecar.cli

mark("cli")
import sidecar.methods

sidecar.methods.default_table()
mark("method table")
import sidecar.server.run

mark("server")
phases = [f"{name} {1e3 * (t - marks[i][1]):.0f}" for i, (name, t) in enumerate(marks[1:])]
print(", ".join(phases) + f"; total {1e3 * (marks[-1][1] - marks[0][1]):.0f} ms")
