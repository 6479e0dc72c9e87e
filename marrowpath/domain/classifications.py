"""The classification pick-lists: WHO-HAEM5 and ICC-2022 terms with ICD-O-3 morphology
codes (`bench.md` section 2), and the search that finds a term by any of its words.

Why a data file (`domain/data/classifications.json`) and not code: the terms, their
codes and the sources they were taken from are reviewed by pathologists, not
programmers, and change with each revision of the classifications; the file names its
sources and says why some codes are left empty (never invented). It ships inside the
package and is read once, like a constant: it is part of the program, not the lab's
data, so no database or setting is involved.

Why words that begin words, in any order: "npm1 aml", "aml npm1" and "acute my npm" all
mean the same entity to a pathologist; British and American spellings fold together
("leukaemia" finds "leukemia"), as do case and accents, so a term is found whichever
classification's spelling is typed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from marrowpath.domain.enums import ClassificationSystem
from marrowpath.domain.text import fold_prose

FAMILIES = ("myeloid", "lymphoid", "plasma cell", "histiocytic", "mastocytosis")
DATA_FILE = "classifications.json"
_CODE = re.compile(r"^\d{4}/[0-3]$")
_WORD = re.compile(r"[^\W_]+")
# British spellings folded to the American ones the ICC uses (and the other way round
# finds the same words): after casefolding, so "Haematological" is covered.
_SPELLINGS = (("ae", "e"), ("tumour", "tumor"), ("smoulder", "smolder"), ("oe", "e"))


@dataclass(frozen=True)
class ClassificationTerm:
    """One entity of one classification, as the editor's pick-list offers it."""

    system: ClassificationSystem
    family: str
    group: str
    term: str
    code: str | None
    aliases: tuple[str, ...] = ()

    @property
    def words(self) -> frozenset[str]:
        """What a query word may begin: the term's, aliases', code's and system's words."""
        return _term_words(self)

    def describe(self) -> str:
        """One line for a list: "AML with NPM1 mutation · WHO-HAEM5 · 9877/3"."""
        code = self.code or "no ICD-O-3 code"
        return f"{self.term} · {self.system.value} · {code}"


@dataclass(frozen=True)
class PickList:
    sources: tuple[str, ...]
    codes_note: str
    terms: tuple[ClassificationTerm, ...]


def words_of(text: str) -> list[str]:
    """The folded words of a text or query: case, accents and British spellings folded,
    punctuation splitting ("PML::RARA" -> "pml", "rara"; "9877/3" -> "9877", "3")."""
    folded = fold_prose(text)
    for british, american in _SPELLINGS:
        folded = folded.replace(british, american)
    return _WORD.findall(folded)


@cache
def _term_words(term: ClassificationTerm) -> frozenset[str]:
    parts = [term.term, *term.aliases, term.code or "", term.system.value]
    return frozenset(word for part in parts for word in words_of(part))


def search(
    pick_list: PickList,
    query: str,
    *,
    system: ClassificationSystem | None = None,
    limit: int | None = None,
) -> list[ClassificationTerm]:
    """The terms of which every query word begins a word, best first.

    Best: more query words that are whole words of the term ("mds" ranks the MDS
    entities before "MDS/MPN..." only through their aliases' whole words), then the
    shorter term (the entity before its subtypes), then the file's order (families in
    the classifications' own order). An empty query lists every term in file order.
    """
    wanted = words_of(query)
    found: list[tuple[int, int, int, ClassificationTerm]] = []
    for position, term in enumerate(pick_list.terms):
        if system is not None and term.system != system:
            continue
        words = term.words
        if all(any(word.startswith(part) for word in words) for part in wanted):
            whole = sum(1 for part in wanted if part in words)
            # ties: the shorter term first ("MDS with low blasts" before its subtypes)
            length = len(words_of(term.term)) if wanted else 0
            found.append((-whole, length, position, term))
    found.sort(key=lambda item: item[:3])
    terms = [item[3] for item in found]
    return terms[:limit] if limit is not None else terms


class PickListError(ValueError):
    """The pick-list file breaks its own format (a packaging or editing mistake)."""


def parse_pick_list(text: str) -> PickList:
    """The pick-list from the JSON text; a malformed entry is named by its position."""
    data = json.loads(text)
    if data.get("format") != "marrowpath.classifications/1":
        raise PickListError("not a marrowpath.classifications/1 file")
    terms: list[ClassificationTerm] = []
    for number, entry in enumerate(data["terms"], start=1):
        where = f"terms[{number}] {entry.get('term', '')!r}"
        try:
            system = ClassificationSystem(entry["system"])
        except (KeyError, ValueError):
            raise PickListError(f"{where}: unknown system {entry.get('system')!r}") from None
        if system == ClassificationSystem.OTHER:
            raise PickListError(f"{where}: 'other' is free text, not a pick-list system")
        if entry.get("family") not in FAMILIES:
            raise PickListError(f"{where}: family must be one of {', '.join(FAMILIES)}")
        code = entry.get("code") or None
        if code is not None and not _CODE.match(code):
            raise PickListError(f"{where}: code {code!r} is not an ICD-O-3 morphology code")
        if not str(entry.get("term", "")).strip():
            raise PickListError(f"{where}: the term is empty")
        terms.append(
            ClassificationTerm(
                system=system,
                family=entry["family"],
                group=str(entry.get("group", "")),
                term=entry["term"],
                code=code,
                aliases=tuple(entry.get("aliases", ())),
            )
        )
    return PickList(
        sources=tuple(data["sources"]), codes_note=str(data.get("codes", "")), terms=tuple(terms)
    )


@cache
def pick_list() -> PickList:
    """The packaged pick-list (read once; it is part of the program)."""
    text = resources.files("marrowpath.domain").joinpath("data", DATA_FILE).read_text("utf-8")
    return parse_pick_list(text)
