"""The data a report template formats, as the host sends it.

The sidecar keeps no inspection results: the host passes back what ``inspect/basic``,
``inspect/deep`` and ``logs/collect`` returned, and the template formats exactly that.
Typed data is rejected at the edge (-32602 naming the field) instead of rendering blanks,
and the schema documents it for the generated clients. Importing this module is cheap:
the renderers (jinja2, fpdf2) are imported on first use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from ..devices.types import BasicInfo, DeepSignals, LogsCollectResult, Warning
from ..protocol.names import named

# The built-in templates, by the name ``report/format`` takes.
ReportTemplate = Annotated[Literal["device_report"], named("ReportTemplate")]

ReportFormat = Annotated[Literal["html", "md", "json", "pdf"], named("ReportFormat")]
# format -> (file name extension, MIME type)
FORMATS: dict[str, tuple[str, str]] = {
    "html": (".html", "text/html"),
    "md": (".md", "text/markdown"),
    "json": (".json", "application/json"),
    "pdf": (".pdf", "application/pdf"),
}


_SHA256 = "^[0-9a-f]{64}$"


class EvidenceEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One entry of the host's evidence log that the report was made from (docs/EVIDENCE.md)."""

    seq: Annotated[int, msgspec.Meta(ge=0, le=2**53 - 1, description="The entry's sequence number in the log.")]
    hash: Annotated[str, msgspec.Meta(pattern=_SHA256, description="The entry's hash (lowercase hex SHA-256).")]
    method: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="The call it records, e.g. inspect/basic.")]


class ReportEvidence(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Ties a report to the host's evidence log: the entries it was made from, and the log's head."""

    head: Annotated[
        str,
        msgspec.Meta(
            pattern=_SHA256,
            description="The hash of the log's last entry when the report was made: `sidecar-host evidence verify LOG --head HASH` proves the log still holds everything up to it.",
        ),
    ]
    head_seq: Annotated[int, msgspec.Meta(ge=0, le=2**53 - 1, description="The sequence number of that entry.")]
    entries: Annotated[
        list[EvidenceEntry], msgspec.Meta(max_length=64, description="The entries of the inspections and log collections this report shows.")
    ] = []
    public_key: (
        Annotated[str, msgspec.Meta(pattern=_SHA256, description="The installation's Ed25519 public key (hex) that signs the log's checkpoints.")] | None
    ) = None


class DeviceReportData(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the ``device_report`` template shows: one device's inspection and log results."""

    generated_at: Annotated[
        datetime,
        msgspec.Meta(
            tz=True,
            description="When the report was made, RFC 3339 with a time zone. The host chooses it, so the same input renders the same bytes.",
        ),
    ]
    device: Annotated[BasicInfo, msgspec.Meta(description="The `data` of inspect/basic.")]
    deep: Annotated[DeepSignals | None, msgspec.Meta(description="The `data` of inspect/deep, when it was run.")] = None
    logs: Annotated[LogsCollectResult | None, msgspec.Meta(description="The result of logs/collect, when logs were collected.")] = None
    warnings: Annotated[list[Warning], msgspec.Meta(description="The warnings of the inspections.")] = []
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    evidence: Annotated[
        ReportEvidence | None, msgspec.Meta(description="The host's evidence log entries this report was made from, and the log's head hash.")
    ] = None
