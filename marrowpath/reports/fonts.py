"""Bundled TrueType fonts, registered once, and per-character fallback between them.

ReportLab embeds only TrueType-outline fonts and no single free font covers every name a
laboratory meets: DejaVu Sans covers Latin with diacritics, Greek and Cyrillic;
WenQuanYi Micro Hei covers CJK ideographs, kana and Hangul. Each character is set in the
first font that has a glyph for it, so "李雪" and "Zoë Łukasiewicz-Nguyễn" both print
(no empty boxes, no question marks) and stay extractable as text.

Fonts are parsed on first use and kept for the life of the process: parsing costs tens
of milliseconds (the CJK collection about 200 ms), and a report without CJK text never
loads the CJK font at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from importlib import resources
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

SANS = "MarrowPathSans"
SANS_BOLD = "MarrowPathSans-Bold"
SANS_OBLIQUE = "MarrowPathSans-Oblique"
CJK = "MarrowPathCJK"

# font name -> (file in marrowpath/reports/fonts, subfont index in a collection)
_FILES: dict[str, tuple[str, int]] = {
    SANS: ("DejaVuSans.ttf", 0),
    SANS_BOLD: ("DejaVuSans-Bold.ttf", 0),
    SANS_OBLIQUE: ("DejaVuSans-Oblique.ttf", 0),
    CJK: ("wqy-microhei.ttc", 0),
}
# Tried in order for a character the main font lacks.
FALLBACKS: tuple[str, ...] = (CJK,)

_lock = threading.Lock()
_loaded: dict[str, TTFont] = {}
_families: set[str] = set()


def font_path(filename: str) -> str:
    """The bundled file's path (the package is installed unzipped, as setuptools does)."""
    return str(resources.files("marrowpath.reports").joinpath("fonts", filename))


def _font(name: str) -> TTFont:
    """The registered font `name`, parsing and registering it on first use."""
    loaded = _loaded.get(name)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _loaded.get(name)
        if loaded is None:
            filename, index = _FILES[name]
            loaded = TTFont(name, font_path(filename), subfontIndex=index)
            pdfmetrics.registerFont(loaded)
            _loaded[name] = loaded
        return loaded


def _family(name: str, faces: Iterable[tuple[bool, bool, str]]) -> None:
    """Tell paragraph markup which face <b> and <i> select inside a family."""
    if name in _families:
        return
    with _lock:
        for bold, italic, face in faces:
            addMapping(name, int(bold), int(italic), face)
        _families.add(name)


def register_base_fonts() -> None:
    """Register the text family; every report needs it, so it is loaded up front."""
    for name in (SANS, SANS_BOLD, SANS_OBLIQUE):
        _font(name)
    _family(
        SANS,
        [
            (False, False, SANS),
            (True, False, SANS_BOLD),
            (False, True, SANS_OBLIQUE),
            (True, True, SANS_BOLD),  # no bold oblique face is bundled: bold reads better
        ],
    )


def _register_fallback(name: str) -> None:
    _font(name)
    # One face only: bold or italic CJK runs use the regular face rather than failing.
    _family(name, [(b, i, name) for b in (False, True) for i in (False, True)])


def _covers(name: str, char: str) -> bool:
    return ord(char) in _font(name).face.charToGlyph


def runs(text: str, base: str = SANS) -> list[tuple[str, str]]:
    """Split text into (font name, chunk) runs, each set in a font that has its glyphs.

    A character that no bundled font has stays with `base` (it prints as that font's
    missing-glyph box); whitespace never starts a fallback run.
    """
    if text.isascii():
        return [(base, text)] if text else []
    register_base_fonts()
    cmap = _font(base).face.charToGlyph
    result: list[tuple[str, str]] = []
    for char in text:
        name = base
        if ord(char) not in cmap and not char.isspace():
            for fallback in FALLBACKS:
                _register_fallback(fallback)
                if _covers(fallback, char):
                    name = fallback
                    break
        if result and result[-1][0] == name:
            result[-1] = (name, result[-1][1] + char)
        else:
            result.append((name, char))
    return result


def markup(text: str) -> str:
    """User text as paragraph markup: XML-escaped, line breaks kept, fallback runs wrapped.

    `Blasts <5% & CD34 <b` prints as typed: the text is escaped before any markup is
    added, so nothing a user types can open a tag.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(_line_markup(line) for line in lines)


def _line_markup(line: str) -> str:
    parts = []
    for name, chunk in runs(line):
        escaped = escape(chunk)
        parts.append(escaped if name == SANS else f'<font name="{name}">{escaped}</font>')
    return "".join(parts)


def string_width(text: str, font: str, size: float) -> float:
    """Width of text drawn with `draw_string` (each run in its own font)."""
    return float(sum(pdfmetrics.stringWidth(chunk, name, size) for name, chunk in runs(text, font)))


def draw_string(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float, align: str = "left"
) -> float:
    """Draw one line on the canvas in runs per font; returns the width drawn.

    Header and footer are drawn on the canvas, not as paragraphs, so they need the same
    per-character fallback as paragraph text.
    """
    pieces = runs(text, font)
    width = float(sum(pdfmetrics.stringWidth(chunk, name, size) for name, chunk in pieces))
    if align == "right":
        x -= width
    elif align == "center":
        x -= width / 2
    for name, chunk in pieces:
        canvas.setFont(name, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, name, size)
    return width
