"""report/format end to end: the real sidecar over pipes writes real files, and peers read them."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sidecar_devkit.client import SidecarError, SidecarProcess, development_policy

from ..conftest import PRODUCT_ARGV, REPO, TEST_ARGV
from . import samples
from .poppler import logical, pdf_fonts, pdf_text
from .test_scripts import BUNDLED_FONTS, SCRIPTS, fontconfig_file

pytestmark = pytest.mark.e2e

EXTENSIONS = {"html": ".html", "md": ".md", "json": ".json", "pdf": ".pdf"}
MIMES = {"html": "text/html", "md": "text/markdown", "json": "application/json", "pdf": "application/pdf"}


def fmt_report(sidecar: SidecarProcess, fmt: str = "html", data: dict | None = None, **params) -> dict:
    params = {"report_id": "r1", "format": fmt, "data": samples.android() if data is None else data, **params}
    return sidecar.request("report/format", params)


def refused(sidecar: SidecarProcess, **params) -> SidecarError:
    with pytest.raises(SidecarError) as failure:
        fmt_report(sidecar, **params)
    return failure.value


def files_under(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*")) if directory.exists() else []


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """The reports root of the ``sidecar`` fixture's policy (not created yet: the handler makes it)."""
    return tmp_path / "roots" / "reports"


@contextmanager
def sidecar_process(tmp_path: Path, argv: list[str], name: str, env: dict[str, str] | None = None) -> Iterator[SidecarProcess]:
    with open(tmp_path / f"{name}.stderr.log", "wb") as stderr:
        process = SidecarProcess(argv, stderr=stderr, cwd=str(REPO), env=env)
    try:
        yield process
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
        process.wait_or_kill()


# ---- every format, realistic data


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_each_format_is_written_under_the_reports_root_with_its_digest(sidecar, reports: Path, fmt: str) -> None:
    for name, sample in sorted(samples.ALL.items()):
        result = fmt_report(sidecar, fmt, sample(), report_id=f"report-{name}")
        artifact = reports / f"report-{name}{EXTENSIONS[fmt]}"
        content = artifact.read_bytes()
        assert result == {
            "artifact": str(artifact),
            "format": fmt,
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "mime": MIMES[fmt],
        }
    assert files_under(reports) == sorted(f"report-{name}{EXTENSIONS[fmt]}" for name in samples.ALL)


def test_the_pdf_is_a_valid_pdf_with_the_reports_text(sidecar) -> None:
    for tool in ("pdfinfo", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: install poppler-utils (requirements/apt.txt)")
    artifact = fmt_report(sidecar, "pdf")["artifact"]
    info = subprocess.run(["pdfinfo", artifact], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Title:\s+Intake inspection$", info, re.MULTILINE) and re.search(r"^Pages:\s+[1-9]", info, re.MULTILINE)
    assert re.search(r"^CreationDate:\s+.*2026", info, re.MULTILINE)
    text = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", artifact, "-"], capture_output=True, text=True, check=True).stdout.split())
    for expected in (
        "Intake inspection",
        "Google Pixel 8 Pro · Android 14",
        "✘ 3 security concerns",
        "Bootloader ✘ Unlocked",
        "Security patch level ⚠ 2024-08-05 (27 months old)",
        "Storage used 94.9 GB (80 %)",
        "Lines 48,213",
    ):
        assert expected in text, expected


def test_a_pdf_draws_every_script_on_a_machine_with_no_fonts(tmp_path: Path, policy: dict) -> None:
    # The real fontconfig, configured with an empty font folder: the bundled fallbacks must do.
    (tmp_path / "no-fonts").mkdir()
    env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(tmp_path, tmp_path / "no-fonts"))}
    with sidecar_process(tmp_path, PRODUCT_ARGV, "no-fonts", env) as sidecar:
        sidecar.initialize(policy)
        artifact = Path(fmt_report(sidecar, "pdf", samples.scripts())["artifact"])
    text = logical(pdf_text(artifact))
    assert all(shown in text for shown in SCRIPTS) and "\ufffd" not in text
    assert pdf_fonts(artifact).items() >= BUNDLED_FONTS.items()


