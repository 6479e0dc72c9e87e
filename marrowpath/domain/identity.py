"""Patient identities that look alike: invisible characters, mixed scripts, confusable MRNs.

A second patient can be created that is shown exactly like the first: an MRN with a
zero-width space, or "Dеlgado" typed with a Cyrillic "е". Three rules stop that:

* identifiers (MRN, accession) hold printable characters only, never a format character
  (Unicode category Cf: zero-width spaces and joiners, bidi controls, soft hyphens);
* names hold no format character either (a right-to-left override reverses a name on
  screen, a zero-width space splits it invisibly);
* a word mixing Latin with Cyrillic or Greek letters is flagged for review, and an MRN
  whose look-alike key (`mrn_key`) equals an existing MRN's is refused.

The look-alike classes are Unicode's confusables (UTS #39), as shipped by
`confusable_homoglyphs`: every character is replaced by the smallest member of its class,
case is folded, and the result is the key. Pure Python, no I/O beyond the package data.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Scripts whose letters look alike: a word mixing two of them is almost always a typo or
# a spoof (a Cyrillic "е" in "Dеlgado"), never a real name.
LOOKALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def character_name(char: str) -> str:
    """`U+200B ZERO WIDTH SPACE`: how a message names an invisible character."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def identifier_problem(value: str) -> str | None:
    """Why an MRN or accession is refused, or None: format or unprintable characters."""
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) == "Cf":
            return (
                f"must not contain invisible formatting characters; {character_name(char)} "
                f"at position {position}"
            )
        if not char.isprintable() or (char.isspace() and char != " "):
            return (
                f"must contain printable characters only; {character_name(char)} at "
                f"position {position}"
            )
    return None


def name_problem(value: str) -> str | None:
    """Why a person's name is refused, or None: bidi controls, zero-width characters and
    the other invisible format characters (Unicode category Cf)."""
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) == "Cf":
            return (
                f"must not contain invisible formatting characters (zero-width or "
                f"direction controls); {character_name(char)} at position {position}"
            )
    return None


def mixed_script_words(text: str) -> list[str]:
    """The words of `text` that mix Latin, Cyrillic or Greek letters ("Dеlgado")."""
    from confusable_homoglyphs import categories

    mixed = []
    for word in _WORD.findall(text):
        scripts = {categories.alias(char) for char in word if char.isalpha()}
        if len(scripts & LOOKALIKE_SCRIPTS) > 1:
            mixed.append(word)
    return mixed


def foreign_letters(word: str) -> str:
    """What a reader cannot see in a mixed word: `Latin letters with the Cyrillic letter
    "е" (U+0435)`: the word's main script and the letters of the others."""
    from confusable_homoglyphs import categories

    scripts: dict[str, list[str]] = {}
    for char in word:
        alias = categories.alias(char) if char.isalpha() else ""
        if alias in LOOKALIKE_SCRIPTS:
            scripts.setdefault(alias, []).append(char)
    main = max(scripts, key=lambda name: len(scripts[name]))
    others = [
        f'the {alias.title()} letter "{char}" (U+{ord(char):04X})'
        for alias, chars in scripts.items()
        if alias != main
        for char in dict.fromkeys(chars)
    ]
    return f"{main.title()} letters with {', '.join(others)}"


def mrn_key(mrn: str) -> str:
    """The look-alike key of an MRN: equal keys are MRNs a reader cannot tell apart
    ("MRN0012345", "mrn0O12345", "МRN0012345" with a Cyrillic М)."""
    text = unicodedata.normalize("NFKD", mrn)
    text = "".join(_representative(char) for char in text if not unicodedata.combining(char))
    return "".join(_representative(char) for char in text.casefold())


def _representative(char: str) -> str:
    return _classes().get(char, char)


@cache
def _classes() -> dict[str, str]:
    """Each confusable character -> the smallest character of its class.

    The package lists, for each character, the characters confusable with it; UTS #39
    maps every member of a class to one prototype, so a class is a character, its
    neighbours and theirs. Multi-character look-alikes ("rn" for "m") are left out: the
    key compares character by character.
    """
    from confusable_homoglyphs.confusables import confusables_data

    def single(text: str) -> str | None:
        text = text.replace("\u200e", "").replace("\u200f", "")
        return text if len(text) == 1 else None

    neighbours: dict[str, set[str]] = {}
    for key, homoglyphs in confusables_data.items():
        char = single(key)
        if char is None:
            continue
        found = {c for h in homoglyphs if (c := single(h["c"])) is not None}
        neighbours.setdefault(char, set()).update(found)
        for other in found:
            neighbours.setdefault(other, set()).add(char)
    classes: dict[str, str] = {}
    for char, near in neighbours.items():
        members = {char} | near | {c for n in near for c in neighbours.get(n, ())}
        classes[char] = min(members)
    return classes
