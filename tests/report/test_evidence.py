"""Reports carry their evidence: the host's evidence log entries they were made from and the log's head hash.

Every format shows them (HTML, Markdown and PDF in an "Evidence" section, JSON as fields), so a printed
report can be tied back to the log with ``sidecar-host evidence verify LOG --head HASH``. The hashes here
have the shape the host writes (64 lowercase hex digits); the end-to-end test in
src-tauri/host/tests/evidence/sidecar.rs checks them against a real log.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from sidecar.report.render import render
from sidecar.report.types import DeviceReportData
from sidecar.report.view import device_document

from . import samples
from .test_render import Page, markdown_html, pdf_text, squeeze

HEAD = "3f1c0a9e" * 8
BASIC = "a1b2c3d4" * 8
LOGS = "0f1e2d3c" * 8
KEY = "9b8c7d6e" * 8


def with_evidence(**changes: object) -> DeviceReportData:
    raw = samples.android()
    raw["evidence"] = {
        "head": HEAD,
        "head_seq": 1204,
        "entries": [{"seq": 1187, "hash": BASIC, "method": "inspect/basic"}, {"seq": 1203, "hash": LOGS, "method": "logs/collect"}],
        "public_key": KEY,
        **changes,
    }
    return msgspec.convert(raw, DeviceReportData)


def test_every_format_shows_the_entry_hashes_the_head_and_the_key(tmp_path: Path) -> None:
    data = with_evidence()
    html = Page(render("device_report", "html", "r1", data).decode()).text
    markdown = Page(markdown_html(render("device_report", "md", "r1", data).decode())).text
    pdf = pdf_text(render("device_report", "pdf", "r1", data), tmp_path)
    # Whitespace aside (table cells, and PDF lines that wrap inside a hash), each format shows the same rows.
    for shown in map(squeeze, (html, markdown, pdf)):
        assert "Evidence" in shown
        assert squeeze(f"inspect/basic (entry 1,187) {BASIC}") in shown
        assert squeeze(f"logs/collect (entry 1,203) {LOGS}") in shown
        assert squeeze(f"Log head (entry 1,204) {HEAD}") in shown
        assert squeeze(f"Signing key (Ed25519) {KEY}") in shown
        assert squeeze(f"sidecar-host evidence verify LOG --head {HEAD}") in shown
    document = json.loads(render("device_report", "json", "r1", data))
    assert document["data"]["evidence"] == {
        "head": HEAD,
        "head_seq": 1204,
        "entries": [{"hash": BASIC, "method": "inspect/basic", "seq": 1187}, {"hash": LOGS, "method": "logs/collect", "seq": 1203}],
        "public_key": KEY,
    }


def test_a_report_without_evidence_has_no_evidence_section() -> None:
    data = msgspec.convert(samples.android(), DeviceReportData)
    assert "evidence" not in [section.key for section in device_document("r1", data).sections]
    assert json.loads(render("device_report", "json", "r1", data))["data"]["evidence"] is None


def test_the_evidence_section_comes_last_and_the_key_is_optional() -> None:
    sections = device_document("r1", with_evidence(public_key=None, entries=[])).sections
    assert sections[-1].key == "evidence"
    assert [row.label for row in sections[-1].rows] == ["Log head (entry 1,204)"]


@pytest.mark.parametrize(
    "bad",
    [
        {"head": "3F1C" * 16},  # upper case: the host writes lowercase, one spelling only
        {"head": HEAD[:-1]},
        {"head_seq": -1},
        {"entries": [{"seq": 1, "hash": BASIC, "method": ""}]},
        {"entries": [{"seq": 1, "hash": BASIC, "method": "inspect/basic", "extra": 1}]},
    ],
)
def test_malformed_evidence_is_refused_at_the_edge(bad: dict) -> None:
    with pytest.raises(msgspec.ValidationError):
        with_evidence(**bad)
