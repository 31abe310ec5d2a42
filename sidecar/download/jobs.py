"""The download job service: one per sidecar process, owning the queue, the concurrency
limit, the job table and the worker children.

``download/start`` queues a job and returns. A job starts when a slot is free, the limit
being the ``max_concurrent_downloads`` of the policy in force at that moment; it keeps the
policy of the request that queued it. A running job is a task of the service with its
own cancel scope and one worker child.

A job outlives its request, so its progress is its own: ``begin`` on its token when it
starts, reports (the worker sends about two a second), and ``end`` with the final path or
the error, whatever ends it. However it ends (finished, failed, cancelled, shutdown, the
sidecar stopping), its worker's process group is stopped and reaped and its temp dir,
which holds every partial file of the job, is removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections import deque
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import anyio
import msgspec

from ..policy import Policy
from ..protocol.errors import ErrorData, RpcError
from ..protocol.progress import ProgressToken, ProgressValue
from .child import Worker
from .launcher import Launcher
from .messages import DownloadRequest, Failed, Progress, Saved, Warned, WorkerEvent, current_log_level
from .paths import job_temp_dir, remove_tree
from .types import DownloadJob, DownloadListResult, DownloadProgress, DownloadStartParams, DownloadStartProgress, JobStatus
from .urls import Target, check_resolved

if TYPE_CHECKING:
    from ..server.services import ServiceHost

log = logging.getLogger(__name__)

CANCEL_GRACE = 3.0  # download/cancel and shutdown: SIGINT, then SIGKILL after this long
CLEANUP_BOUND = 2.0  # for removing a job's temp files once its worker is gone
# Jobs waiting for a slot; past this download/start is busy (retryable). A queued job costs a
# few KiB (the issue measured 45,000 of them at 153 MB), so this bounds the queue to a few MB.
MAX_QUEUED = 1000
KEEP_FINISHED = 200  # ended jobs download/list still shows (the newest), trimmed as each job ends
LIST_ENVELOPE_RESERVE = 4096  # room in download/list's frame for the response around the jobs
PROGRESS_TITLE = "download"

_encode = msgspec.json.Encoder().encode
J = TypeVar("J", bound=DownloadJob)


class _Job:
    def __init__(self, params: DownloadStartParams, target: Target, policy: Policy, output_dir: Path, template: str, ffmpeg: str | None) -> None:
        self.job_id = uuid.uuid4().hex[:16]
        self.ffmpeg = ffmpeg  # the host's configured ffmpeg, if any
        self.params = params
        self.target = target
        self.policy = policy
        self.output_dir = output_dir
        self.resume_key = params.resume_key
        # A resumable job's partial files are found again by its key, in a later sidecar too.
        self.temp_dir = job_temp_dir(output_dir, params.resume_key or self.job_id)
        self.cancel_requested = False  # by download/cancel; any other cancel is the sidecar stopping
        self.template = template
        self.status: JobStatus = "queued"
        self.latest: Progress | None = None
        self.files: list[str] = []
        self.warnings: list[str] = []
        self.error: ErrorData | None = None
        self.scope = anyio.CancelScope()
        self.done = anyio.Event()
        self.worker: Worker | None = None

    @property
    def token(self) -> ProgressToken | None:
        return self.params.progress_token

    @property
    def ended(self) -> bool:
        return self.status in ("finished", "failed", "cancelled", "interrupted")

    @property
    def interrupted(self) -> bool:
        """Stopped by the sidecar's own end, not by the host, and resumable: its partial files stay."""
        return self.resume_key is not None and self.error is None and not self.cancel_requested

    @property
    def percent(self) -> float | None:
        latest = self.latest
        if latest is None or not latest.total_bytes or latest.downloaded_bytes is None:
            return None
        return min(100.0, 100.0 * latest.downloaded_bytes / latest.total_bytes)

    def request(self) -> DownloadRequest:
        return DownloadRequest(
            url=self.params.url,
            preset=self.params.preset,
            output_dir=str(self.output_dir),
            temp_dir=str(self.temp_dir),
            template=self.template,
            playlist_limit=self.params.playlist_limit,
            policy=self.policy,
            log_level=current_log_level(),
            ffmpeg_location=self.ffmpeg,
            keep_partial=self.resume_key is not None,
        )

    def snapshot(self, as_type: type[J]) -> J:
        """The job now: a ``DownloadJob`` as ``download/list`` shows it, or the same as its progress's ``DownloadStartProgress``."""
        return as_type(
            job_id=self.job_id,
            url=self.params.url,
            preset=self.params.preset,
            status=self.status,
            output_dir=str(self.output_dir),
            progress_token=self.token,
            path=self.files[-1] if self.status == "finished" and self.files else None,
            resume_key=self.resume_key,
            progress=self._progress(),
            files=list(self.files),
            warnings=list(self.warnings),
            error=self.error,
        )

    def _progress(self) -> DownloadProgress:
        latest = self.latest
        if latest is None:
            return DownloadProgress(None, None, None, None, None, False, None, None, None, None, None)
        return DownloadProgress(
            stage=latest.status,
            filename=latest.filename,
            path=latest.path,
            downloaded_bytes=latest.downloaded_bytes,
            total_bytes=latest.total_bytes,
            total_is_estimate=latest.total_is_estimate,
            percent=self.percent,
            speed=latest.speed,
            eta=latest.eta,
            playlist_index=latest.playlist_index,
            playlist_count=latest.playlist_count,
        )


