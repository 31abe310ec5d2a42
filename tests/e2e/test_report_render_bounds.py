"""A PDF report's drawing is bounded: thousands of warnings draw the first MAX_NOTICES and count the
rest, and a cancelled report/format stops rendering instead of burning a core for nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sidecar.report.pdf import MAX_NOTICES

from ..report import samples
from ..report.poppler import pdf_text

pytestmark = pytest.mark.e2e

RENDER_STOPPED = b"rendering stopped, its request was cancelled"


def with_warnings(count: int) -> dict:
    data = samples.android()
    data["warnings"] = [
        {"code": "partial_data", "message": f"value {index} could not be read from the device", "field": f"field_{index}"} for index in range(count)
    ]
    return data


def test_a_pdf_with_thousands_of_warnings_draws_the_first_ones_and_counts_the_rest(sidecar, policy) -> None:
    result = sidecar.request("report/format", {"report_id": "many", "format": "pdf", "data": with_warnings(5000)}, timeout=120)

    text = pdf_text(Path(result["artifact"]))
    drawn = [index for index in range(5000) if f"(field_{index})" in text]
    assert drawn == list(range(MAX_NOTICES))
    assert f"{5000 - MAX_NOTICES:,} more not drawn here" in " ".join(text.split())
    html = sidecar.request("report/format", {"report_id": "many", "format": "html", "data": with_warnings(5000)})
    assert Path(html["artifact"]).read_text().count("field_4999") == 1  # the other formats list them all


def wait_for_log(log: Path, line: bytes) -> bool:
    deadline = time.monotonic() + 30
    while line not in log.read_bytes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_cancelled_pdf_render_stops_instead_of_running_on(spawn, policy, tmp_path) -> None:
    sidecar = spawn("--log-level", "debug", stderr_name="render.log")
    log = tmp_path / "render.log"
    sidecar.initialize(policy)
    data = with_warnings(5000)
    data["logs"]["warnings"] = data["warnings"]  # two sections of notices: a render of about a second
    sidecar.send({"jsonrpc": "2.0", "id": 77, "method": "report/format", "params": {"report_id": "cancelled", "format": "pdf", "data": data}})
    assert wait_for_log(log, b"report cancelled: rendering pdf"), "the render never began"
    sidecar.notify("$/cancelRequest", {"id": 77})
    reply = sidecar.read_message(timeout=30)
    assert reply["id"] == 77 and reply["error"]["data"]["kind"] == "cancelled"
    assert wait_for_log(log, RENDER_STOPPED), "the abandoned render ran on"
    assert not list(Path(policy["roots"]["reports"]).glob("cancelled*"))
