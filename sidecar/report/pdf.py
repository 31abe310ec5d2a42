"""The report document as PDF, drawn with fpdf2: pure Python, no Cairo or Pango in the bundled runtime.

It draws the same :class:`~.view.Document` the HTML and Markdown templates render, so the
formats carry the same content. Text is set in DejaVu Sans, shipped in ``fonts/``: fpdf2's
core fonts are Latin-1 only and device strings can be any Unicode (DejaVu's licence allows
redistribution; see ``fonts/LICENSE``). A character DejaVu lacks (Chinese, Japanese, Korean,
emoji, ...) is drawn from the font :mod:`.font_fallback` picks, a system font where one has
it; one that no font has is shown as its code. When the text needs it (:mod:`.shaping`),
HarfBuzz (uharfbuzz) shapes it: it joins Arabic letters, lays right-to-left runs out right to
left and draws emoji sequences. fpdf2 embeds only the glyphs used. The bytes are the same for
the same document and the same fonts: the creation date is the report's ``generated_at``, and
fpdf2 derives the file /ID from the content and that date.

Drawing is slow for text (fpdf2's line breaking costs about 1.5 ms per notice), and a report may
carry thousands of warnings. So a section draws at most ``MAX_NOTICES`` of them and counts the
rest (the other formats list them all), and ``checkpoint`` is called between sections and
notices: the caller raises from it to stop a render nobody waits for any more.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Iterator
from typing import cast

from fpdf import FPDF, FPDFException
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, TTFFont

from .font_fallback import FONTS, FallbackChain, fallback_chain, placeholder
from .shaping import needs_shaping
from .system_fonts import Face, FontSources, platform_sources
from .view import SIGNS, Document, Notice, Row, Section, Verdict

log = logging.getLogger(__name__)

SANS, MONO = "DejaVuSans", "DejaVuSansMono"
SANS_KEY = SANS.lower()  # fpdf2's key for a family's regular face; the bold one's ends in "B"

INK = (31, 41, 55)
LABEL = (55, 65, 81)
MUTED = (107, 114, 128)
RULE = (229, 231, 235)
ACCENT = (30, 58, 138)
TONE_INK = {"good": (21, 128, 61), "warn": (180, 83, 9), "bad": (185, 28, 28), "info": INK, "unknown": MUTED}
TONE_PAPER = {"good": (236, 253, 243), "warn": (255, 251, 235), "bad": (254, 242, 242), "info": (249, 250, 251), "unknown": (249, 250, 251)}

MARGIN = 18.0
GAP = 3.0
MAX_NOTICES = 200  # per section; 5,000 warnings took 7 s to draw here (36 s on a loaded machine)


class _ReportPDF(FPDF):
    def __init__(self, footer_text: str, sources: FontSources) -> None:
        super().__init__(unit="mm", format="A4")
        self._footer_text = footer_text
        self.add_font(SANS, "", FONTS / "DejaVuSans.ttf")
        self.add_font(SANS, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.add_font(MONO, "", FONTS / "DejaVuSansMono.ttf")
        self.set_fallback_fonts([SANS])  # the mono face lacks some signs
        self._sources = sources
        self._fallback: FallbackChain | None = None  # asked for on the first character DejaVu lacks
        self._families: dict[Face, str] = {}  # fallback faces this document uses -> their fpdf2 family
        self._drawable = _Drawable(self._shown_as)
        self.undrawable: set[int] = set()  # characters no font has, shown as their code

    def normalize_text(self, text: str) -> str:
        # fpdf2 passes every string it draws or measures through here.
        return super().normalize_text(text.translate(self._drawable))

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        # fpdf2 asks for each character the current face lacks. DejaVu Sans first: the mono face
        # lacks some signs, and the bold face a few characters the regular one has.
        code = ord(char)
        for key in (SANS_KEY + style, SANS_KEY):
            if self._has(key, code):
                return key
        return self._fallback_key(code)

    def _has(self, key: str, code: int) -> bool:
        font = self.fonts.get(key)
        return isinstance(font, TTFFont) and code in font.cmap

    def _shown_as(self, code: int) -> str | None:
        """How a character is drawn: ``None`` for itself, else the text that stands in for it."""
        if code < 0x20 or self._has(SANS_KEY, code) or self._fallback_key(code):
            return None
        self.undrawable.add(code)
        return placeholder(code)

    def _fallback_key(self, code: int) -> str | None:
        """The font key of the fallback face for ``code``, added to this document on first use."""
        if self._fallback is None:
            self._fallback = fallback_chain(self._sources)
        while (face := self._fallback.face_for(code)) is not None:
            if face in self._families:
                return self._families[face]
            family = f"fallback{len(self._families)}"
            try:
                self.add_font(family, "", face.path, collection_font_number=face.index)
            except Exception as exc:  # noqa: BLE001 (a system font fpdf2 cannot embed must not fail the report)
                log.warning("font %s cannot be embedded in a PDF, so it is not used: %s", face.path, exc)
                self._fallback.refuse(face)
                continue
            self._families[face] = family  # a family's key is its name, lowercased
            self.set_fallback_fonts([SANS, *self._families.values()])
            return family
        return None

    def close_fonts(self) -> None:
        # fpdf2 closes the files of the fonts it embeds as TrueType or CFF, not those of colour
        # fonts (drawn as Type 3), nor any when drawing fails.
        for font in self.fonts.values():
            if isinstance(font, TTFFont):
                font.close()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(SANS, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self._footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def render_pdf(doc: Document, sources: FontSources | None = None, checkpoint: Callable[[], None] = lambda: None) -> bytes:
    """The PDF; ``sources`` says where system fonts are looked for (default: this machine's usual
    places); ``checkpoint`` is called between pieces of work, and what it raises stops the render."""
    pdf = _ReportPDF(f"Report {doc.report_id} · generated {doc.generated_at}", sources or _platform_sources())
    try:
        _draw(pdf, doc, checkpoint)
        checkpoint()
        content = bytes(pdf.output())
    finally:
        pdf.close_fonts()
    if pdf.undrawable:
        shown = " ".join(f"{chr(code)} {placeholder(code) or '(invisible, left out)'}" for code in sorted(pdf.undrawable))
        log.warning("report %s: no font on this machine has %d character(s), drawn as their codes: %s", doc.report_id, len(pdf.undrawable), shown)
    return content


def _draw(pdf: _ReportPDF, doc: Document, checkpoint: Callable[[], None]) -> None:
    if needs_shaping(_strings(dataclasses.astuple(doc))):
        try:
            pdf.set_text_shaping(True)
        except FPDFException as exc:  # uharfbuzz missing: still a report, with letters unjoined
            log.warning("report %s is drawn without text shaping: %s", doc.report_id, exc)
    pdf.set_margins(MARGIN, 16, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(doc.title)
    pdf.set_subject(doc.subtitle)
    pdf.set_creator("sidecar report/format")
    pdf.set_lang("en")
    pdf.set_creation_date(doc.created)
    pdf.add_page()
    _header(pdf, doc)
    _verdict(pdf, doc.verdict)
    _highlights(pdf, doc.highlights)
    for section in doc.sections:
        checkpoint()
        _section(pdf, section, checkpoint)


@functools.cache
def _platform_sources() -> FontSources:
    return platform_sources()


def _strings(value: object) -> Iterator[str]:
    """Every string in a document's nested tuples (``dataclasses.astuple`` of it)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)


