"""The building blocks of a demo case document: header, aspirate, core, stains, studies, diagnosis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from functools import cached_property, lru_cache

from marrowpath.demo.model import Json
from marrowpath.domain import derived
from marrowpath.domain.case import FORMAT
from marrowpath.domain.enums import DifferentialCategory

# --- Building blocks of a document -----------------------------------------------------

FULL_WORKUP = (
    "aspirate_smear",
    "clot_section",
    "core_biopsy",
    "peripheral_blood_smear",
    "flow_cytometry_sample",
    "cytogenetics_sample",
    "molecular_sample",
)
MORPHOLOGY = ("aspirate_smear", "clot_section", "core_biopsy", "peripheral_blood_smear")
WITH_FLOW = (*MORPHOLOGY, "flow_cytometry_sample")
WITH_GENETICS = (*WITH_FLOW, "cytogenetics_sample")
STAGING = (*MORPHOLOGY, "touch_imprint", "flow_cytometry_sample")
CORE_ONLY = ("core_biopsy", "touch_imprint", "peripheral_blood_smear", "molecular_sample")

_LABS = {
    "flow_cytometry": "Flow cytometry laboratory",
    "karyotype": "Cytogenetics laboratory",
    "fish": "Cytogenetics laboratory",
    "molecular": "Molecular diagnostics laboratory",
    "other": "Histocompatibility laboratory",
}
_STUDY_NAMES = {
    "flow_cytometry": "flow cytometry",
    "karyotype": "karyotype",
    "fish": "FISH",
    "molecular": "molecular studies",
    "other": "chimerism",
}

_CATEGORIES = [category.value for category in DifferentialCategory]
# Relative shares of the differential categories (they need not add up to 100), as
# tuples so that `differential_counts` can cache its arithmetic.
Profile = tuple[tuple[str, float], ...]


def _profile(shares: Mapping[str, float]) -> Profile:
    return tuple(shares.items())


NORMAL = _profile(
    {
        "blasts": 1.2,
        "promyelocytes": 3.0,
        "myelocytes": 9.0,
        "metamyelocytes": 10.0,
        "bands": 12.0,
        "neutrophils": 17.0,
        "eosinophils": 2.6,
        "basophils": 0.4,
        "monocytes": 2.4,
        "lymphocytes": 12.0,
        "plasma_cells": 1.0,
        "pronormoblasts": 0.8,
        "basophilic_normoblasts": 2.6,
        "polychromatic_normoblasts": 16.0,
        "orthochromatic_normoblasts": 5.4,
        "histiocytes": 0.6,
    }
)
LEUKEMIC = _profile(
    {
        "promyelocytes": 2.0,
        "myelocytes": 4.0,
        "metamyelocytes": 4.0,
        "bands": 5.0,
        "neutrophils": 8.0,
        "eosinophils": 1.0,
        "monocytes": 4.0,
        "lymphocytes": 14.0,
        "plasma_cells": 1.2,
        "pronormoblasts": 0.4,
        "basophilic_normoblasts": 1.6,
        "polychromatic_normoblasts": 9.0,
        "orthochromatic_normoblasts": 3.0,
        "histiocytes": 0.4,
    }
)
DYSPLASTIC = _profile(
    {
        "promyelocytes": 4.0,
        "myelocytes": 9.0,
        "metamyelocytes": 7.0,
        "bands": 6.0,
        "neutrophils": 10.0,
        "eosinophils": 2.0,
        "basophils": 0.4,
        "monocytes": 3.0,
        "lymphocytes": 10.0,
        "plasma_cells": 1.2,
        "pronormoblasts": 1.6,
        "basophilic_normoblasts": 5.0,
        "polychromatic_normoblasts": 24.0,
        "orthochromatic_normoblasts": 9.0,
        "histiocytes": 0.4,
    }
)
REGENERATING = _profile(
    {
        "promyelocytes": 6.0,
        "myelocytes": 12.0,
        "metamyelocytes": 8.0,
        "bands": 8.0,
        "neutrophils": 10.0,
        "eosinophils": 2.0,
        "monocytes": 3.0,
        "lymphocytes": 18.0,
        "plasma_cells": 2.0,
        "pronormoblasts": 1.6,
        "basophilic_normoblasts": 4.0,
        "polychromatic_normoblasts": 18.0,
        "orthochromatic_normoblasts": 6.0,
        "histiocytes": 1.4,
    }
)
CHRONIC_MYELOID = _profile(
    {
        "promyelocytes": 5.0,
        "myelocytes": 22.0,
        "metamyelocytes": 14.0,
        "bands": 15.0,
        "neutrophils": 18.0,
        "eosinophils": 5.0,
        "basophils": 4.0,
        "monocytes": 1.5,
        "lymphocytes": 3.0,
        "plasma_cells": 0.3,
        "pronormoblasts": 0.2,
        "basophilic_normoblasts": 1.0,
        "polychromatic_normoblasts": 5.0,
        "orthochromatic_normoblasts": 2.0,
    }
)
APLASTIC = _profile(
    {
        "promyelocytes": 1.0,
        "myelocytes": 4.0,
        "metamyelocytes": 5.0,
        "bands": 7.0,
        "neutrophils": 12.0,
        "eosinophils": 1.0,
        "mast_cells": 1.0,
        "monocytes": 2.0,
        "lymphocytes": 45.0,
        "plasma_cells": 6.0,
        "basophilic_normoblasts": 1.0,
        "polychromatic_normoblasts": 8.0,
        "orthochromatic_normoblasts": 3.0,
        "histiocytes": 2.0,
    }
)


@dataclass(frozen=True)
class CaseContext:
    """Who, when and where: the parts of a case that do not depend on the diagnosis."""

    accession: str
    day: date
    patient: Mapping[str, str]
    provider: Mapping[str, str]
    operator: str
    laterality: str = "right"
    core_mm: float = 18.0
    copy_to: tuple[Mapping[str, str], ...] = ()

    @cached_property
    def age(self) -> int:
        return derived.age_in_years(date.fromisoformat(self.patient["birth_date"]), self.day)

    @property
    def karyotype_sex(self) -> str:
        return "XY" if self.patient["sex"] == "male" else "XX"

    def on(self, days_after: int) -> str:
        """The date `days_after` the procedure, as a case document writes it."""
        return (self.day + timedelta(days=days_after)).isoformat()


def differential_counts(total: int, profile: Profile, **fixed: int) -> dict[str, int]:
    """Counts adding up to exactly `total`: the `fixed` categories as given, the rest shared
    out by `profile` (largest remainder), so the percentages quoted in the diagnosis match
    what the report will compute from the counts."""
    return dict(_shared_counts(total, profile, tuple(fixed.items())))


@lru_cache(maxsize=8192)
def _shared_counts(
    total: int, profile: Profile, fixed: tuple[tuple[str, int], ...]
) -> tuple[tuple[str, int], ...]:
    """The arithmetic of `differential_counts`, cached: bulk cases repeat the same few inputs."""
    given = dict(fixed)
    rest = total - sum(given.values())
    shares = {k: w for k, w in profile if k not in given}
    scale = rest / sum(shares.values())
    exact = {k: w * scale for k, w in shares.items()}
    counts = {k: int(v) for k, v in exact.items()}
    short = rest - sum(counts.values())
    for k in sorted(exact, key=lambda k: counts[k] - exact[k])[:short]:
        counts[k] += 1
    counts.update(given)
    return tuple((k, counts[k]) for k in _CATEGORIES if counts.get(k))


def percent_text(count: int, total: int) -> str:
    """A percentage as the report shows it (one decimal, rounded half up)."""
    value = derived.percent(count, total)
    if value is None:
        raise ValueError("a demo differential counts at least one cell")
    return str(value)


def me_ratio_of(differential: Mapping[str, int]) -> str:
    """The M:E ratio as the report prints it (the lab's default rule, monocytes excluded)."""
    myeloid = sum(differential.get(c.value, 0) for c in derived.MYELOID)
    erythroid = sum(differential.get(c.value, 0) for c in derived.ERYTHROID)
    return str(derived.round_half_up(Fraction(myeloid, erythroid)))


def cellularity_words(ctx: CaseContext, cellularity: int) -> str:
    """'Hypocellular', 'Normocellular' or 'Hypercellular' by the lab's default rule, so the
    words in the diagnosis agree with the verdict the report prints."""
    verdict = derived.assess_cellularity(cellularity, ctx.age).verdict
    if verdict is None:  # no age-adjusted range under 1 year: the demo has no infants
        raise ValueError(f"demo patients are at least 1 year old, got age {ctx.age}")
    return verdict.capitalize()


def order_numbers(day: date, serial: int) -> dict[str, str]:
    """The placer order and visit numbers of the order behind a case."""
    iso = day.isoformat()
    return {
        "placer_order_number": f"ORD-{iso.replace('-', '')}-{serial % 10000:04d}",
        "visit_number": f"V{iso[2:4]}{serial:06d}",
    }


def received_at(day: date, serial: int) -> str:
    """An afternoon arrival in the lab's local time."""
    return f"{day.isoformat()}T{12 + serial % 6:02d}:{serial * 13 % 60:02d}:00{_utc_offset(day)}"


@lru_cache(maxsize=4096)
def _utc_offset(day: date) -> str:
    """US Eastern time, with daylight saving from the second Sunday of March to the first
    Sunday of November, so a time reads as the local clock showed it."""
    dst = _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
    return "-04:00" if dst else "-05:00"


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _serial(accession: str) -> int:
    return int(accession.rsplit("-", 1)[1])


def blood_count(ctx: CaseContext, **values: float) -> Json:
    return {"date": ctx.day.isoformat(), **values}


def header_section(
    ctx: CaseContext,
    *,
    indication: str,
    detail: str,
    history: str | None,
    cbc: Json,
    smear: str,
    specimens: Sequence[str] = FULL_WORKUP,
    sedation: str = "local_only",
) -> Json:
    """The top of a document, down to `received_at`."""
    serial = _serial(ctx.accession)
    iso = ctx.day.isoformat()
    doc: Json = {
        "format": FORMAT,
        "accession": ctx.accession,
        "patient": dict(ctx.patient),
        "ordering_provider": dict(ctx.provider),
    }
    if ctx.copy_to:
        doc["copy_to"] = [dict(provider) for provider in ctx.copy_to]
    doc["order"] = order_numbers(ctx.day, serial)
    clinical: Json = {"indication": indication, "indication_detail": detail}
    if history:
        clinical["history"] = history
    clinical["cbc"] = cbc
    clinical["blood_smear"] = smear
    doc["clinical"] = clinical
    doc["procedure"] = {
        "date": iso,
        "site": "posterior_iliac_crest",
        "laterality": ctx.laterality,
        "operator": ctx.operator,
        "sedation": sedation,
        "complications": ["none"],
        "specimens": list(specimens),
    }
    doc["received_at"] = received_at(ctx.day, serial)
    return doc


def aspirate_section(
    differential: dict[str, int] | None,
    *,
    cellularity: str,
    megakaryocytes: str,
    morphology: Json,
    quality: str = "adequate",
    particles: str = "present",
    dysplasia: Json | None = None,
    auer_rods: bool | None = None,
    iron: Json | None = None,
    comment: str | None = None,
) -> Json:
    aspirate: Json = {"quality": quality, "particles": particles, "cellularity": cellularity}
    if differential:
        aspirate["differential"] = differential
        aspirate["differential_source"] = "aspirate_smear"
    aspirate["megakaryocyte_number"] = megakaryocytes
    aspirate["morphology"] = morphology
    if dysplasia:
        aspirate["dysplasia"] = dysplasia
    if auer_rods is not None:
        aspirate["auer_rods"] = auer_rods
    if iron:
        aspirate["iron"] = iron
    if comment:
        aspirate["comment"] = comment
    return aspirate


def iron_section(grade: int, ring_sideroblasts: float = 0, comment: str | None = None) -> Json:
    iron: Json = {
        "storage_grade": grade,
        "ring_sideroblasts_pct": ring_sideroblasts,
        "erythroblasts_counted": 100,
    }
    if comment:
        iron["comment"] = comment
    return iron


def core_section(
    ctx: CaseContext,
    *,
    cellularity: int,
    fibrosis: str,
    megakaryocyte_number: str,
    megakaryocytes: str,
    infiltrate: Json | None = None,
    bone: str = "Trabeculae unremarkable.",
    comment: str | None = None,
    collagen: bool = False,
    osteosclerosis: bool = False,
) -> Json:
    adequate = ctx.core_mm >= 15
    core: Json = {
        "length_mm": ctx.core_mm,
        "adequacy": "adequate" if adequate else "suboptimal",
    }
    if not adequate:
        core["adequacy_comment"] = "Short core; interpret cellularity with caution."
    core |= {
        "cellularity_pct": cellularity,
        "megakaryocyte_number": megakaryocyte_number,
        "megakaryocytes": megakaryocytes,
        "fibrosis_grade": fibrosis,
        "collagen": collagen,
        "osteosclerosis": osteosclerosis,
        "infiltrate": infiltrate or {"patterns": ["none"]},
        "bone": bone,
    }
    if comment:
        core["comment"] = comment
    return core


def infiltrate_section(pattern: str, percent: float, description: str) -> Json:
    """An infiltrate of one pattern, or several joined by "+" ("nodular+interstitial")."""
    return {"patterns": pattern.split("+"), "percent": percent, "description": description}


def stain_result(
    name: str,
    result: str,
    percent: float | None = None,
    pattern: str | None = None,
    comment: str | None = None,
) -> Json:
    stain: Json = {"name": name, "result": result}
    if percent is not None:
        stain["percent"] = percent
    if pattern:
        stain["pattern"] = pattern
    if comment:
        stain["comment"] = comment
    return stain


def reticulin_stain(grade: str) -> Json:
    if grade == "MF-0":
        return stain_result(
            "Reticulin", "negative", comment="No increase in reticulin fibres (MF-0)."
        )
    return stain_result("Reticulin", "positive", comment=f"{grade}.")


def study_result(ctx: CaseContext, kind: str, result: str, days_after: int) -> Json:
    """A final ancillary result reported `days_after` the procedure (turnaround matters:
    studies reported after sign-out become pending studies and addenda)."""
    return {
        "kind": kind,
        "status": "final",
        "result": result,
        "performed_by": _LABS[kind],
        "reported_on": ctx.on(days_after),
    }


def diagnosis_section(
    lines: list[str],
    *,
    who: tuple[str, str | None] | None = None,
    icc: str | None = None,
    other: str | None = None,
    comment: str | None = None,
    recommendations: str | None = None,
    plain: str | None = None,
) -> Json:
    """The diagnosis; ICD-O-3 codes go with the WHO-HAEM5 term."""
    diagnosis: Json = {"lines": lines}
    classification: list[Json] = []
    if who:
        term, code = who
        classification.append({"system": "WHO-HAEM5", "term": term, "code": code})
    if icc:
        classification.append({"system": "ICC-2022", "term": icc})
    if other:
        classification.append({"system": "other", "term": other})
    if classification:
        diagnosis["classification"] = classification
    if comment:
        diagnosis["comment"] = comment
    if recommendations:
        diagnosis["recommendations"] = recommendations
    if plain:
        diagnosis["plain_language"] = plain
    return diagnosis


def case_document(
    header: Json,
    *,
    aspirate: Json | None,
    core: Json | None,
    diagnosis: Json,
    key_results: Json | None = None,
    stains: list[Json] | None = None,
    ancillary: list[Json] | None = None,
) -> Json:
    """Put the sections together in the order of the case format."""
    doc = header
    if aspirate:
        doc["aspirate"] = aspirate
    if core:
        doc["core"] = core
    if key_results:
        doc["key_results"] = key_results
    if stains:
        doc["stains"] = stains
    if ancillary:
        doc["ancillary"] = ancillary
    doc["diagnosis"] = diagnosis
    return doc


def hold_back(doc: Json, cutoff: date) -> list[Json]:
    """Make every study reported after `cutoff` (the sign-out date, or today for an open
    case) a pending study, and return the results held back, which is what an addendum
    later delivers. The diagnosis comment then says what is pending, as ICSH asks."""
    held: list[Json] = []
    pending_names: list[str] = []
    for index, study in enumerate(doc.get("ancillary", ())):
        if study["status"] == "final" and date.fromisoformat(study["reported_on"]) > cutoff:
            held.append(study)
            doc["ancillary"][index] = {
                "kind": study["kind"],
                "status": "pending",
                "performed_by": study["performed_by"],
            }
            name = _STUDY_NAMES[study["kind"]]
            if name not in pending_names:
                pending_names.append(name)
    if pending_names:
        note = f"Pending: {', '.join(pending_names)}; results will be reported in an addendum."
        diagnosis = doc["diagnosis"]
        diagnosis["comment"] = f"{diagnosis['comment']} {note}" if "comment" in diagnosis else note
    return held


def addendum_text(results: Sequence[Json]) -> str:
    """A plain addendum for results that arrived after sign-out."""
    parts = [f"{_STUDY_NAMES[r['kind']].capitalize()}: {r['result']}" for r in results]
    return (
        "Results of studies pending at sign-out. "
        + " ".join(parts)
        + " The diagnosis is unchanged."
    )
