"""``download/probe`` in a worker: what a URL holds, without downloading it."""

from __future__ import annotations

from contextlib import aclosing

from ..policy import Policy
from ..protocol.errors import RpcError
from .launcher import Launcher
from .messages import Failed, Probed, ProbeRequest, current_log_level
from .types import DownloadProbeResult


async def run_probe(launcher: Launcher, url: str, playlist_limit: int, policy: Policy) -> DownloadProbeResult:
    """The worker's answer; the worker is killed when the answer is in or the request is cancelled."""
    async with launcher.spawn(ProbeRequest(url, playlist_limit, policy, current_log_level())) as worker:
        async with aclosing(worker.events()) as events:
            async for event in events:
                if isinstance(event, Probed):
                    return event.result
                if isinstance(event, Failed):
                    raise event.error()
        code = await worker.wait()
    raise RpcError("download_failed", f"the probe ended without an answer (worker exit code {code})", "Retry; the sidecar log has details.", retryable=True)
