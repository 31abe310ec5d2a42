"""``report/format``: the inspection data the host passes, written as an HTML, Markdown, JSON or PDF report.

The sidecar is stateless here: the host sends the data, the sidecar renders it with a
built-in template and writes one artifact under the policy's reports root. Rendering is
CPU work, so it runs in a worker thread; jinja2 and fpdf2 are imported there, on first use.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from typing import TYPE_CHECKING, Annotated

import anyio
import msgspec

from ..policy import Policy
from ..protocol.errors import RpcError
from ..protocol.progress import DETAIL_TAG, ProgressToken
from ..report.types import FORMATS, DeviceReportData, ReportFormat, ReportTemplate
from ..server.context import RequestContext
from ..server.table import MethodTable

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)
table = MethodTable()

ReportId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        description="Names the artifact, `<report_id>.<extension>`: letters, digits, '.', '_' and '-', starting with a letter or digit.",
    ),
]

# Names Windows reserves for devices, with any extension.
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))})
_WORTH_RETRYING = {errno.ENOSPC, errno.EDQUOT}


class ReportFormatParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What to format, how, and where: the artifact is ``<output_dir>/<report_id>.<extension>`` under the reports root."""

    report_id: ReportId
    format: ReportFormat
    data: DeviceReportData
    template: ReportTemplate = "device_report"
    output_dir: (
        Annotated[
            str,
            msgspec.Meta(min_length=1, description="A directory inside the reports root, relative to it or absolute; created if missing. Default: the root."),
        ]
        | None
    ) = None
    overwrite: Annotated[bool, msgspec.Meta(description="Replace an existing artifact of the same name instead of failing with already_exists.")] = False
    progress_token: ProgressToken | None = None


class ReportFormatProgress(msgspec.Struct, frozen=True, tag="report/format", tag_field=DETAIL_TAG):
    """The ``detail`` of a ``report/format`` progress report."""

    format: ReportFormat
    bytes: Annotated[int | None, msgspec.Meta(description="The artifact's size once rendered; null while rendering.")]


class ReportFormatResult(msgspec.Struct, frozen=True):
    """The artifact as written."""

    artifact: Annotated[str, msgspec.Meta(description="Absolute path of the written file.")]
    format: ReportFormat
    bytes: int
    sha256: Annotated[str, msgspec.Meta(description="Lowercase hex SHA-256 of the file.")]
    mime: str


@table.method("report/format", requires=("report.write",))
async def report_format(ctx: RequestContext[ReportFormatProgress], params: ReportFormatParams) -> ReportFormatResult:
    """Render the host's inspection data as a report file (HTML, Markdown, JSON or PDF) under the reports root."""
    target = _target(ctx.policy, params)
    ctx.report(message="rendering", percentage=0, detail=ReportFormatProgress(params.format, None))
    stop = threading.Event()
    try:
        content = await anyio.to_thread.run_sync(_render, params, stop, abandon_on_cancel=True)
    except BaseException:
        stop.set()  # cancelled: the abandoned render stops at its next checkpoint instead of running on
        raise
    ctx.report(message="writing", percentage=80, detail=ReportFormatProgress(params.format, len(content)))
    # A write that has begun is finished and answered: the answer always matches the disk, and a
    # request answered `cancelled` has written nothing.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(_write, target, content, params.overwrite)
    return ReportFormatResult(
        artifact=str(target),
        format=params.format,
        bytes=len(content),
        sha256=_sha256(content),
        mime=FORMATS[params.format][1],
    )


def _target(policy: Policy, params: ReportFormatParams) -> Path:
    if params.report_id.split(".")[0].lower() in _WINDOWS_DEVICES:
        raise RpcError("invalid_params", f"report_id {params.report_id!r} is a device name on Windows", "Choose another report_id.")
    name = params.report_id + FORMATS[params.format][0]
    return policy.path_in("reports", os.path.join(params.output_dir or "", name))


class _Abandoned(Exception):
    """The request that wanted this render is gone."""


def _render(params: ReportFormatParams, stop: threading.Event) -> bytes:
    from ..report.render import render

    def checkpoint() -> None:
        if stop.is_set():
            raise _Abandoned

    log.debug("report %s: rendering %s", params.report_id, params.format)
    try:
        return render(params.template, params.format, params.report_id, params.data, checkpoint)
    except _Abandoned:
        log.info("report %s: rendering stopped, its request was cancelled", params.report_id)
        raise


def _write(target: Path, content: bytes, overwrite: bool) -> None:
    # The writing machinery loads with it, on first use. It creates missing folders and follows no
    # symlink on the way: a folder swapped for one since _target checked the path is refused.
    from ..atomic import PathChanged, write_atomic

    try:
        write_atomic(target, content, overwrite=overwrite)
    except FileExistsError:
        raise RpcError("already_exists", f"{target} already exists", "Pass overwrite: true to replace it, or choose another report_id.") from None
    except PathChanged as exc:
        raise RpcError(
            "policy_denied", f"could not write {target}: {exc.strerror}", "Check that nothing replaces folders inside the reports folder, then retry."
        ) from None
    except OSError as exc:
        raise _io_error(f"could not write {target}", exc) from None


def _io_error(what: str, exc: OSError) -> RpcError:
    if exc.errno in _WORTH_RETRYING:
        suggestion = "Free some disk space, then retry."
    else:
        suggestion = "Check that the reports folder exists and is writable, or choose another output_dir."
    return RpcError("io_error", f"{what}: {exc.strerror or exc}", suggestion, retryable=exc.errno in _WORTH_RETRYING)


def _sha256(content: bytes) -> str:
    import hashlib  # loads OpenSSL: on first use, not at startup

    return hashlib.sha256(content).hexdigest()
