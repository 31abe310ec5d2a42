"""Rendering in-process: every format, escaping, determinism, and the same content in HTML and PDF."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sidecar.report.render import _environment, markdown_escape, render
from sidecar.report.types import DeviceReportData
from sidecar.report.view import SIGNS, device_document, displayable

from . import poppler, samples

FORMATS = ("html", "md", "json", "pdf")


def data_of(raw: dict) -> DeviceReportData:
    return msgspec.convert(raw, DeviceReportData)


class Page(HTMLParser):
    """Every element with its attributes, and the visible text (script and style bodies excluded)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0
        self._text: list[str] = []
        self.feed(markup)
        self.close()
        self.text = " ".join("".join(self._text).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._skip += tag in ("script", "style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)


def markdown_html(text: str) -> str:
    """A real CommonMark parser (with GFM tables), raw HTML allowed, as a Markdown viewer would."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return poppler.pdf_text(path)


def squeeze(text: str) -> str:
    """Text with all whitespace removed: PDF lines wrap anywhere, even inside a hash."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("sample", sorted(samples.ALL))
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_sample_renders_in_every_format_identically_twice(sample: str, fmt: str) -> None:
    data = data_of(samples.ALL[sample]())
    first = render("device_report", fmt, "r1", data)
    assert first and first == render("device_report", fmt, "r1", data)


def test_html_is_self_contained_and_device_strings_stay_text() -> None:
    page = Page(render("device_report", "html", "r1", data_of(samples.hostile())).decode())
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"script", "img", "a", "link", "iframe", "object"}
    for _, attrs in page.elements:
        assert not {"src", "href"} & set(attrs)
        assert not any(name.startswith("on") for name in attrs)
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": "default-src 'none'; style-src 'unsafe-inline'"}) in page.elements
    for text in (samples.HOSTILE_MODEL, samples.HOSTILE_MANUFACTURER, "Audit </title><script>alert('title')</script>", "ABC[U+202E]FDP.exe"):
        assert text in page.text


def test_markdown_keeps_device_strings_literal_and_tables_whole() -> None:
    markdown = render("device_report", "md", "r1", data_of(samples.hostile())).decode()
    html = markdown_html(markdown)
    page = Page(html)
    assert {tag for tag, _ in page.elements} <= {"h1", "h2", "p", "strong", "em", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "hr"}
    for text in (samples.HOSTILE_MODEL, samples.HOSTILE_MANUFACTURER, "line one # heading? - item?[U+0000][U+001B][31m"):
        assert text in page.text
    # every table row of the sections still has its two cells
    for table in re.findall(r"<table>.*?</table>", html, re.DOTALL)[1:]:
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL):
            assert len(re.findall(r"<t[hd]>", row)) == 2, row


@given(st.text())
def test_markdown_escape_round_trips_any_text_through_a_commonmark_parser(text: str) -> None:
    shown = displayable(text)  # as the view prepares every device string
    # Templates never put a value at the start or end of a line: neither does this.
    tokens = MarkdownIt("commonmark").enable("table").parse(f"x {markdown_escape(shown)} y")
    inline = [token for token in tokens if token.type == "inline"]
    assert [token.type for token in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert {child.type for child in inline[0].children} <= {"text"}
    assert "".join(child.content for child in inline[0].children) == f"x {shown} y"


def test_json_is_the_data_with_sorted_keys_two_space_indent_and_utf8() -> None:
    raw = render("device_report", "json", "r1", data_of(samples.hostile()))
    document = json.loads(raw)
    assert raw == (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    assert document["report_id"] == "r1" and document["template"] == "device_report"
    assert document["data"]["device"]["model"] == samples.HOSTILE_MODEL
    assert document["data"]["deep"]["supervision"]["organization_name"] == "株式会社テスト 🚀 Ωμέγα עברית"


def test_pdf_carries_the_same_content_as_the_html(tmp_path: Path) -> None:
    data = data_of(samples.android())
    text = squeeze(pdf_text(render("device_report", "pdf", "r1", data), tmp_path))
    html = squeeze(Page(render("device_report", "html", "r1", data).decode()).text)
    doc = device_document("r1", data)
    shown = [doc.title, doc.subtitle, doc.generated_at, doc.verdict.headline, doc.verdict.detail]
    shown += [row.value for row in doc.highlights]
    for section in doc.sections:
        shown += [section.title, section.note or ""]
        shown += [f"{row.label}{SIGNS[row.tone]}{row.value}" for row in section.rows]
        shown += [text for notice in section.notices for text in (notice.code, notice.field or "", notice.message)]
    for item in shown:
        assert squeeze(item) in text, item
        assert squeeze(item) in html, item


def test_pdf_draws_hostile_strings_as_text_in_every_script(tmp_path: Path) -> None:
    text = pdf_text(render("device_report", "pdf", "r1", data_of(samples.hostile())), tmp_path)
    assert samples.HOSTILE_MODEL in text and "ABC[U+202E]FDP.exe" in text
    # Japanese, an emoji, Greek and Hebrew; pdftotext may set a colour emoji's line apart
    assert "株式会社テスト" in text and "🚀 Ωμέγα עברית" in poppler.logical(text)
    assert "\ufffd" not in text


def test_pdf_dates_and_id_come_from_generated_at() -> None:
    data = data_of(samples.android())
    pdf = render("device_report", "pdf", "r1", data)
    assert pdf.startswith(b"%PDF-") and b"/CreationDate (D:20261122093000+01'00')" in pdf
    later = msgspec.structs.replace(data, generated_at=data.generated_at.replace(minute=31))
    assert render("device_report", "pdf", "r1", later) != pdf


def test_a_field_a_template_does_not_get_is_an_error_not_a_blank() -> None:
    import jinja2

    for fmt in ("html", "md"):
        with pytest.raises(jinja2.UndefinedError):
            _environment(fmt).from_string("{{ doc.no_such_field }}").render(doc=device_document("r1", data_of(samples.android())))


@settings(max_examples=12, deadline=None)
@given(length=st.integers(min_value=500, max_value=20_000), count=st.integers(min_value=1, max_value=60))
def test_no_value_is_too_long_to_render_in_any_format(length: int, count: int) -> None:
    """A phone (or a host) can send strings of any length: each format renders, nothing outgrows a page."""
    raw = samples.android()
    raw["device"]["model"] = "M" * length
    raw["deep"]["root_indicators"] = [f"{n}:" + "x" * length for n in range(count)]
    raw["deep"]["supervision"]["owners"] = ["com.example/" + "y" * length]
    raw["warnings"] = [{"code": "partial_data", "message": "w" * length, "field": "f" * length}]
    for fmt in ("html", "md", "json", "pdf"):
        assert render("device_report", fmt, "r1", data_of(raw))
