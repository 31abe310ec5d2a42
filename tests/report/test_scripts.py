"""Reports draw every script: device strings in Chinese, Cyrillic and Arabic, and with an emoji, in every format.

The PDF is read back with poppler's pdftotext and pdffonts (real peers). System fonts are
looked up through the real fontconfig with a configuration of the test's own (no fonts, or only
the colour emoji font that requirements/apt.txt installs), or through a font folder of the
test's own, so each path is taken on purpose and none depends on what this machine has.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import msgspec
import pytest
from markdown_it import MarkdownIt

from sidecar.report.font_fallback import fallback_chain
from sidecar.report.pdf import render_pdf
from sidecar.report.render import render
from sidecar.report.system_fonts import FontSources
from sidecar.report.types import DeviceReportData
from sidecar.report.view import device_document

from . import samples
from .poppler import logical, pdf_fonts, pdf_text
from .test_render import Page

SCRIPTS = (samples.CHINESE, samples.CYRILLIC, samples.ARABIC, samples.EMOJI)
# Debian's fonts-noto-color-emoji (requirements/apt.txt): a system font the bundled ones do not replace.
COLOR_EMOJI = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
BUNDLED_FONTS = {"NotoSansCJKSC": "CID Type 0C", "NotoEmoji": "CID TrueType"}


def scripts_document(**changes: object):
    raw = samples.scripts()
    raw.update(changes)
    return device_document("r1", msgspec.convert(raw, DeviceReportData))


def fontconfig_file(tmp_path: Path, *folders: Path) -> Path:
    """A fontconfig configuration (for ``FONTCONFIG_FILE``) that knows the fonts in ``folders`` and no others."""
    config = tmp_path / "fonts.conf"
    dirs = "".join(f"<dir>{folder}</dir>" for folder in folders)
    config.write_text(f'<?xml version="1.0"?><fontconfig>{dirs}<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>')
    return config


def fontconfig_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *folders: Path) -> FontSources:
    """The real fc-match, knowing only the fonts in ``folders``; font folders are then not searched."""
    program = shutil.which("fc-match")
    if program is None:
        pytest.fail("fc-match is missing: install fontconfig (poppler-utils depends on it)")
    monkeypatch.setenv("FONTCONFIG_FILE", str(fontconfig_file(tmp_path, *folders)))
    return FontSources(fontconfig=program, folders=(tmp_path,))  # a folder of its own: the lookup is cached per sources


def no_system_fonts(tmp_path: Path) -> FontSources:
    """A machine without fontconfig whose font folders are empty."""
    (tmp_path / "no-fonts").mkdir()
    return FontSources(fontconfig=None, folders=(tmp_path / "no-fonts",))


def written(pdf: bytes, tmp_path: Path, name: str = "report.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def color_emoji() -> Path:
    if not COLOR_EMOJI.exists():
        pytest.fail(f"{COLOR_EMOJI} is missing: install fonts-noto-color-emoji (requirements/apt.txt)")
    return COLOR_EMOJI


# ---- PDF


def test_with_no_system_fonts_the_bundled_fallbacks_draw_every_script(tmp_path: Path) -> None:
    pdf = written(render_pdf(scripts_document(), no_system_fonts(tmp_path)), tmp_path)
    raw = pdf_text(pdf)
    text = logical(raw)
    for shown in SCRIPTS:
        assert shown in text, shown  # Arabic in reading order, its letters joined by the shaping
    assert f"Model {samples.CHINESE} 13" in text and f"Managing organization {samples.CYRILLIC}" in text
    assert "\ufffd" not in raw and "[U+" not in raw
    assert pdf_fonts(pdf).items() >= BUNDLED_FONTS.items()


def test_fontconfig_with_no_fonts_leaves_the_bundled_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    pdf = written(render_pdf(scripts_document(), fontconfig_with(tmp_path, monkeypatch, tmp_path / "empty")), tmp_path)
    text = logical(pdf_text(pdf))
    assert all(shown in text for shown in SCRIPTS) and "\ufffd" not in text
    assert pdf_fonts(pdf).items() >= BUNDLED_FONTS.items()


def test_a_system_font_fontconfig_knows_is_preferred_to_the_bundled_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = fontconfig_with(tmp_path, monkeypatch, color_emoji().parent)
    pdf = written(render_pdf(scripts_document(), sources), tmp_path)
    fonts = pdf_fonts(pdf)
    assert "Type 3" in fonts.values()  # fpdf2 draws the colour bitmaps as a Type 3 font
    assert "NotoEmoji" not in fonts and fonts["NotoSansCJKSC"] == "CID Type 0C"  # no system CJK font: the bundled one
    text = logical(pdf_text(pdf))
    assert "🍎" in text and "Bobby's iPhone" in text and samples.CHINESE in text


def test_without_fontconfig_known_font_files_in_the_system_folders_are_used(tmp_path: Path) -> None:
    folder = tmp_path / "Fonts"
    folder.mkdir()
    os.symlink(color_emoji(), folder / "NotoColorEmoji.ttf")
    pdf = written(render_pdf(scripts_document(), FontSources(fontconfig=None, folders=(folder,))), tmp_path)
    fonts = pdf_fonts(pdf)
    assert "Type 3" in fonts.values() and "NotoEmoji" not in fonts


def test_a_character_no_font_has_is_shown_as_its_code_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    hindi = "\u092b\u093c\u094b\u0928"  # "phone" in Hindi: Devanagari, which neither DejaVu nor the bundled fallbacks have
    doc = scripts_document(title=f"{hindi} {samples.EMOJI}")
    with caplog.at_level(logging.WARNING, logger="sidecar.report.pdf"):
        pdf = written(render_pdf(doc, no_system_fonts(tmp_path)), tmp_path)
    text = logical(pdf_text(pdf))
    assert "[U+092B][U+093C][U+094B][U+0928] Bobby's iPhone 🍎" in text
    [record] = [record for record in caplog.records if record.name == "sidecar.report.pdf"]
    assert "4 character(s)" in record.message and "[U+093C]" in record.message


def test_an_invisible_character_no_font_has_is_left_out_not_shown(tmp_path: Path) -> None:
    # U+180E MONGOLIAN VOWEL SEPARATOR: default-ignorable, in neither DejaVu nor the fallbacks.
    pdf = written(render_pdf(scripts_document(title="Galaxy\u180eS24"), no_system_fonts(tmp_path)), tmp_path)
    assert "GalaxyS24" in logical(pdf_text(pdf)) and "[U+" not in pdf_text(pdf)


def test_system_fonts_are_looked_up_once_and_only_for_a_character_the_bundled_faces_lack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = fontconfig_with(tmp_path, monkeypatch, color_emoji().parent)
    calls = tmp_path / "calls"
    wrapper = tmp_path / "fc-match"  # the real fc-match, counting its runs
    wrapper.write_text(f'#!/bin/sh\necho run >> "{calls}"\nexec "{sources.fontconfig}" "$@"\n')
    wrapper.chmod(0o755)
    counted = FontSources(fontconfig=str(wrapper), folders=sources.folders)
    latin = device_document("r1", msgspec.convert(samples.android(), DeviceReportData))
    render_pdf(latin, counted)
    assert not calls.exists()
    render_pdf(scripts_document(), counted)
    render_pdf(scripts_document(), counted)
    assert calls.read_text() == "run\n"
    assert fallback_chain(counted) is fallback_chain(counted)


def test_the_same_document_and_fonts_give_the_same_bytes(tmp_path: Path) -> None:
    sources = no_system_fonts(tmp_path)
    assert render_pdf(scripts_document(), sources) == render_pdf(scripts_document(), sources)


# ---- HTML, Markdown, JSON


def test_html_declares_utf8_and_a_font_stack_for_cjk_arabic_and_emoji_and_isolates_device_strings() -> None:
    data = msgspec.convert(samples.scripts(), DeviceReportData)
    markup = render("device_report", "html", "r1", data).decode("utf-8")
    page = Page(markup)
    assert ("meta", {"charset": "utf-8"}) in page.elements
    for family in ('"Noto Sans CJK SC"', '"Microsoft YaHei"', '"Noto Sans Arabic"', '"Noto Color Emoji"', '"Segoe UI Emoji"'):
        assert family in markup
    for shown in SCRIPTS:
        assert shown in page.text
    # every device value, notice and the title take their direction from their own text
    assert f'<span dir="auto">{samples.ARABIC}</span>' in markup
    assert f'<span dir="auto">{samples.CHINESE} 13</span>' in markup and f'<span dir="auto">{samples.CYRILLIC}</span>' in markup
    assert '<h1><span dir="auto">Bobby&#39;s iPhone 🍎</span></h1>' in markup


def test_markdown_keeps_multibyte_text_whole_through_a_commonmark_parser() -> None:
    data = msgspec.convert(samples.scripts(), DeviceReportData)
    markdown = render("device_report", "md", "r1", data).decode("utf-8")
    text = Page(MarkdownIt("commonmark").enable("table").render(markdown)).text
    for shown in SCRIPTS:
        assert shown in text, shown
    assert f"| Model | {samples.CHINESE} 13 |" in markdown


def test_json_keeps_every_script_as_utf8_not_escapes() -> None:
    raw = render("device_report", "json", "r1", msgspec.convert(samples.scripts(), DeviceReportData))
    for shown in SCRIPTS:
        assert shown.encode("utf-8") in raw
