"""Names as printed and the folded search key that makes search ignore case and accents."""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not split into base + accent, folded by hand.
_EXTRA_FOLDS = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "ß": "ss",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "ħ": "h",
        "Ħ": "h",
        "ŀ": "l",
        "Ŀ": "l",
    }
)
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
# Apostrophes and hyphens are ignored by search: obrien finds O'Brien, "jean pierre" and
# "jeanpierre" find Jean-Pierre, "bm26-" finds BM26-00012 (ASCII and typographic forms,
# and the modifier apostrophe of Ukrainian names).
APOSTROPHES_AND_HYPHENS = re.compile("['\u2018\u2019\u02bc\\-\u2010\u2011]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_INVISIBLE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Control characters written out (`\\u0000`), for messages and the audit trail: a raw
    NUL cannot be stored by PostgreSQL and shows as nothing on a terminal."""
    return _INVISIBLE_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fold(text: str) -> str:
    """The search fold: lower-case, accent-free, whitespace-collapsed, without apostrophes
    and hyphens: "Zoë Łukasiewicz-O'Neill" -> "zoe lukasiewiczoneill"."""
    return APOSTROPHES_AND_HYPHENS.sub("", fold_prose(text))


def fold_prose(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed, punctuation kept: for matching words
    in a report's text, where "B-lymphoblastic" must still name "lymphoblastic" and
    "KMT2A-PTD" must not read as "KMT2APTD"."""
    text = text.translate(_EXTRA_FOLDS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().translate(_EXTRA_FOLDS).split())


def search_words(query: str) -> list[str]:
    """The folded words of a query; every word must match. Control characters separate
    words (no stored text holds one, and PostgreSQL cannot even be asked about a NUL)."""
    query = _CONTROL.sub(" ", query)
    return [word for word in fold(query).split(" ") if word]


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def upper_family_name(name: str) -> str:
    """Capitals as printed; Greek capitals drop the tonos (ΠΑΠΑΔΟΠΟΥΛΟΣ, not ΠΑΠΑΔΌΠΟΥΛΟΣ)."""
    upper = name.upper()
    if not _GREEK.search(upper):
        return upper
    decomposed = unicodedata.normalize("NFD", upper)
    return unicodedata.normalize("NFC", decomposed.replace("\u0301", ""))


def display_name(family_name: str, given_names: str) -> str:
    """Print form of a name: "DELGADO, Tomás" (Latin, Greek, Cyrillic); "李雪" (CJK)."""
    if is_cjk(family_name):
        return f"{family_name}{given_names}"
    if not given_names.strip():
        return upper_family_name(family_name)
    return f"{upper_family_name(family_name)}, {given_names}"
