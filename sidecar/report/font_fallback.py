"""Which font draws a character that the report's DejaVu faces lack: a system font, else a bundled one.

DejaVu Sans sets the report and has Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and
Arabic. For any other character the chain is asked once per process, and it answers with the
first face that has the character:

1. the system's fonts, in the order :mod:`.system_fonts` finds them, so a machine with Noto CJK,
   Microsoft YaHei or a colour emoji font draws with those;
2. the fallbacks shipped in ``fonts/``, so that the PDF is right on a machine with no fonts at
   all: a subset of Noto Sans CJK SC (GB 2312, Big5 level 1, JIS X 0208 level 1, KS X 1001:
   everyday Chinese, Japanese and Korean) and Noto Emoji, monochrome.

A character no face has is drawn as its code, ``[U+xxxx]`` (as the report shows control
characters), so a reader sees that something is there and what. An invisible character that no
face has (a joiner, a variation selector) is left out, since it would draw nothing anyway.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .system_fonts import Face, FontSources, system_faces

FONTS = Path(__file__).with_name("fonts")
BUNDLED = (FONTS / "NotoSansCJKsc-Subset.otf", FONTS / "NotoEmoji-Regular.ttf")

# Unicode's default-ignorable code points (DerivedCoreProperties.txt): they have no glyph of their own.
_INVISIBLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip


def invisible(code: int) -> bool:
    return any(first <= code <= last for first, last in _INVISIBLE)


def placeholder(code: int) -> str:
    """What the PDF shows for a character no font has."""
    return "" if invisible(code) else f"[U+{code:04X}]"


class FallbackChain:
    """The faces to fall back through, and the answer for each character asked about so far."""

    def __init__(self, faces: tuple[Face, ...]) -> None:
        self.faces = faces
        self._chosen: dict[int, Face | None] = {}

    def face_for(self, code: int) -> Face | None:
        try:
            return self._chosen[code]
        except KeyError:
            face = self._chosen[code] = next((face for face in self.faces if code in face.codes), None)
            return face

    def refuse(self, face: Face) -> None:
        """Stop using a face (fpdf2 could not load it): the characters it had go to the next one."""
        self.faces = tuple(other for other in self.faces if other is not face)
        self._chosen = {code: chosen for code, chosen in self._chosen.items() if chosen is not face}


@functools.cache
def fallback_chain(sources: FontSources) -> FallbackChain:
    """The chain for these font sources, made on the first PDF that needs it and kept for the process."""
    return FallbackChain((*system_faces(sources), *(Face(path) for path in BUNDLED)))
