"""The real sidecar (same entry point, same server) plus methods only tests and benchmarks need.

Run as ``python -m tests.support.testserver [sidecar options]`` from the repo root.
The product never serves these: they live here, outside the package.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio
import msgspec

from sidecar.cli import main
from sidecar.protocol.errors import RpcError
from sidecar.server.context import RequestContext
from sidecar.server.progress import ProgressToken
from sidecar.server.table import MethodTable, NoParams

methods = MethodTable()


class SleepParams(msgspec.Struct, frozen=True):
    seconds: float
    progress_token: ProgressToken | None = None


class ProgressBurstParams(msgspec.Struct, frozen=True):
    reports: int
    progress_token: ProgressToken | None = None


class BlobParams(msgspec.Struct, frozen=True):
    size: int


class EchoParams(msgspec.Struct, frozen=True):
    value: Any


@methods.method("test/sleep", requires=())
async def sleep(ctx: RequestContext, params: SleepParams) -> str:
    """Sleep, reporting progress every 10 ms; cancellable."""
    deadline = anyio.current_time() + params.seconds
    while (now := anyio.current_time()) < deadline:
        ctx.report(message="sleeping", percentage=100 * (1 - (deadline - now) / params.seconds))
        await anyio.sleep(min(0.01, deadline - now))
    return "slept"


@methods.method("test/progress_burst", requires=())
async def progress_burst(ctx: RequestContext, params: ProgressBurstParams) -> int:
    """Report many times without yielding between reports, then return."""
    for index in range(params.reports):
        ctx.report(message=f"step {index}", percentage=100 * index / params.reports)
        if index % 100 == 0:
            await anyio.sleep(0.01)
    return params.reports


@methods.method("test/stray_output", requires=())
def stray_output(ctx: RequestContext, params: NoParams) -> str:
    """Write to stdout the ways careless code does: print(), sys.stdout, and fd 1 directly."""
    print("stray print from a handler")
    sys.stdout.write("stray sys.stdout write\n")
    sys.stdout.flush()
    os.write(1, b"\x00\x00\x00\x10stray raw bytes on fd 1\n")
    return "wrote"


@methods.method("test/blob", requires=())
def blob(ctx: RequestContext, params: BlobParams) -> str:
    """A string of ``size`` bytes (for large-response tests and benchmarks)."""
    return "x" * params.size


@methods.method("test/echo", requires=())
def echo(ctx: RequestContext, params: EchoParams) -> Any:
    """Return ``value`` unchanged."""
    return params.value


@methods.method("test/needs_inspect", requires=("device.inspect",))
def needs_inspect(ctx: RequestContext, params: NoParams) -> str:
    """A method gated on device.inspect, for policy tests."""
    return "allowed"


@methods.method("test/path_in", requires=())
def path_in(ctx: RequestContext, params: EchoParams) -> str:
    """Resolve a path inside the reports root with the policy helper handlers use."""
    return str(ctx.policy.path_in("reports", params.value))


@methods.method("test/modules", requires=())
def loaded_modules(ctx: RequestContext, params: EchoParams) -> list[str]:
    """Which of the named top-level modules this process has imported (for lazy-import tests)."""
    return [name for name in params.value if name in sys.modules]


@methods.method("test/crash", requires=())
def crash(ctx: RequestContext, params: NoParams) -> str:
    """Fail unexpectedly, with a detail that must stay out of the response."""
    raise ValueError("internal secret detail")


@methods.method("test/app_error", requires=())
async def app_error(ctx: RequestContext, params: NoParams) -> str:
    """Fail with an application error."""
    raise RpcError("device_unavailable", "the device went away", "Reconnect it.", retryable=True)


if __name__ == "__main__":
    main(extra_methods=methods)