def _header(pdf: FPDF, doc: Document) -> None:
    _text(pdf, f"Report {doc.report_id}", size=8, style="B", color=ACCENT, line=4.5)
    _text(pdf, doc.title, size=20, style="B", color=INK, line=9)
    _text(pdf, doc.subtitle, size=12, color=LABEL, line=6)
    pdf.ln(1)
    _text(pdf, f"Generated {doc.generated_at}", size=9, color=MUTED, line=5)
    pdf.ln(3)
    _rule(pdf, ACCENT, 0.8)
    pdf.ln(6)


def _verdict(pdf: FPDF, verdict: Verdict) -> None:
    inner = pdf.epw - 10
    pdf.set_font(SANS, "B", 12)
    headline = _signed(verdict.tone, verdict.headline)
    headline_h = _height(pdf, inner, 6, headline)
    pdf.set_font(SANS, "", 10)
    detail_h = _height(pdf, inner, 5, verdict.detail)
    height = 4 + headline_h + 1 + detail_h + 4
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_fill_color(*TONE_PAPER[verdict.tone])
    pdf.rect(x, y, pdf.epw, height, style="F")
    pdf.set_fill_color(*TONE_INK[verdict.tone])
    pdf.rect(x, y, 1.6, height, style="F")
    pdf.set_xy(x + 6, y + 4)
    _text(pdf, headline, size=12, style="B", color=TONE_INK[verdict.tone], line=6, width=inner, x=x + 6)
    pdf.ln(1)
    _text(pdf, verdict.detail, size=10, color=INK, line=5, width=inner, x=x + 6)
    pdf.set_y(y + height + 6)


def _highlights(pdf: FPDF, cards: tuple[Row, ...]) -> None:
    width = (pdf.epw - GAP * (len(cards) - 1)) / len(cards)
    pdf.set_font(SANS, "B", 11)
    values = [_signed(card.tone, card.value) for card in cards]
    height = 3 + 4 + 1 + max(_height(pdf, width - 6, 5, value) for value in values) + 3
    top = pdf.get_y()
    for index, (card, value) in enumerate(zip(cards, values, strict=True)):
        x = pdf.l_margin + index * (width + GAP)
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.3)
        pdf.rect(x, top, width, height, style="D")
        if card.tone != "info":
            pdf.set_fill_color(*TONE_INK[card.tone])
            pdf.rect(x, top, width, 0.9, style="F")
        pdf.set_xy(x + 3, top + 3)
        _text(pdf, card.label.upper(), size=7, color=MUTED, line=4, width=width - 6, x=x + 3)
        pdf.ln(1)
        _text(pdf, value, size=11, style="B", color=TONE_INK[card.tone], line=5, width=width - 6, x=x + 3)
    pdf.set_y(top + height + 2)


