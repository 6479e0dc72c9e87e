"""Latin spellings of names written in other scripts, so that "petrova" finds Петрова.

A hematologist types a name the way she knows it: from a referral letter, a passport or
a phone call, often in Latin letters for a patient registered in Cyrillic, Greek or
Chinese. The search key therefore holds each name twice, as written and as spelled in
Latin (docs/decisions.md, "Names also match by their Latin spelling").

`anyascii` (ISC licence, maintained, no dependencies) spells every script letter by
letter: Cyrillic as Petrova, Shcherbakov; Chinese as pinyin without tones (李雪 -> LiXue);
Korean, Japanese kana, Arabic, Hebrew and others as their usual romanisations. Letter by
letter is wrong for the Greek digraphs that passports spell as one sound (ELOT 743, the
Greek standard used on passports): ΠΑΠΑΔΟΠΟΥΛΟΣ is Papadopoulos, not Papadopoylos. Those
few are spelled here first.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# Greek consonants before which αυ/ευ/ηυ sound as af/ef/if (ELOT 743), else av/ev/iv.
_VOICELESS = frozenset("θκξπστφχψ")
_VOWEL_OF = {"α": "a", "ε": "e", "η": "i"}
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_TONOS = "\u0301"


def latin(text: str) -> str:
    """`text` in Latin letters (not yet folded): "Παπαδόπουλος" -> "papadopoulos"."""
    if _GREEK.search(text):
        text = _greek_digraphs(text)
    return anyascii(text)


def _greek_digraphs(text: str) -> str:
    """Lower-case Greek with the digraphs of ELOT 743 spelled in Latin; single letters
    are left to anyascii. A diaeresis (ϋ) keeps two vowels apart, as in Greek."""
    plain = unicodedata.normalize(
        "NFC", unicodedata.normalize("NFD", text.lower()).replace(_TONOS, "")
    )
    out: list[str] = []
    i = 0
    while i < len(plain):
        pair = plain[i : i + 2]
        after = plain[i + 2 : i + 3]
        at_start = i == 0 or not plain[i - 1].isalpha()
        if pair == "ου":
            out.append("ou")
        elif pair in ("αυ", "ευ", "ηυ"):
            voiceless = not after.isalpha() or after in _VOICELESS
            out.append(_VOWEL_OF[pair[0]] + ("f" if voiceless else "v"))
        elif pair == "γγ":
            out.append("ng")
        elif pair in ("γξ", "γχ"):
            out.append("n" + ("x" if pair[1] == "ξ" else "ch"))
        elif pair == "γκ" and at_start:
            out.append("g")
        elif pair == "μπ" and at_start:
            out.append("b")
        elif pair == "ντ" and at_start:
            out.append("d")
        else:
            out.append(plain[i])
            i += 1
            continue
        i += 2
    return "".join(out)
