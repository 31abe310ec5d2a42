"""Whether a text needs a shaping engine (HarfBuzz) to be drawn right, or reads the same without one.

Shaping joins Arabic letters and lays right-to-left runs out right to left, places the marks
of Indic and other scripts, and turns emoji sequences (families, flags, skin tones) into one
picture. It makes a PDF about 1.5 times as slow to draw, so a report whose text needs none
of that (Latin, Greek, Cyrillic, CJK, single emoji) is drawn without it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_RIGHT_TO_LEFT = frozenset({"R", "AL", "AN"})  # Hebrew, Arabic and their digits
_MARKS = frozenset({"Mn", "Mc", "Me"})  # combining marks: vowel signs, viramas, accents, keycaps
# Characters that join others into one glyph: joiners, variation selectors, emoji skin tones,
# flag letters, tag characters, conjoining Hangul jamo.
_JOINING = ((0x1100, 0x11FF), (0x200C, 0x200D), (0xFE00, 0xFE0F), (0x1F1E6, 0x1F1FF), (0x1F3FB, 0x1F3FF), (0xE0020, 0xE007F))


def needs_shaping(texts: Iterable[str]) -> bool:
    return any(not text.isascii() and any(map(_shaped, text)) for text in texts)


def _shaped(char: str) -> bool:
    code = ord(char)
    return unicodedata.bidirectional(char) in _RIGHT_TO_LEFT or unicodedata.category(char) in _MARKS or any(first <= code <= last for first, last in _JOINING)
