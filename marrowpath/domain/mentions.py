"""Whether a text names something, affirmatively (`clinical-rules.md` section 6).

"No evidence of acute leukemia" names no leukemia, "NPM1 not detected" names no NPM1
mutation, and "AML in remission" is not an AML to judge blasts by. A mention counts
only when it is neither negated nor qualified:

- a qualifier anywhere in the same sentence ("residual", "persistent", "in remission",
  "history of", "progression to") makes every mention in it not count: it describes a
  past or treated disease, not the one this marrow shows;
- a negation before the mention in the same clause ("no evidence of", "negative for",
  "no", "without", "absence of") or right after it ("not detected", "negative") makes
  that mention not count.

Text is folded (accents and, unless asked otherwise, case ignored), so "Leucémie" and
"leucemie" match alike. Deliberately simple: a missed mention leaves a check silent; a
wrong one shows a finding the pathologist can acknowledge, never a changed value.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from marrowpath.domain.text import fold_prose

QUALIFIERS = ("residual", "persistent", "in remission", "history of", "progression to")
NEGATIONS_BEFORE = (
    "no evidence of",
    "negative for",
    "not detected",
    "no",
    "not",
    "without",
    "absence of",
    "absent",
    "free of",
    "rule out",
)
NEGATIONS_AFTER = ("not detected", "not identified", "not seen", "negative", "absent")

_SENTENCE = re.compile(r"(?<!\d)\.(?!\d)|;(?!\d)|\n")
_CLAUSE = re.compile(r",|\(|\)|:| but ")


def fold_keeping_case(text: str) -> str:
    """Accent-free, whitespace-collapsed, case kept (for "AML" and "ALL")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


_QUALIFIED = _phrases(QUALIFIERS)
_NEGATED_BEFORE = _phrases(NEGATIONS_BEFORE)


@lru_cache(maxsize=1024)
def _sentences(text: str, case_sensitive: bool) -> tuple[str, ...]:
    """The folded sentences of a text that no qualifier makes not count (cached: every
    rule asks about the same diagnosis lines, on every key press in the editor)."""
    folded = fold_keeping_case(text) if case_sensitive else fold_prose(text)
    return tuple(
        sentence for sentence in _SENTENCE.split(folded) if not _QUALIFIED.search(sentence.lower())
    )


def affirmed_matches(
    text: str, pattern: str, *, case_sensitive: bool = False
) -> list[re.Match[str]]:
    """The affirmative matches of a regular expression in a text (see the module doc)."""
    found = []
    for sentence in _sentences(text, case_sensitive):
        lowered = sentence.lower()
        for match in re.finditer(pattern, sentence):
            if not _negated(lowered, match.start(), match.end()):
                found.append(match)
    return found


def _negated(sentence: str, start: int, end: int) -> bool:
    before = _CLAUSE.split(sentence[:start])[-1]
    after = _CLAUSE.split(sentence[end:])[0].strip()
    if _NEGATED_BEFORE.search(before):
        return True
    return any(after.startswith(cue) for cue in NEGATIONS_AFTER)


def word(term: str) -> str:
    """A regular expression for a term as whole words, spaces and hyphens alike."""
    term = term.strip()
    parts = [re.escape(p) for p in re.split(r"[\s-]+", term)]
    head = r"(?<![A-Za-z0-9])" if term[:1].isalnum() else ""
    tail = r"(?![A-Za-z0-9])" if term[-1:].isalnum() else ""
    return head + r"[\s-]?".join(parts) + tail


def named(texts: list[str], term: str, *, case_sensitive: bool = False) -> bool:
    """Whether a term is named affirmatively in any of the texts."""
    pattern = word(term if case_sensitive else fold_prose(term))
    return any(affirmed_matches(t, pattern, case_sensitive=case_sensitive) for t in texts)


def first_named(
    texts: list[str], terms: tuple[str, ...], *, case_sensitive: bool = False
) -> str | None:
    """The first of the terms named affirmatively in any of the texts, or None."""
    return next((t for t in terms if named(texts, t, case_sensitive=case_sensitive)), None)