def test_device_strings_render_as_text_in_every_format(sidecar) -> None:
    html = Path(fmt_report(sidecar, "html", samples.hostile(), report_id="h")["artifact"]).read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = Path(fmt_report(sidecar, "md", samples.hostile(), report_id="h")["artifact"]).read_text()
    assert r"| Model | \<script\>alert(1)\</script\> |" in markdown
    assert "| Build | line one # heading?  - item?" in markdown and not re.search(r"^(# heading|- item)", markdown, re.MULTILINE)
    pdf = Path(fmt_report(sidecar, "pdf", samples.hostile(), report_id="h")["artifact"])
    assert samples.HOSTILE_MODEL in subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_the_same_input_gives_the_same_bytes_in_another_process(spawn, sidecar, tmp_path: Path) -> None:
    other = spawn()
    other.initialize(development_policy(str(tmp_path / "other-roots")))
    for fmt in sorted(EXTENSIONS):
        first, second = fmt_report(sidecar, fmt, samples.hostile()), fmt_report(other, fmt, samples.hostile())
        assert first["artifact"] != second["artifact"]
        assert first["sha256"] == second["sha256"], fmt
        assert Path(first["artifact"]).read_bytes() == Path(second["artifact"]).read_bytes()


# ---- bad input gets a clear error, nothing is written


def test_a_missing_field_is_invalid_params_naming_it(sidecar, reports: Path) -> None:
    data = samples.android()
    del data["device"]["model"]
    error = refused(sidecar, data=data)
    assert error.code == -32602 and error.kind == "invalid_params"
    assert error.data["message"] == "Object missing required field `model` - at `$.data.device`"
    data = samples.android()
    del data["generated_at"]
    assert "`generated_at`" in refused(sidecar, data=data).data["message"]
    data = samples.android()
    data["generated_at"] = "2026-11-22T09:30:00"
    assert refused(sidecar, data=data).data["message"] == "Expected `datetime` with a timezone component - at `$.data.generated_at`"
    with pytest.raises(SidecarError) as failure:
        sidecar.request("report/format", {"format": "html", "data": samples.android()})
    assert failure.value.data["message"] == "Object missing required field `report_id`"
    assert files_under(reports) == []


def test_an_unknown_template_is_invalid_params_naming_the_field(sidecar, reports: Path) -> None:
    # The templates are a closed vocabulary of the schema (ReportTemplate): refused at the edge, like any enum.
    error = refused(sidecar, template="invoice")
    assert error.code == -32602 and error.data["message"] == "Invalid enum value 'invoice' - at `$.template`"
    assert files_under(reports) == []


@pytest.mark.parametrize("report_id", ["../escape", "a/b", "a\\b", "..", ".hidden", "", "x" * 129, "con", "LPT1.final"])
def test_a_report_id_that_is_not_a_plain_name_is_refused(sidecar, reports: Path, report_id: str) -> None:
    error = refused(sidecar, report_id=report_id)
    assert error.kind == "invalid_params" and "report_id" in error.data["message"]
    assert files_under(reports) == []


def test_an_output_dir_outside_the_reports_root_is_policy_denied(sidecar, tmp_path: Path, reports: Path) -> None:
    reports.mkdir(parents=True)
    (reports / "link-out").symlink_to(tmp_path)
    for output_dir in ("../elsewhere", str(tmp_path / "elsewhere"), "link-out", "sub/../../.."):
        error = refused(sidecar, output_dir=output_dir)
        assert error.kind == "policy_denied" and error.code == -32003, output_dir
    (reports / "r1.html").symlink_to(tmp_path / "planted.html")
    assert refused(sidecar).kind == "policy_denied"  # the name itself must not lead out either
    assert files_under(tmp_path / "elsewhere") == [] and not (tmp_path / "planted.html").exists()


def test_an_output_dir_inside_the_root_is_created(sidecar, reports: Path) -> None:
    nested = fmt_report(sidecar, "md", output_dir="cases/2026/11")
    assert nested["artifact"] == str(reports / "cases" / "2026" / "11" / "r1.md")
    absolute = fmt_report(sidecar, "md", output_dir=str(reports / "absolute"))
    assert absolute["artifact"] == str(reports / "absolute" / "r1.md")


def test_an_existing_artifact_is_kept_unless_overwrite_is_asked(sidecar, reports: Path) -> None:
    first = fmt_report(sidecar, "html")
    changed = samples.android()
    changed["title"] = "Second look"
    error = refused(sidecar, data=changed)
    assert error.kind == "already_exists" and error.code == -32014 and "overwrite" in error.data["suggestion"]
    assert hashlib.sha256((reports / "r1.html").read_bytes()).hexdigest() == first["sha256"]
    second = fmt_report(sidecar, "html", changed, overwrite=True)
    assert second["sha256"] != first["sha256"] and "Second look" in (reports / "r1.html").read_text()
    assert files_under(reports) == ["r1.html"]


