"""The fonts the operating system has, for the characters the report's own fonts lack.

Looked up once, when the first PDF needs a character that the bundled fonts lack, and kept
for the life of the process: a font installed later is seen after a restart. Nothing here
runs at import.

* **fontconfig** (Linux and the BSDs; macOS with Homebrew): one ``fc-match --sort sans-serif``
  call lists the faces in the order fontconfig itself falls back through for sans-serif text,
  each with the characters it has, without any font being opened. fontconfig leaves out faces
  that add no characters. Where fontconfig runs, its answer stands, even "no fonts".
* **No fontconfig** (Windows, macOS, minimal systems): the system font folders are searched
  for :data:`KNOWN_FILES`, the fonts that Windows, macOS and the Linux distributions ship for CJK,
  Arabic, the Indic scripts and emoji. A face's characters are read from its ``cmap`` table
  when a character is first looked up in it. This path is best effort: the file names are
  the vendors' current ones, and it is tested here only with Linux's files.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

log = logging.getLogger(__name__)

# What fpdf2 can embed; fontconfig also lists Type 1, bitmap and WOFF files.
LOADABLE = frozenset({".ttf", ".otf", ".ttc", ".otc"})

# Searched when fontconfig is absent: (file name, face in the collection), most wanted first.
KNOWN_FILES: tuple[tuple[str, int], ...] = (
    # Chinese, Japanese, Korean
    ("NotoSansCJK-Regular.ttc", 2),  # Linux: Noto Sans CJK, the Simplified Chinese face
    ("msyh.ttc", 0),  # Windows: Microsoft YaHei
    ("YuGothR.ttc", 0),  # Windows: Yu Gothic
    ("malgun.ttf", 0),  # Windows: Malgun Gothic
    ("PingFang.ttc", 0),  # macOS
    ("Hiragino Sans GB.ttc", 0),  # macOS
    ("AppleSDGothicNeo.ttc", 0),  # macOS
    # Arabic, Hebrew, the Indic scripts, Thai and more
    ("NotoSansArabic-Regular.ttf", 0),  # Linux
    ("segoeui.ttf", 0),  # Windows: Segoe UI
    ("Nirmala.ttc", 0),  # Windows 11: the Indic scripts
    ("Nirmala.ttf", 0),  # Windows 10
    ("GeezaPro.ttc", 0),  # macOS: Arabic
    ("Arial Unicode.ttf", 0),  # macOS: most scripts
    # Emoji, colour first, then symbols
    ("NotoColorEmoji.ttf", 0),  # Linux (CBDT bitmaps)
    ("seguiemj.ttf", 0),  # Windows: Segoe UI Emoji (COLR)
    ("Apple Color Emoji.ttc", 0),  # macOS (sbix bitmaps)
    ("seguisym.ttf", 0),  # Windows: Segoe UI Symbol
    ("Apple Symbols.ttf", 0),  # macOS
)


class Face:
    """One face of a font file (a collection holds several), and the characters it has."""

    def __init__(self, path: Path, index: int = 0, charset: str | None = None) -> None:
        self.path = path
        self.index = index
        self._charset = charset  # fontconfig's hex ranges ("20-7e a0-17f ..."), when it gave them

    def __repr__(self) -> str:
        return f"Face({str(self.path)!r}, {self.index})"

    @functools.cached_property
    def codes(self) -> frozenset[int]:
        if self._charset is not None:
            return frozenset(_parse_charset(self._charset))
        try:
            with TTFont(self.path, fontNumber=self.index, lazy=True) as font:
                return frozenset(font.getBestCmap() or ())
        except Exception as exc:  # noqa: BLE001 (any file in a font folder: a broken one must not break the report)
            log.warning("font %s cannot be read, so it is not used: %s", self.path, exc)
            return frozenset()


@dataclass(frozen=True)
class FontSources:
    """Where system fonts are looked for. :func:`platform_sources` is this machine's; tests pass their own."""

    fontconfig: str | None  # the fc-match program; None: do not ask fontconfig
    folders: tuple[Path, ...]  # searched for KNOWN_FILES when fontconfig cannot be run


def platform_sources() -> FontSources:
    home = Path.home()
    if sys.platform == "win32":
        folders = [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
        if "LOCALAPPDATA" in os.environ:  # fonts installed for one user
            folders.append(Path(os.environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
    elif sys.platform == "darwin":
        folders = [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library" / "Fonts"]
    else:
        folders = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local" / "share" / "fonts", home / ".fonts"]
    return FontSources(fontconfig=shutil.which("fc-match"), folders=tuple(folders))


@functools.cache
def system_faces(sources: FontSources) -> tuple[Face, ...]:
    """The system's regular upright faces, in the order to fall back through."""
    if sources.fontconfig is not None:
        try:
            return tuple(_fontconfig_faces(sources.fontconfig))
        except OSError as exc:
            log.info("fontconfig (%s) cannot be run, searching the font folders instead: %s", sources.fontconfig, exc)
    faces = tuple(_known_faces(sources.folders))
    log.info("system fonts for reports: %d known files in %s", len(faces), ", ".join(map(str, sources.folders)))
    return faces


_FC_FORMAT = "%{file}\t%{index}\t%{slant}\t%{weight}\t%{charset}\n"


def _fontconfig_faces(program: str) -> Iterator[Face]:
    done = subprocess.run([program, "--sort", "--format", _FC_FORMAT, "sans-serif"], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:  # fontconfig ran: its "No fonts installed on the system" is the answer
        log.info("fontconfig found no fonts: %s", done.stderr.strip())
        return
    seen = set()
    for line in done.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) != 5:
            continue
        file, index, slant, weight, charset = fields
        path = Path(file)
        # Regular upright faces only: a bold or italic fallback would look out of place in body text.
        # Named instances of a variable font carry their number above the face index's 16 bits.
        key = (path, int(index) & 0xFFFF)
        if path.suffix.lower() not in LOADABLE or slant != "0" or _heavier_than_regular(weight) or key in seen:
            continue
        seen.add(key)
        yield Face(path, key[1], charset)


def _heavier_than_regular(weight: str) -> bool:
    try:
        return float(weight) > 100  # fontconfig's scale: 80 regular, 100 medium, 200 bold
    except ValueError:  # a variable font's range, "[0 210]": its default instance is used
        return False


def _known_faces(folders: Iterable[Path]) -> Iterator[Face]:
    wanted = {name.casefold(): rank for rank, (name, _) in enumerate(KNOWN_FILES)}
    found: dict[int, Path] = {}
    for folder in folders:
        for root, _, files in os.walk(folder):  # a missing folder yields nothing
            for name in files:
                rank = wanted.get(name.casefold())
                if rank is not None:
                    found.setdefault(rank, Path(root) / name)
    for rank in sorted(found):
        yield Face(found[rank], KNOWN_FILES[rank][1])


def _parse_charset(charset: str) -> Iterator[int]:
    for part in charset.split():
        first, _, last = part.partition("-")
        yield from range(int(first, 16), int(last or first, 16) + 1)
