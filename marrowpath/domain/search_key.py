"""The folded search key of a case, and what a query's words look for in it.

Search must scale with the matches, not with the table, so both databases answer it from
a trigram index (SQLite FTS5, PostgreSQL pg_trgm). A trigram index finds substrings of
three characters or more; shorter words ("li xue", "bm") match the start of a name word,
the accession or the MRN instead. The key therefore begins with those words, each after
`WORD_START`, and a short word is looked for as `WORD_START` + word. The mark is two
control characters: a query can never contain one (`text.search_words`), and with it
even a one-letter word makes a three-character needle the index can use.

Layout: `<mark>word <mark>word ... | the folded text as written`, where the marked
words are the accession, the MRN and every word of the names, as written and in Latin
(`latin.py`); the text after the bar is what long words were always matched against
(names, MRN, accession, diagnosis lines and terms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from marrowpath.domain.latin import latin
from marrowpath.domain.text import APOSTROPHES_AND_HYPHENS, fold

WORD_START = "\x1f\x1f"
# Between the marked words and the folded text; marked words never contain it.
TEXT_SEPARATOR = " | "
# Words shorter than this match the start of a marked word, not anywhere.
TRIGRAM = 3

_NAME_SEPARATORS = re.compile(r"[\s,;/()]+")
# Where anyascii starts a new syllable of pinyin (XiaoMing) or another romanisation.
_SYLLABLE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def search_key(*, identifiers: Sequence[str], names: Sequence[str], text: Sequence[str]) -> str:
    """The key stored with a case: marked words, then " | ", then the folded text."""
    words: dict[str, None] = {}  # in order, once each
    for identifier in identifiers:
        words.update(dict.fromkeys(fold(identifier).split()))
    for name in names:
        words.update(dict.fromkeys(name_words(name)))
        spelled = latin(name)
        if spelled != name:
            words.update(dict.fromkeys(name_words(spelled)))
            words.update(dict.fromkeys(syllables(spelled)))
    words.pop("", None)
    marked = " ".join(WORD_START + word for word in words)
    return f"{marked}{TEXT_SEPARATOR}{fold(' | '.join(text))}"


def name_words(name: str) -> list[str]:
    """The folded words of a name, whole and in their parts: "Jean-Pierre O'Brien" ->
    jeanpierre, jean, pierre, obrien, o, brien."""
    words: list[str] = []
    for word in _NAME_SEPARATORS.split(name):
        words.append(fold(word))
        parts = APOSTROPHES_AND_HYPHENS.split(word)
        if len(parts) > 1:
            words += [fold(part) for part in parts]
    return [word for word in words if word]


def syllables(spelled: str) -> list[str]:
    """The syllables anyascii capitalised in a Latin spelling: "LiXiaoMing" -> li, xiao,
    ming (pinyin writes a given name's syllables together or apart)."""
    return [
        fold(syllable)
        for word in _NAME_SEPARATORS.split(spelled)
        for syllable in _SYLLABLE.split(word)
        if fold(syllable)
    ]


def needles(words: Iterable[str]) -> list[str]:
    """What must occur in the key for each folded query word: a word of three characters
    or more anywhere, a shorter one at the start of a marked word."""
    return [word if len(word) >= TRIGRAM else WORD_START + word for word in words]
