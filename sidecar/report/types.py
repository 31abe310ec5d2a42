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

# The built-in templates, by the name ``report/format`` takes.
TEMPLATES = ("device_report",)

ReportFormat = Literal["html", "md", "json", "pdf"]
# format -> (file name extension, MIME type)
FORMATS: dict[str, tuple[str, str]] = {
    "html": (".html", "text/html"),
    "md": (".md", "text/markdown"),
    "json": (".json", "application/json"),
    "pdf": (".pdf", "application/pdf"),
}


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