class DownloadJobs:
    def __init__(self, host: ServiceHost) -> None:
        self._host = host
        self._hub = host.progress  # jobs report on their own token long after their request ended
        self._launcher = host.service(Launcher)  # warming up from the first download method on
        self._jobs: dict[str, _Job] = {}
        self._queue: deque[_Job] = deque()
        self._changed = anyio.Event()
        self._running = 0
        self._stopping = False

    # ---- what the handlers call

    def submit(self, params: DownloadStartParams, target: Target, policy: Policy, output_dir: Path, template: str) -> DownloadJob:
        """Queue a download (already validated by the handler); it starts when a slot is free."""
        if len(self._queue) >= MAX_QUEUED:
            raise RpcError("busy", f"{MAX_QUEUED} downloads are already waiting to start", "Wait for some to start, then retry.", retryable=True)
        if params.resume_key is not None and any(job.resume_key == params.resume_key and not job.ended for job in self._jobs.values()):
            raise RpcError("invalid_params", f"resume_key {params.resume_key!r} belongs to a download that has not ended", "Give each download its own key.")
        if params.progress_token is not None:
            self._hub.claim(params.progress_token, "another download")  # or a request: held until the job's end
        job = _Job(params, target, policy, output_dir, template, self._host.session.host_config.ffmpeg_location)
        self._jobs[job.job_id] = job
        self._queue.append(job)
        self._changed.set()
        return job.snapshot(DownloadJob)

    def listing(self) -> DownloadListResult:
        """The jobs, oldest first, as many as fit in one frame: every unfinished one first (oldest
        first), then the most recent ended ones; ``omitted`` counts the rest."""
        budget = self._host.session.config.max_frame_bytes - LIST_ENVELOPE_RESERVE
        jobs = list(self._jobs.values())
        ranked = [job for job in jobs if not job.ended] + [job for job in reversed(jobs) if job.ended]
        fitting: dict[str, DownloadJob] = {}
        for job in ranked:
            snapshot = job.snapshot(DownloadJob)
            budget -= len(_encode(snapshot)) + 1  # and its comma
            if budget < 0:
                break
            fitting[job.job_id] = snapshot
        shown = [fitting[job.job_id] for job in jobs if job.job_id in fitting]
        return DownloadListResult(shown, omitted=len(jobs) - len(shown))

    async def cancel(self, job_id: str) -> DownloadJob:
        """Cancel a queued or running job and return it once it has stopped (ended jobs are returned as they are)."""
        job = self._jobs.get(job_id)
        if job is None:
            raise RpcError("invalid_target", f"no download job {job_id!r} in this sidecar", "Call download/list for the jobs it knows.")
        if not job.ended:
            job.cancel_requested = True
        self._cancel(job)
        await job.done.wait()
        if job.status == "cancelled" and job.resume_key is not None:
            # A queued job never ran, but an earlier, interrupted one may have left its key's partial files.
            await anyio.to_thread.run_sync(remove_tree, job.temp_dir)
        return job.snapshot(DownloadJob)

    # ---- the service

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._cancel_at_shutdown, name="download jobs: shutdown watch")
            try:
                while True:
                    self._start_queued(tg)
                    await self._changed.wait()
                    self._changed = anyio.Event()
            finally:
                # The server is stopping and the host wants the process gone: no grace periods.
                self._stopping = True
                for job in self._jobs.values():
                    if job.worker is not None:
                        job.worker.hurry()

    def _start_queued(self, tg: anyio.abc.TaskGroup) -> None:
        limit = self._limit()
        while self._queue and self._running < limit:
            job = self._queue.popleft()
            job.status = "active"
            self._running += 1
            tg.start_soon(self._run_job, job, name=f"download {job.job_id}")

    def _limit(self) -> int:
        active = self._host.session.active
        return active.policy.max_concurrent_downloads if active else 1

    async def _cancel_at_shutdown(self) -> None:
        # Jobs must end at `shutdown` too (nobody will collect them), not only at process exit.
        await self._host.shutting_down.wait()
        for job in list(self._jobs.values()):
            self._cancel(job)

    def _cancel(self, job: _Job) -> None:
        if job.status == "queued":
            self._queue.remove(job)
            job.status = "interrupted" if job.interrupted else "cancelled"
            job.done.set()
            self._release(job)  # it never began, so no end: its token is free again
            self._forget_old()
        elif job.status == "active":
            job.scope.cancel()

    def _forget_old(self) -> None:
        ended = [job_id for job_id, job in self._jobs.items() if job.ended]
        for job_id in ended[: max(0, len(ended) - KEEP_FINISHED)]:
            del self._jobs[job_id]

    # ---- one job

    async def _run_job(self, job: _Job) -> None:
        self._begin(job)
        completed = False
        try:
            with job.scope:
                try:
                    completed = await self._drive(job)
                except RpcError as error:
                    job.error = error.data
        finally:
            interrupted = not completed and job.interrupted
            if not interrupted:  # the worker is gone already: it stops with its block in _drive
                with anyio.CancelScope(shield=True, deadline=anyio.current_time() + CLEANUP_BOUND):
                    await anyio.to_thread.run_sync(remove_tree, job.temp_dir)
            job.status = "failed" if job.error is not None else "finished" if completed else "interrupted" if interrupted else "cancelled"
            log.info("download %s %s%s", job.job_id, job.status, f": {job.error.kind}: {job.error.message}" if job.error else "")
            self._running -= 1
            self._changed.set()
            job.done.set()
            self._end(job)
            self._forget_old()

    async def _drive(self, job: _Job) -> bool:
        """Run the job's worker to its end; True when it completed."""
        await check_resolved(job.target, job.policy.allow_private_networks)
        async with self._launcher.spawn(job.request(), grace=CANCEL_GRACE) as job.worker:
            if self._stopping:
                job.worker.hurry()  # the sidecar began stopping while this worker started
            log.info("download %s: worker %d for %s", job.job_id, job.worker.pid, job.params.url)
            async with aclosing(job.worker.events()) as events:
                async for event in events:
                    if not self._apply(job, event):
                        return False
            code = await job.worker.wait()
        if job.error is None and code != 0:
            job.error = RpcError(
                "download_failed", f"the download worker ended with exit code {code}", "Retry; the sidecar log has details.", retryable=True
            ).data
        return job.error is None

    def _apply(self, job: _Job, event: WorkerEvent) -> bool:
        """Take one worker event into the job; False when the job must stop."""
        if isinstance(event, Progress):
            job.latest = event
            self._report(job)
        elif isinstance(event, Warned):
            job.warnings.append(event.message)
            self._report(job, event.message)
        elif isinstance(event, Saved):
            try:
                job.policy.path_in("downloads", event.path)
            except RpcError as error:
                with contextlib.suppress(OSError):
                    os.unlink(event.path)  # the job's own file, in a place it must not be
                job.error = error.data
                return False
            job.files.append(event.path)
            self._report(job)
        elif isinstance(event, Failed):
            job.error = event.error().data
        return True

    # ---- progress on the job's token

    def _begin(self, job: _Job) -> None:
        if job.token is not None:
            self._hub.begin(job.token, PROGRESS_TITLE)
            self._report(job)

    def _report(self, job: _Job, message: str | None = None) -> None:
        if job.token is not None:
            stage = job.latest.status if job.latest is not None else job.status
            detail = job.snapshot(DownloadStartProgress)
            self._hub.report(job.token, ProgressValue(kind="report", message=message or stage, percentage=job.percent, detail=detail))

    def _end(self, job: _Job) -> None:
        if job.token is None:
            return
        self._hub.end(job.token, _end_message(job), job.snapshot(DownloadStartProgress))
        self._release(job)

    def _release(self, job: _Job) -> None:
        if job.token is not None:
            self._hub.release(job.token)


def _end_message(job: _Job) -> str:
    """An end in words: the finished job's last file, else its error, else its status (the detail has it all)."""
    if job.status == "finished":
        return job.files[-1] if job.files else "finished"
    return job.error.message if job.error is not None else job.status