def test_an_unwritable_folder_is_io_error_and_leaves_nothing(spawn, tmp_path: Path, policy: dict) -> None:
    argv = TEST_ARGV
    if os.geteuid() == 0:  # root writes through permissions: run the sidecar without that privilege
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
        argv = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *TEST_ARGV]
    locked = Path(policy["roots"]["reports"]) / "locked"
    locked.mkdir(parents=True)
    locked.chmod(0o555)
    try:
        with sidecar_process(tmp_path, argv, "unprivileged") as sidecar:
            sidecar.initialize(policy)
            error = refused(sidecar, output_dir="locked")
            assert error.kind == "io_error" and error.code == -32008 and error.data["retryable"] is False
            assert "Permission denied" in error.data["message"]
            error = refused(sidecar, output_dir="locked/deeper")
            assert error.kind == "io_error" and "Permission denied" in error.data["message"]  # creating the missing folder failed
            assert os.listdir(locked) == []
    finally:
        locked.chmod(0o755)


def test_a_write_cut_short_by_a_file_size_limit_is_io_error_and_leaves_nothing(tmp_path: Path, policy: dict) -> None:
    # The kernel refuses to grow any file past RLIMIT_FSIZE (EFBIG, like a full disk for that
    # file); Python ignores SIGXFSZ, so the write fails instead of killing the process.
    limit = 64 * 1024
    launcher = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "os.execv(sys.executable, [sys.executable, '-m', 'tests.support.testserver', *sys.argv[1:]])"
    )
    data = samples.hostile()
    data["warnings"] = [{"code": "partial_data", "message": f"probe {index} failed: " + "x" * 200} for index in range(1000)]
    reports = Path(policy["roots"]["reports"])
    with sidecar_process(tmp_path, [sys.executable, "-c", launcher], "limited") as sidecar:
        sidecar.initialize(policy)
        error = refused(sidecar, fmt="json", data=data)
        assert error.kind == "io_error" and "File too large" in error.data["message"]
        assert files_under(reports) == []
        small = fmt_report(sidecar, "json")  # the sidecar carries on
        assert files_under(reports) == ["r1.json"] and small["bytes"] < limit


def test_the_report_write_capability_and_a_reports_root_are_required(spawn, policy: dict) -> None:
    no_capability = spawn()
    no_capability.initialize({**policy, "capabilities": ["device.inspect"]})
    assert refused(no_capability).kind == "policy_denied"
    no_root = spawn()
    no_root.initialize({**policy, "roots": {**policy["roots"], "reports": None}})
    error = refused(no_root)
    assert error.kind == "policy_denied" and "reports" in error.data["message"]


# ---- progress and startup cost


def test_progress_brackets_the_work_when_a_token_is_given(sidecar) -> None:
    seen: list[dict] = []
    sidecar.request("report/format", {"report_id": "p", "format": "pdf", "data": samples.android(), "progress_token": "rep-1"}, on_progress=seen.append)
    values = [note["value"] for note in seen if note["token"] == "rep-1"]
    assert values[0] == {"kind": "begin", "title": "report/format"} and values[-1]["kind"] == "end"
    assert {value["message"] for value in values[1:-1]} <= {"rendering", "writing"}


def test_report_libraries_load_on_the_first_report_not_at_startup(tmp_path: Path, policy: dict) -> None:
    argv = [PRODUCT_ARGV[0], "-I", "-X", "importtime", *PRODUCT_ARGV[2:]]
    log = tmp_path / "importtime.stderr.log"

    def imported() -> set[str]:
        names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", log.read_text(), re.MULTILINE)
        return {name.split(".")[0] for name in names} & {"jinja2", "markupsafe", "fpdf", "fontTools", "PIL"}

    with sidecar_process(tmp_path, argv, "importtime") as sidecar:
        sidecar.initialize(policy)
        sidecar.request("health")
        assert imported() == set()
        fmt_report(sidecar, "html")
        fmt_report(sidecar, "pdf")
        assert {"jinja2", "fpdf", "fontTools"} <= imported()
