"""Exact values read from a case document in its JSON form, for flags and checks.

Why the JSON form (a dict) and not the pydantic model: the checks before sign-out read
fields of `marrowpath.case/2` (counted ring sideroblasts, `not_performed` studies, stain
patterns, abnormal promyelocytes) as well as `/1` documents, and a dict reads both; a
field a format lacks is simply absent. Every value here is exact (`Fraction`); showing it
is `thresholds.py`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from marrowpath.domain.draft import value_at
from marrowpath.domain.thresholds import Count, exact

Doc = Mapping[str, Any]

BLAST_EQUIVALENTS = ("blasts", "promonocytes", "abnormal_promyelocytes")
ERYTHROID = (
    "pronormoblasts",
    "basophilic_normoblasts",
    "polychromatic_normoblasts",
    "orthochromatic_normoblasts",
)


def as_dict(document: Any) -> dict[str, Any]:
    """The JSON form of a document: a model's `to_json_dict()`, or the mapping itself."""
    if isinstance(document, Mapping):
        return dict(document)
    return dict(document.to_json_dict())


# The value at a dotted path ("aspirate.iron.erythroblasts_counted"), or None: the one
# reader of a document's JSON form by path (`draft.value_at`).
get = value_at


def items(document: Doc, path: str) -> list[Any]:
    """The list at a path, or [] when absent or not a list (a draft may hold anything)."""
    value = get(document, path)
    return list(value) if isinstance(value, list) else []


def mapping(document: Doc, path: str) -> Mapping[str, Any]:
    """The object at a path, or {} when absent or not an object."""
    value = get(document, path)
    return value if isinstance(value, Mapping) else {}


def differential(document: Doc) -> dict[str, int]:
    counts = get(document, "aspirate.differential")
    if not isinstance(counts, Mapping):
        return {}
    return {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}


def counted(document: Doc, names: tuple[str, ...]) -> Count | None:
    """The count of some categories out of all cells counted, or None without a count."""
    counts = differential(document)
    total = sum(counts.values())
    if total <= 0:
        return None
    return Count(sum(counts.get(n, 0) for n in names), total)


def counted_blast_equivalents(document: Any) -> Count | None:
    return counted(as_dict(document), BLAST_EQUIVALENTS)


def counted_plasma_cells(document: Any) -> Count | None:
    return counted(as_dict(document), ("plasma_cells",))


def blast_equivalents(document: Doc) -> tuple[Fraction, Count | None] | None:
    """Marrow blast equivalents: `key_results.blasts_pct` when given, else the count."""
    typed = get(document, "key_results.blasts_pct")
    if isinstance(typed, int | float):
        return exact(typed), None
    count = counted(document, BLAST_EQUIVALENTS)
    return (count.proportion, count) if count else None


def blasts_by_differential(document: Doc) -> Fraction | None:
    count = counted(document, ("blasts",))
    return count.proportion if count else None


def blood_blasts(document: Any) -> Fraction | None:
    value = get(as_dict(document), "clinical.cbc.pb_blasts_pct")
    return exact(value) if isinstance(value, int | float) else None


def stains_named(document: Doc, *names: str) -> list[Mapping[str, Any]]:
    """Stains whose name is one of `names` (compared without case, spaces or hyphens)."""
    wanted = {_stain_key(n) for n in names}
    return [
        s
        for s in items(document, "stains")
        if isinstance(s, Mapping) and _stain_key(str(s.get("name", ""))) in wanted
    ]


def _stain_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def highest_plasma_cells(document: Any) -> tuple[Fraction, str] | None:
    """The highest of the differential, the key result and a CD138 stain, with its source."""
    document = as_dict(document)
    candidates: list[tuple[Fraction, str]] = []
    count = counted(document, ("plasma_cells",))
    if count is not None:
        candidates.append((count.proportion, "differential"))
    typed = get(document, "key_results.plasma_cells_pct")
    if isinstance(typed, int | float):
        source = get(document, "key_results.plasma_cells_source") or "estimate"
        candidates.append((exact(typed), str(source).replace("_", " ")))
    for stain in stains_named(document, "CD138"):
        if isinstance(stain.get("percent"), int | float):
            candidates.append((exact(stain["percent"]), "CD138 immunohistochemistry"))
    return max(candidates, key=lambda c: c[0]) if candidates else None


@dataclass(frozen=True)
class RingSideroblasts:
    """Ring sideroblasts as a share of erythroblasts, counted or typed."""

    value: Fraction
    count: Count | None  # when counted (`/2` ring_sideroblasts of erythroblasts_counted)
    erythroblasts: int | None  # erythroblasts counted, when given


def ring_sideroblasts(document: Any) -> RingSideroblasts | None:
    """Counted when the count and the erythroblasts are both given, else the typed %."""
    iron = get(as_dict(document), "aspirate.iron")
    if not isinstance(iron, Mapping):
        return None
    ring, total = iron.get("ring_sideroblasts"), iron.get("erythroblasts_counted")
    total = total if isinstance(total, int) else None
    if isinstance(ring, int) and total and ring <= total:
        count = Count(ring, total, "erythroblasts")
        return RingSideroblasts(count.proportion, count, total)
    typed = iron.get("ring_sideroblasts_pct")
    if isinstance(typed, int | float):
        return RingSideroblasts(exact(typed), None, total)
    return None


def erythroid_share(document: Doc) -> tuple[Fraction, Fraction] | None:
    """(erythroid cells % of all cells, pronormoblasts % of erythroid cells)."""
    counts = differential(document)
    total = sum(counts.values())
    erythroid = sum(counts.get(n, 0) for n in ERYTHROID)
    if total <= 0 or erythroid <= 0:
        return None
    return (
        Fraction(100 * erythroid, total),
        Fraction(100 * counts.get("pronormoblasts", 0), erythroid),
    )


def age_at_procedure(document: Doc) -> int | None:
    """Whole years from birth to procedure, or None when a date is missing."""
    try:
        born = date.fromisoformat(str(get(document, "patient.birth_date")))
        on = date.fromisoformat(str(get(document, "procedure.date")))
    except ValueError:
        return None
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return max(years, 0)
