"""The corpus of real device output (tests/corpus): samples and what a technician reads in them.

Each sample is a raw capture (``<stem>.txt``, or another extension) beside ``<stem>.expect.json``,
written from the raw text by a person, never from our parsers. Sources are in SOURCES.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
RAW_EXTENSIONS = ("txt", "log", "plist", "xml", "json")


@dataclass(frozen=True)
class Sample:
    path: Path  # the raw capture
    expect: dict[str, Any]

    @property
    def text(self) -> str:
        """The capture as text, bytes kept (CRLF included)."""
        return self.path.read_bytes().decode("utf-8", "replace")

    def __str__(self) -> str:
        return self.path.stem


def samples(kind: str) -> list[Sample]:
    """Every sample under ``corpus/<kind>`` (e.g. ``android/getprop``), in name order."""
    found = []
    for expect in sorted((CORPUS / kind).glob("*.expect.json")):
        stem = expect.name.removesuffix(".expect.json")
        raws = [p for ext in RAW_EXTENSIONS if (p := expect.parent / f"{stem}.{ext}").exists()]
        assert len(raws) == 1, f"{expect}: expected one raw capture beside it, found {raws}"
        found.append(Sample(raws[0], json.loads(expect.read_text(encoding="utf-8"))))
    return found
