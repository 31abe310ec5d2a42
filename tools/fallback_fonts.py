#!/usr/bin/env python3
"""Makes the two fallback fonts the PDF reports ship (sidecar/report/fonts/), from their published sources.

    .venv/bin/python tools/fallback_fonts.py NotoSansCJK-Regular.ttc 'NotoEmoji[wght].ttf'

A whole Noto Sans CJK is about 16 MB a face, too much for the runtime's 60 MB archive budget,
so the CJK fallback keeps the characters of the national standard character sets that cover
everyday text: all of GB 2312 (simplified Chinese, 6,763 hanzi), Big5's common level (5,401
traditional hanzi), JIS X 0208's first level (2,965 kanji) with the kana, and KS X 1001's 2,350
Hangul syllables, with the punctuation and full-width forms of each. Python's own codecs list
them, so the set needs no data file and is the same on every machine. The glyphs are those of
the Simplified Chinese face. The emoji fallback is Noto Emoji, monochrome (fpdf2 draws colour
emoji from a colour font when the system has one), fixed at its regular weight, with every
character and its ligatures (ZWJ sequences, flags, skin tones) kept.

The sources (checked by sha256; the output is byte-identical for the same sources):
* NotoSansCJK-Regular.ttc, Noto Sans CJK 2.004, from Debian's fonts-noto-cjk
  1:20220127+repack1-1 (`apt-get download fonts-noto-cjk`, then `dpkg -x`), OFL-1.1;
* NotoEmoji[wght].ttf, Noto Emoji 3.002 as Google publishes it, from the manimgx-fonts
  2026.9.26.post1 wheel on PyPI (`pip download --no-deps manimgx-fonts==2026.9.26.post1`), OFL-1.1.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

FONTS = Path(__file__).resolve().parent.parent / "sidecar" / "report" / "fonts"
CJK_OUT, EMOJI_OUT = FONTS / "NotoSansCJKsc-Subset.otf", FONTS / "NotoEmoji-Regular.ttf"
CJK_SHA256 = "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a"
EMOJI_SHA256 = "de6c18832938afc99caf132b39d6a30a19bac7f2e812e28db2535b4608d27551"
CJK_SIMPLIFIED_FACE = 2  # the collection's faces: JP, KR, SC, TC, HK, then the Mono ones

_EUC_TRAIL = range(0xA1, 0xFF)
_BIG5_TRAIL = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]


def _decoded(codec: str, leads: Iterable[int], trails: Iterable[int]) -> set[int]:
    """The characters a double-byte codec maps the given lead and trail bytes to."""
    found = set()
    trails = list(trails)
    for lead in leads:
        for trail in trails:
            try:
                text = bytes((lead, trail)).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                found.add(ord(text))
    return found


def cjk_characters() -> set[int]:
    return (
        _decoded("gb2312", range(0xA1, 0xF8), _EUC_TRAIL)  # symbols (rows 1-9) and both hanzi levels
        | _decoded("big5", range(0xA1, 0xC7), _BIG5_TRAIL)  # symbols and the common hanzi
        | _decoded("euc_jp", range(0xA1, 0xD0), _EUC_TRAIL)  # symbols, kana and the first kanji level
        | _decoded("euc_kr", range(0xA1, 0xC9), _EUC_TRAIL)  # symbols, jamo and the Hangul syllables
        | set(range(0x3000, 0x3100))  # CJK punctuation, hiragana, katakana
        | set(range(0xFF00, 0xFFF0))  # half-width and full-width forms
    )


def _options(layout_features: list[str]) -> subset.Options:
    options = subset.Options()
    options.hinting = False  # PDF viewers rasterise at any size; hints only add bytes
    options.layout_features = layout_features
    options.name_IDs = ["*"]  # keep the copyright, licence and trademark records
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE", "STAT"]  # vertical writing and variation data
    return options


def _saved(font: TTFont) -> bytes:
    font.recalcTimestamp = False  # keep the source's dates, so the output repeats byte for byte
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def make_cjk(source: Path) -> bytes:
    font = TTFont(source, fontNumber=CJK_SIMPLIFIED_FACE)
    wanted = cjk_characters() & set(font.getBestCmap())
    subsetter = subset.Subsetter(_options([]))  # no layout features: CJK needs no shaping
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    return _saved(font)


def make_emoji(source: Path) -> bytes:
    font = instancer.instantiateVariableFont(TTFont(source), {"wght": 400}, updateFontNames=True)
    subsetter = subset.Subsetter(_options(["*"]))  # every feature: sequences are GSUB ligatures
    subsetter.populate(unicodes=font.getBestCmap())
    subsetter.subset(font)
    return _saved(font)


def _checked(path: Path, sha256: str) -> Path:
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != sha256:
        sys.exit(f"{path}: sha256 {actual}, expected {sha256} (see this script's docstring for the source)")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cjk", type=Path, help="NotoSansCJK-Regular.ttc")
    parser.add_argument("emoji", type=Path, help="NotoEmoji[wght].ttf")
    args = parser.parse_args()
    CJK_OUT.write_bytes(make_cjk(_checked(args.cjk, CJK_SHA256)))
    EMOJI_OUT.write_bytes(make_emoji(_checked(args.emoji, EMOJI_SHA256)))
    for out in (CJK_OUT, EMOJI_OUT):
        print(f"{out.name}: {out.stat().st_size} bytes, sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
