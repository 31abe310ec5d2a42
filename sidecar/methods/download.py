"""``download/*``: media downloads with yt-dlp, each in a worker child of its own.

``probe`` answers what a URL holds. ``start`` validates and queues a job and returns at
once; the job's progress follows on its ``progress_token`` (begin when it starts,
reports, end with the final path or the error). ``cancel`` stops a job, ``list`` shows
the jobs of this sidecar process. The types are in ``sidecar.download.types``.

``start`` is synchronous on purpose: the dispatcher brackets an async request's token
with begin/end, and that bracket would close as the request returns, long before the
job it queued has begun. Host names are therefore resolved and checked when the job
starts (and on every connection, by the worker), not in the request.
"""

from __future__ import annotations

# The job service and URL checks (socket, ipaddress, subprocess) load on first use, not at start.
from ..backends import availability
from ..download.types import (
    DownloadCancelParams,
    DownloadJob,
    DownloadListResult,
    DownloadProbeParams,
    DownloadProbeResult,
    DownloadStartParams,
    DownloadStartProgress,
    DownloadStartResult,
)
from ..protocol.errors import RpcError
from ..server.context import RequestContext
from ..server.table import MethodTable, NoParams

table = MethodTable()


@table.method("download/probe", requires=("download.fetch",))
async def probe(ctx: RequestContext, params: DownloadProbeParams) -> DownloadProbeResult:
    """What a URL holds: title, duration, uploader, thumbnails, formats; for a playlist its first entries, flat."""
    from ..download import urls
    from ..download.launcher import Launcher
    from ..download.probe import run_probe

    _require_yt_dlp()
    launcher = ctx.control.service(Launcher)  # warming up while the name is checked
    policy = ctx.policy
    target = urls.parse_target(params.url)
    urls.check_literal(target, policy.allow_private_networks)
    await urls.check_resolved(target, policy.allow_private_networks)
    return await run_probe(launcher, params.url, params.playlist_limit, policy)


@table.method("download/start", requires=("download.fetch",))
def start(ctx: RequestContext[DownloadStartProgress], params: DownloadStartParams) -> DownloadStartResult:
    """Queue a download and return its job id at once; progress follows on progress_token."""
    from ..download import paths, urls
    from ..download.jobs import DownloadJobs

    _require_yt_dlp()
    policy = ctx.policy
    target = urls.parse_target(params.url)
    urls.check_literal(target, policy.allow_private_networks)
    output_dir = policy.path_in("downloads", params.output_dir)
    template = paths.check_template(params.filename_template or paths.DEFAULT_TEMPLATE)
    job = ctx.control.service(DownloadJobs).submit(params, target, policy, output_dir, template)
    return DownloadStartResult(job.job_id, job.status)


@table.method("download/cancel", requires=("download.fetch",))
async def cancel(ctx: RequestContext, params: DownloadCancelParams) -> DownloadJob:
    """Cancel a queued or running download; answers once it has stopped and its partial files are gone."""
    from ..download.jobs import DownloadJobs

    return await ctx.control.service(DownloadJobs).cancel(params.job_id)


@table.method("download/list", requires=("download.fetch",))
def list_(ctx: RequestContext, params: NoParams) -> DownloadListResult:
    """The downloads of this sidecar process: queued, active and ended, oldest first, as many as fit in one frame."""
    from ..download.jobs import DownloadJobs

    return ctx.control.service(DownloadJobs).listing()


def _require_yt_dlp() -> None:
    status = availability()["yt_dlp"]
    if not status.available:
        raise RpcError("dependency_missing", f"yt-dlp is not available: {status.detail}", "Install the sidecar's download requirements.")
