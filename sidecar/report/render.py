"""Report data to the bytes of one format: JSON directly, the others through the document view.

HTML and Markdown come from jinja2 templates in this package (``templates/``) with
``StrictUndefined``, so a field a template expects and does not get is an error, never a
blank. Escaping is on by default in both: HTML autoescapes, and the Markdown environment
escapes every interpolated value (``finalize``), so a template cannot forget to. PDF is
drawn by :mod:`.pdf` from the same document. Imported only when a report is rendered.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import msgspec

from .. import backends
from .types import DeviceReportData, ReportFormat
from .view import SIGNS, Document, device_document

# template name -> how its data becomes a document
_DOCUMENTS: dict[str, Callable[[str, DeviceReportData], Document]] = {"device_report": device_document}


def render(template: str, fmt: ReportFormat, report_id: str, data: DeviceReportData, checkpoint: Callable[[], None] = lambda: None) -> bytes:
    """The report's bytes; the same arguments always give the same bytes. The PDF, which takes
    long, calls ``checkpoint`` as it goes: what that raises stops the render (the others take
    a tenth of a second for thousands of warnings)."""
    if fmt == "json":
        return render_json(template, report_id, data)
    document = _DOCUMENTS[template](report_id, data)
    if fmt == "pdf":
        backends.load("fpdf2")  # dependency_missing, not a crash, if the runtime lacks it
        from .pdf import render_pdf

        return render_pdf(document, checkpoint=checkpoint)
    page = _environment(fmt).get_template(f"{template}.{fmt}.j2")
    text: str = page.render(doc=document, signs=SIGNS)
    return text.encode("utf-8")


class _JsonReport(msgspec.Struct, frozen=True):
    report_id: str
    template: str
    data: DeviceReportData


def render_json(template: str, report_id: str, data: DeviceReportData) -> bytes:
    """The data as given, in a small envelope: keys sorted, two-space indent, UTF-8, final newline."""
    compact = msgspec.json.encode(_JsonReport(report_id, template, data), order="sorted")
    return msgspec.json.format(compact, indent=2) + b"\n"


# Backslash-escapes every ASCII character that means something inline in CommonMark or GFM
# (emphasis, code, links, raw HTML, entities, table cells, strikethrough, math). Templates never
# start a line with a value, so line-start syntax (#, -, 1.) cannot be triggered.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~$])")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def markdown_escape(value: Any) -> str:
    """``value`` as literal Markdown text: markup characters escaped, line breaks flattened."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(value)))


@functools.cache
def _environment(fmt: str) -> Any:
    jinja2 = backends.load("jinja2")  # dependency_missing, not a crash, if the runtime lacks it
    options: dict[str, Any] = {
        "loader": jinja2.PackageLoader("sidecar", "report/templates"),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    if fmt == "html":
        return jinja2.Environment(autoescape=True, **options)
    return jinja2.Environment(autoescape=False, finalize=markdown_escape, **options)
