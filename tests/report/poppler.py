"""poppler-utils as the PDF peer (requirements/apt.txt): the text a reader's tools extract, and the fonts embedded."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

# Bidi marks pdftotext wraps right-to-left runs in, which a reader never sees.
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install poppler-utils (requirements/apt.txt)")
    return path


def pdf_text(pdf: Path) -> str:
    return subprocess.run([_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, text=True).stdout


def logical(text: str) -> str:
    """Extracted text as a reader would type it: presentation forms folded (NFKC), bidi marks gone, spaces collapsed."""
    return " ".join(_BIDI_MARKS.sub("", unicodedata.normalize("NFKC", text)).split())


def pdf_fonts(pdf: Path) -> dict[str, str]:
    """Each embedded font, without its subset tag (``ABCDEF+``), -> its type ("CID Type 0C", "Type 3", ...)."""
    listing = subprocess.run([_tool("pdffonts"), str(pdf)], capture_output=True, check=True, text=True).stdout
    fonts = {}
    for line in listing.splitlines()[2:]:
        match = re.match(r"(\S+)\s+(.+?)\s{2,}", line)
        assert match, line
        fonts[match[1].split("+")[-1]] = match[2]
    return fonts