def _section(pdf: FPDF, section: Section, checkpoint: Callable[[], None]) -> None:
    if pdf.will_page_break(30):  # keep a heading with the start of its content
        pdf.add_page()
    pdf.ln(5)
    _text(pdf, section.title, size=13, style="B", color=INK, line=7)
    _rule(pdf, RULE, 0.3)
    pdf.ln(2)
    if section.rows:
        _rows(pdf, section.rows)
    for notice in section.notices[:MAX_NOTICES]:
        checkpoint()
        _notice(pdf, notice)
    if len(section.notices) > MAX_NOTICES:
        pdf.ln(2)
        left_out = len(section.notices) - MAX_NOTICES
        _text(pdf, f"{left_out:,} more not drawn here; the JSON, HTML and Markdown reports list all {len(section.notices):,}.", size=10, color=MUTED, line=5)
    if section.note:
        pdf.ln(1)
        _text(pdf, section.note, size=10, color=MUTED, line=5)


def _rows(pdf: FPDF, rows: tuple[Row, ...]) -> None:
    pdf.set_font(SANS, "", 10)
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(255, 255, 255)  # the table takes the current fill colour for its cells
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=(36, 64),
        width=pdf.epw,
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        text_align="LEFT",
        v_align="TOP",
        line_height=5,
        padding=(1.8, 2),
    ) as table:
        for row in rows:
            cells = table.row()
            cells.cell(row.label, style=FontFace(color=LABEL))
            cells.cell(_signed(row.tone, row.value), style=_value_face(row))


def _value_face(row: Row) -> FontFace:
    emphasis = "B" if row.tone in ("good", "warn", "bad") else ""
    if row.mono:
        return FontFace(family=MONO, emphasis="", size_pt=9, color=TONE_INK[row.tone])
    return FontFace(family=SANS, emphasis=emphasis, color=TONE_INK[row.tone])


def _notice(pdf: FPDF, notice: Notice) -> None:
    inner = pdf.epw - 8
    heading = notice.code + (f" ({notice.field})" if notice.field else "")
    pdf.set_font(SANS, "B", 9)
    heading_h = _height(pdf, inner, 4.5, heading)
    pdf.set_font(SANS, "", 10)
    message_h = _height(pdf, inner, 5, notice.message)
    height = 2 + heading_h + message_h + 2
    if pdf.will_page_break(height + 2):
        pdf.add_page()
    pdf.ln(2)
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_fill_color(*TONE_PAPER["warn"])
    pdf.rect(x, y, pdf.epw, height, style="F")
    pdf.set_fill_color(*TONE_INK["warn"])
    pdf.rect(x, y, 1.2, height, style="F")
    pdf.set_xy(x + 5, y + 2)
    _text(pdf, heading, size=9, style="B", color=TONE_INK["warn"], line=4.5, width=inner, x=x + 5)
    _text(pdf, notice.message, size=10, color=INK, line=5, width=inner, x=x + 5)
    pdf.set_y(y + height)


# ---- primitives


class _Drawable(dict[int, "int | str"]):
    """A ``str.translate`` table that asks ``shown_as`` about each character once per document."""

    def __init__(self, shown_as: Callable[[int], str | None]) -> None:
        super().__init__()
        self._shown_as = shown_as

    def __missing__(self, code: int) -> int | str:
        stand_in = self._shown_as(code)
        self[code] = mapped = code if stand_in is None else stand_in
        return mapped


def _signed(tone: str, text: str) -> str:
    sign = SIGNS[tone]
    return f"{sign} {text}" if sign else text


def _text(pdf: FPDF, text: str, *, size: float, color: tuple[int, int, int], line: float, style: str = "", width: float = 0, x: float | None = None) -> None:
    """Wrapped, left-aligned text at ``x`` (default: the left margin); leaves the cursor below it."""
    pdf.set_font(SANS, style, size)
    pdf.set_text_color(*color)
    if x is not None:
        pdf.set_x(x)
    pdf.multi_cell(width, line, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _height(pdf: FPDF, width: float, line: float, text: str) -> float:
    # output="HEIGHT" gives the height alone; fpdf2 annotates the union of every output mode.
    return cast(float, pdf.multi_cell(width, line, text, align="L", dry_run=True, output="HEIGHT"))


def _rule(pdf: FPDF, color: tuple[int, int, int], width: float) -> None:
    pdf.set_draw_color(*color)
    pdf.set_line_width(width)
    y = pdf.get_y()
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
