"""Demo data: realistic bone marrow cases for demonstrations, training and performance work.

`marrowpath demo` loads these into a database; tests and benchmarks use them without one,
which is why this module is pure Python (stdlib and `marrowpath.domain` only). It has two
sources of cases:

* `showcase_cases`: about thirty hand-written cases that a pathologist would recognise,
  in every lifecycle state, with patients followed through treatment and names in
  several scripts.
* `bulk_cases`: a fast, deterministic stream of plausible cases built from the same
  diagnosis templates, for filling a database with 100,000 cases.

Every document is a complete `marrowpath.case/1` dict that `parse_case` accepts; what
happens to it afterwards (signing, amendment, addendum, withdrawal, cancellation) is a list
of `DemoStep`s for the loader to replay through the ordinary services, so the demo data
carries real versions, signatures and audit events.

Everyone here is fictional: patients, providers (their NPI-like ids deliberately fail the
NPI check digit), users and the laboratory. Every demo user signs in with the password
`DEMO_PASSWORD` ("marrow-demo-1").

Dates are relative to the `today` the caller passes (cases fall within the two years
before it), but birth dates are fixed: a patient's identity must not depend on the day
the demo was loaded, or a second load would clash with the first on the MRN.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from typing import Any, Literal, NotRequired, TypedDict

from marrowpath.domain.case import FORMAT
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.lifecycle import AmendmentReason, Status

Json = dict[str, Any]
StepAction = Literal["sign_preliminary", "sign_final", "amend", "addendum", "withdraw", "cancel"]


@dataclass(frozen=True)
class DemoStep:
    """One thing that happens to a demo case after it is created as a draft."""

    action: StepAction
    document: Json | None = None  # "amend": the full corrected case document
    reason_category: str | None = None  # "amend": an AmendmentReason value
    reason: str | None = None  # amend, withdraw, cancel
    text: str | None = None  # addendum text
    ancillary: list[Json] | None = None  # addendum: results replacing pending studies
    signer: str | None = None  # username of the pathologist who signs this step


_STATUS_AFTER: dict[str, Status] = {
    "sign_preliminary": Status.PRELIMINARY,
    "sign_final": Status.FINAL,
    "amend": Status.AMENDED,
    "addendum": Status.APPENDED,
    "withdraw": Status.ENTERED_IN_ERROR,
    "cancel": Status.CANCELLED,
}


@dataclass(frozen=True)
class DemoCase:
    """A case document and its history, ready to be replayed into a database."""

    document: Json
    steps: tuple[DemoStep, ...]
    assigned_pathologist: str
    resident: str | None = None

    @property
    def status(self) -> Status:
        """The status the case ends in once every step is replayed."""
        return _STATUS_AFTER[self.steps[-1].action] if self.steps else Status.DRAFT


# --- People and the laboratory ---------------------------------------------------------


class DemoUser(TypedDict):
    username: str
    full_name: str
    role: str
    credentials: str | None
    password: str
    # the clinicians order under a demo provider's id: their "My patients"
    provider_id: NotRequired[str]


DEMO_PASSWORD = "marrow-demo-1"


def _user(username: str, full_name: str, role: str, credentials: str | None) -> DemoUser:
    return DemoUser(
        username=username,
        full_name=full_name,
        role=role,
        credentials=credentials,
        password=DEMO_PASSWORD,
    )


DEMO_USERS: list[DemoUser] = [
    _user("admin", "Morgan Ellis", "admin", None),
    _user("achen", "Amelia Chen", "pathologist", "MD"),
    _user("cokafor", "Chinedu Okafor", "pathologist", "MD"),
    _user("slindqvist", "Sofia Lindqvist", "pathologist", "MD"),
    _user("twojcik", "Tomasz Wójcik", "resident", "MD"),
    _user("rkim", "Rosa Kim", "technologist", "MLS(ASCP)"),
    DemoUser(**_user("praman", "Priya Raman", "clinician", "MD"), provider_id="1497758547"),
    DemoUser(**_user("sotieno", "Samuel Otieno", "clinician", "MD"), provider_id="1760443120"),
]
DEMO_PATHOLOGISTS: list[str] = [u["username"] for u in DEMO_USERS if u["role"] == "pathologist"]
_RESIDENT = "twojcik"

DEMO_LAB: dict[str, str] = {
    "name": "Lakeshore University Hospital, Hematopathology Laboratory",
    "address": "2400 Lakeshore Avenue, Pathology Building C, Room 3.120, Millbrook, OH 43999",
    "phone": "(555) 014-2270",
    "clia_id": "36D0987654",
    "director": "Amelia Chen, MD",
}


def _provider(given: str, family: str, title: str, npi: str, organization: str) -> dict[str, str]:
    return {
        "name": f"{given} {family}, {title}",
        "family_name": family,
        "given_names": given,
        "id": npi,
        "organization": organization,
    }


# The ids look like NPIs but fail the NPI (Luhn) check digit, so none is a real person's.
DEMO_PROVIDERS: list[dict[str, str]] = [
    _provider("Priya", "Raman", "MD", "1497758547", "Hematology Clinic"),
    _provider("Samuel", "Otieno", "MD", "1760443120", "Hematology Clinic"),
    _provider("Elena", "Vasquez", "MD", "1326091875", "Lymphoma Program"),
    _provider("Marcus", "Feldman", "MD", "1588762031", "Blood and Marrow Transplant Program"),
    _provider("Aiko", "Tanaka", "MD", "1942506318", "Myeloma Program"),
    _provider("Rachel", "Adeyemi", "MD", "1053927460", "Internal Medicine"),
    _provider("Thomas", "Berg", "DO", "1215680397", "Medical Oncology"),
]
_HEMATOLOGY, _HEMATOLOGY_2, _LYMPHOMA, _TRANSPLANT, _MYELOMA, _MEDICINE, _ONCOLOGY = range(7)

_OPERATORS = (
    "Hannah Whitfield, NP",
    "Daniel Reyes, PA-C",
    "Maya Goldstein, MD",
    "Oluwaseun Bakare, NP",
)


# --- Building blocks of a document -----------------------------------------------------

_FULL_WORKUP = (
    "aspirate_smear",
    "clot_section",
    "core_biopsy",
    "peripheral_blood_smear",
    "flow_cytometry_sample",
    "cytogenetics_sample",
    "molecular_sample",
)
_MORPHOLOGY = ("aspirate_smear", "clot_section", "core_biopsy", "peripheral_blood_smear")
_WITH_FLOW = (*_MORPHOLOGY, "flow_cytometry_sample")
_WITH_GENETICS = (*_WITH_FLOW, "cytogenetics_sample")
_STAGING = (*_MORPHOLOGY, "touch_imprint", "flow_cytometry_sample")
_CORE_ONLY = ("core_biopsy", "touch_imprint", "peripheral_blood_smear", "molecular_sample")

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
_MYELOID = (
    "blasts",
    "promyelocytes",
    "myelocytes",
    "metamyelocytes",
    "bands",
    "neutrophils",
    "eosinophils",
    "basophils",
)
_ERYTHROID = (
    "pronormoblasts",
    "basophilic_normoblasts",
    "polychromatic_normoblasts",
    "orthochromatic_normoblasts",
)

# Relative shares of the differential categories (they need not add up to 100), as
# tuples so that `_differential` can cache its arithmetic.
Profile = tuple[tuple[str, float], ...]


def _profile(shares: Mapping[str, float]) -> Profile:
    return tuple(shares.items())


_NORMAL = _profile(
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
_LEUKEMIC = _profile(
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
_DYSPLASTIC = _profile(
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
_REGENERATING = _profile(
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
_CHRONIC_MYELOID = _profile(
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
_APLASTIC = _profile(
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
class _Ctx:
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
        born = date.fromisoformat(self.patient["birth_date"])
        before_birthday = (self.day.month, self.day.day) < (born.month, born.day)
        return self.day.year - born.year - before_birthday

    @property
    def karyotype_sex(self) -> str:
        return "XY" if self.patient["sex"] == "male" else "XX"

    def on(self, days_after: int) -> str:
        """The date `days_after` the procedure, as a case document writes it."""
        return (self.day + timedelta(days=days_after)).isoformat()


def _differential(total: int, profile: Profile, **fixed: int) -> dict[str, int]:
    """Counts adding up to exactly `total`: the `fixed` categories as given, the rest shared
    out by `profile` (largest remainder), so the percentages quoted in the diagnosis match
    what the report will compute from the counts."""
    return dict(_shared_counts(total, profile, tuple(fixed.items())))


@lru_cache(maxsize=8192)
def _shared_counts(
    total: int, profile: Profile, fixed: tuple[tuple[str, int], ...]
) -> tuple[tuple[str, int], ...]:
    """The arithmetic of `_differential`, cached: bulk cases repeat the same few inputs."""
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


def _pct(count: float, total: float) -> str:
    """A percentage as the report shows it: one decimal, rounded half up."""
    value = Decimal(str(count)) * 100 / Decimal(str(total))
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _me_ratio(differential: Mapping[str, int]) -> str:
    myeloid = sum(differential.get(k, 0) for k in _MYELOID)
    erythroid = sum(differential.get(k, 0) for k in _ERYTHROID)
    return str((Decimal(myeloid) / Decimal(erythroid)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _for_age(ctx: _Ctx, cellularity: int) -> str:
    """'Hypocellular', 'Normocellular' or 'Hypercellular' by the lab's default rule, so the
    words in the diagnosis agree with the verdict the report prints."""
    low = max(5, 100 - ctx.age - 10)
    high = min(95, 100 - ctx.age + 10)
    if cellularity < low:
        return "Hypocellular"
    if cellularity > high:
        return "Hypercellular"
    return "Normocellular"


def _received_at(day: date, serial: int) -> str:
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


def _cbc(ctx: _Ctx, **values: float) -> Json:
    return {"date": ctx.day.isoformat(), **values}


def _header(
    ctx: _Ctx,
    *,
    indication: str,
    detail: str,
    history: str | None,
    cbc: Json,
    smear: str,
    specimens: Sequence[str] = _FULL_WORKUP,
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
    doc["order"] = {
        "placer_order_number": f"ORD-{iso.replace('-', '')}-{serial % 10000:04d}",
        "visit_number": f"V{iso[2:4]}{serial:06d}",
    }
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
    doc["received_at"] = _received_at(ctx.day, serial)
    return doc


def _aspirate(
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


def _iron(grade: int, ring_sideroblasts: float = 0, comment: str | None = None) -> Json:
    iron: Json = {
        "storage_grade": grade,
        "ring_sideroblasts_pct": ring_sideroblasts,
        "erythroblasts_counted": 100,
    }
    if comment:
        iron["comment"] = comment
    return iron


def _core(
    ctx: _Ctx,
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
        "infiltrate": infiltrate or {"pattern": "none"},
        "bone": bone,
    }
    if comment:
        core["comment"] = comment
    return core


def _infiltrate(pattern: str, percent: float, description: str) -> Json:
    return {"pattern": pattern, "percent": percent, "description": description}


def _stain(
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


def _reticulin(grade: str) -> Json:
    if grade == "MF-0":
        return _stain("Reticulin", "negative", comment="No increase in reticulin fibres (MF-0).")
    return _stain("Reticulin", "positive", comment=f"{grade}.")


def _study(ctx: _Ctx, kind: str, result: str, days_after: int) -> Json:
    """A final ancillary result reported `days_after` the procedure (turnaround matters:
    studies reported after sign-out become pending studies and addenda)."""
    return {
        "kind": kind,
        "status": "final",
        "result": result,
        "performed_by": _LABS[kind],
        "reported_on": ctx.on(days_after),
    }


def _diagnosis(
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


def _case(
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


def _hold_back(doc: Json, cutoff: date) -> list[Json]:
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


def _addendum_text(results: Sequence[Json]) -> str:
    """A plain addendum for results that arrived after sign-out."""
    parts = [f"{_STUDY_NAMES[r['kind']].capitalize()}: {r['result']}" for r in results]
    return (
        "Results of studies pending at sign-out. "
        + " ".join(parts)
        + " The diagnosis is unchanged."
    )


def _normal_karyotype(ctx: _Ctx) -> str:
    return f"46,{ctx.karyotype_sex}[20]. Normal {ctx.patient['sex']} karyotype."


_NORMAL_MORPHOLOGY: Json = {
    "erythroid": "Normoblastic maturation; no megaloblastic or dysplastic change.",
    "granulocytic": "Orderly maturation to segmented neutrophils.",
    "megakaryocytic": "Normal morphology.",
    "lymphoid": "Scattered small mature lymphocytes.",
}


# --- Diagnosis templates ---------------------------------------------------------------
# Each returns a fresh document (no shared objects), with the numbers in the text derived
# from the counts so the words and the computed values cannot disagree.

NormalSetting = Literal["anemia", "thrombocytopenia", "donor"]


def _normal_marrow(
    ctx: _Ctx,
    *,
    setting: NormalSetting,
    cellularity: int,
    iron_grade: int = 2,
    history: str | None = None,
) -> Json:
    """A marrow without a neoplasm: the commonest result of a cytopenia work-up."""
    male = ctx.patient["sex"] == "male"
    megakaryocytes = "adequate"
    mega_text = "Normal number and morphology, scattered singly."
    ancillary: list[Json] = []
    verdict = _for_age(ctx, cellularity)
    if setting == "donor":
        header = _header(
            ctx,
            indication="donor_evaluation",
            detail="Evaluation as an HLA-matched sibling donor for allogeneic stem cell "
            "transplantation (institutional donor protocol).",
            history=history or "Healthy; no prior hematologic disease.",
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=14.8 if male else 13.5,
                wbc_10e9_l=6.4,
                anc_10e9_l=3.8,
                alc_10e9_l=2.0,
                monocytes_10e9_l=0.4,
                platelets_10e9_l=268,
                mcv_fl=89,
            ),
            smear="No abnormality.",
            specimens=_WITH_GENETICS,
            sedation="conscious_sedation",
        )
        ancillary = [
            _study(
                ctx,
                "flow_cytometry",
                "No abnormal myeloid, B-cell, T-cell or plasma cell "
                "population. CD34-positive cells 0.9% of events.",
                1,
            ),
            _study(ctx, "karyotype", _normal_karyotype(ctx), 9),
        ]
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis and orderly maturation.",
            "No morphologic or immunophenotypic abnormality identified.",
        ]
        plain = (
            "Your bone marrow is healthy. It makes normal amounts of all types of blood "
            "cells, and we found no abnormality."
        )
    elif setting == "thrombocytopenia":
        header = _header(
            ctx,
            indication="abnormal_blood_counts",
            detail="Isolated thrombocytopenia for three months with a partial response to "
            "prednisone; exclude a primary marrow disorder.",
            history=history or "No prior hematologic disease. No new medications.",
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=14.1 if male else 13.1,
                wbc_10e9_l=6.8,
                anc_10e9_l=4.2,
                alc_10e9_l=1.9,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=31,
                mcv_fl=90,
            ),
            smear="Thrombocytopenia with occasional large platelets; red and white cells "
            "unremarkable.",
            specimens=_MORPHOLOGY,
        )
        megakaryocytes = "increased"
        mega_text = (
            "Increased, with a full range of maturation including young forms with "
            "less lobulated nuclei; no clusters or dysplastic forms."
        )
        lines = [
            f"{verdict} marrow ({cellularity}%) with increased megakaryocytes and otherwise "
            "unremarkable trilineage hematopoiesis.",
            "No evidence of a myelodysplastic or other neoplastic process.",
            "The findings are consistent with peripheral platelet destruction, such as "
            "immune thrombocytopenia, in the appropriate clinical setting.",
        ]
        plain = (
            "Your bone marrow makes plenty of the cells that produce platelets. The low "
            "platelet count is most likely caused by platelets being used up or removed "
            "in the blood stream, not by a marrow disease."
        )
    else:
        header = _header(
            ctx,
            indication="abnormal_blood_counts",
            detail="Anemia for six months, not explained by the routine work-up.",
            history=history or "Osteoarthritis; occasional NSAID use.",
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=9.4,
                wbc_10e9_l=5.9,
                anc_10e9_l=3.6,
                alc_10e9_l=1.6,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=241,
                mcv_fl=79 if iron_grade == 0 else 88,
                reticulocytes_10e9_l=31,
            ),
            smear="Mild anisopoikilocytosis with occasional pencil cells; white cells and "
            "platelets unremarkable.",
            specimens=_MORPHOLOGY,
        )
        if iron_grade == 0:
            iron_line = "Absent storage iron (Gale grade 0), consistent with iron deficiency."
            plain_end = "The marrow has no stored iron, so the anemia is most likely caused by iron deficiency."
        elif iron_grade >= 4:
            iron_line = (
                f"Increased storage iron (Gale grade {iron_grade}) with few "
                "sideroblasts, a pattern seen in anemia of inflammation."
            )
            plain_end = "The pattern of iron suggests the anemia is linked to inflammation elsewhere in the body."
        else:
            iron_line = f"Adequate storage iron (Gale grade {iron_grade}); no ring sideroblasts."
            plain_end = "Your doctor will look for a cause of the anemia outside the marrow."
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis and no increase "
            "in blasts.",
            iron_line,
            "No evidence of a myelodysplastic or other neoplastic process.",
        ]
        plain = (
            "Your bone marrow looks healthy and we found no sign of leukemia or another "
            f"marrow disease. {plain_end}"
        )
    differential = _differential(500, _NORMAL, blasts=5)
    return _case(
        header,
        aspirate=_aspirate(
            differential,
            cellularity=verdict.lower(),
            megakaryocytes=megakaryocytes,
            morphology=dict(_NORMAL_MORPHOLOGY, megakaryocytic=mega_text),
            iron=_iron(iron_grade),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number=megakaryocytes,
            megakaryocytes=mega_text,
        ),
        stains=[_reticulin("MF-0")],
        ancillary=ancillary,
        diagnosis=_diagnosis(lines, plain=plain),
    )


AmlKind = Literal["npm1", "mr", "unclassified"]


def _aml(
    ctx: _Ctx,
    *,
    kind: AmlKind,
    blasts: int,
    cellularity: int,
    relapse: bool = False,
    auer_rods: bool = False,
    history: str | None = None,
) -> Json:
    """Acute myeloid leukemia at diagnosis or relapse: `blasts` of 500 cells counted."""
    pct = _pct(blasts, 500)
    flow_pct = round(float(pct) * 0.9 + 3)
    verdict = _for_age(ctx, cellularity)
    differential = _differential(500, _LEUKEMIC, blasts=blasts)
    stains = [_stain("CD34", "positive", round(float(pct)), "diffuse sheets")]
    dysplasia: Json | None = None
    detail = "Leukocytosis with circulating blasts; suspected acute leukemia."
    if relapse:
        detail = "Recurrent circulating blasts after a first complete remission; suspected relapse."
    if kind == "npm1":
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=7.8,
            wbc_10e9_l=46.3,
            anc_10e9_l=2.1,
            alc_10e9_l=3.0,
            monocytes_10e9_l=6.2,
            platelets_10e9_l=38,
            mcv_fl=93,
            pb_blasts_pct=58,
        )
        smear = (
            "Leukocytosis with 58% blasts, several with cup-shaped nuclear invaginations; "
            "thrombocytopenia."
        )
        blast_text = (
            "Blasts are medium to large with fine chromatin, one or two nucleoli and "
            "frequent cup-shaped nuclei; a subset has folded monocytoid nuclei."
        )
        stains = [
            _stain(
                "CD34",
                "negative",
                comment="Blasts negative; endothelium positive (internal control).",
            ),
            _stain("CD117", "positive", 40, "subset of blasts"),
            _stain("MPO", "positive", 60),
            _stain(
                "NPM1 (cytoplasmic)", "positive", pattern="aberrant cytoplasmic staining of blasts"
            ),
        ]
        ancillary = [
            _study(
                ctx,
                "flow_cytometry",
                f"Myeloid blasts {flow_pct}% of events: CD34-negative, "
                "HLA-DR-negative, CD117 partial, CD33 bright, CD13 dim, MPO positive; a subset "
                "expresses CD64 and CD11b (monocytic differentiation).",
                1,
            ),
            _study(
                ctx,
                "molecular",
                "Rapid PCR: NPM1 type A mutation (c.860_863dupTCTG) "
                "detected; FLT3-ITD and FLT3-TKD not detected.",
                3,
            ),
            _study(ctx, "karyotype", _normal_karyotype(ctx), 11),
            _study(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): NPM1 p.(Trp288Cysfs*12) VAF "
                "41%; DNMT3A p.(Arg882His) VAF 45%; IDH2 p.(Arg140Gln) VAF 38%. No FLT3, TP53 "
                "or myelodysplasia-related gene mutations.",
                13,
            ),
        ]
        name = (
            "Relapsed acute myeloid leukemia with NPM1 mutation"
            if relapse
            else ("Acute myeloid leukemia with NPM1 mutation")
        )
        lines = [
            f"{name}: {pct}% blasts on a 500-cell differential.",
            f"{verdict} marrow ({cellularity}%) diffusely replaced by blasts with monocytic "
            "features; residual hematopoiesis markedly decreased.",
        ]
        diagnosis = _diagnosis(
            lines,
            who=("Acute myeloid leukaemia with NPM1 mutation", "9877/3"),
            icc="AML with mutated NPM1",
            comment="NPM1 type A mutation by rapid PCR; FLT3-ITD not detected. Aberrant "
            "cytoplasmic NPM1 staining supports the molecular result.",
            recommendations="Quantitative NPM1 transcript monitoring of measurable residual "
            "disease after each treatment phase.",
            plain=(
                f"Your bone marrow is filled with immature white cells called blasts (about "
                f"{round(float(pct))} of every 100 cells). "
                + (
                    "The acute myeloid leukemia has come back. "
                    if relapse
                    else "This is acute myeloid leukemia, a fast-growing blood cancer. "
                )
                + "It carries a change in the NPM1 gene, a type that often responds well to "
                "treatment. Your care team will talk with you about treatment very soon."
            ),
        )
    elif kind == "mr":
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=8.1,
            wbc_10e9_l=2.3,
            anc_10e9_l=0.6,
            alc_10e9_l=1.1,
            monocytes_10e9_l=0.2,
            platelets_10e9_l=27,
            mcv_fl=104,
            pb_blasts_pct=14,
        )
        smear = (
            "Pancytopenia with 14% circulating blasts, hypogranular neutrophils and "
            "pseudo-Pelger-Huët forms; macrocytic red cells."
        )
        blast_text = "Blasts are medium-sized with scant agranular cytoplasm and fine chromatin."
        history = history or (
            "Myelodysplastic neoplasm with low blasts diagnosed previously "
            "at another institution; red cell transfusions only. Hypertension."
        )
        dysplasia = {"erythroid_pct": 30, "granulocytic_pct": 45, "megakaryocytic_pct": 60}
        stains += [
            _stain("CD117", "positive", round(float(pct))),
            _stain("CD61", "positive", pattern="small hypolobated forms and micromegakaryocytes"),
            _stain("p53", "positive", 4, "wild-type (scattered weak nuclear staining)"),
        ]
        ancillary = [
            _study(
                ctx,
                "flow_cytometry",
                f"CD34+ CD117+ HLA-DR+ myeloid blasts {flow_pct}% of "
                "events with aberrant CD7 and decreased CD38; abnormal CD13/CD16 maturation "
                "pattern of granulocytes.",
                1,
            ),
            _study(
                ctx,
                "fish",
                "MDS FISH panel: deletion 5q31 in 78% of nuclei, monosomy 7 in "
                "72%, trisomy 8 in 31%; no TP53 deletion.",
                3,
            ),
            _study(
                ctx,
                "karyotype",
                f"47,{ctx.karyotype_sex},del(5)(q13q33),-7,+8,+mar[15]/"
                f"46,{ctx.karyotype_sex}[5]. Complex karyotype.",
                10,
            ),
            _study(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): TET2 p.(Gln1034*) VAF 36%; "
                "DNMT3A p.(Arg736His) VAF 22%. No TP53 or myelodysplasia-related gene "
                "mutations.",
                13,
            ),
        ]
        name = "Relapsed acute myeloid leukemia" if relapse else "Acute myeloid leukemia"
        lines = [
            f"{name}, myelodysplasia-related: {pct}% blasts on a 500-cell differential with "
            "multilineage dysplasia, arising from a previously diagnosed myelodysplastic "
            "neoplasm.",
            "FISH shows deletion 5q, monosomy 7 and trisomy 8 "
            "(myelodysplasia-defining cytogenetic abnormalities).",
            f"{verdict} marrow ({cellularity}%).",
        ]
        diagnosis = _diagnosis(
            lines,
            who=("Acute myeloid leukaemia, myelodysplasia-related", "9895/3"),
            icc="AML with myelodysplasia-related cytogenetic abnormalities, progressed from MDS",
            comment="Auer rods are present in occasional blasts." if auer_rods else None,
            recommendations="Correlate with clinical fitness for intensive therapy and "
            "transplant evaluation.",
            plain=(
                "Your earlier bone marrow condition (myelodysplastic neoplasm) has progressed "
                "to acute myeloid leukemia, a fast-growing blood cancer. About "
                f"{round(float(pct))} of every 100 marrow cells are immature blasts. Your "
                "care team will discuss the treatment options with you."
            ),
        )
    else:
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=8.4,
            wbc_10e9_l=71.2,
            anc_10e9_l=3.4,
            alc_10e9_l=2.2,
            monocytes_10e9_l=1.8,
            platelets_10e9_l=52,
            mcv_fl=91,
            pb_blasts_pct=66,
        )
        smear = "Marked leukocytosis with 66% blasts; occasional Auer rods."
        blast_text = (
            "Large blasts with fine chromatin, prominent nucleoli and occasional Auer rods."
        )
        stains += [_stain("MPO", "positive", 35, "subset of blasts")]
        ancillary = [
            _study(
                ctx,
                "flow_cytometry",
                f"Myeloid blasts {flow_pct}% of events: CD34+, CD117+, "
                "CD33+, CD13+, HLA-DR+, MPO partial; cytoplasmic CD3 and CD79a negative.",
                1,
            ),
            _study(ctx, "karyotype", _normal_karyotype(ctx), 10),
            _study(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): FLT3-ITD (allelic ratio 0.4); "
                "RUNX1 p.(Arg201Gln) VAF 38%. No NPM1 or TP53 mutation.",
                12,
            ),
        ]
        lines = [
            f"Acute myeloid leukemia: {pct}% blasts on a 500-cell differential; {verdict.lower()} "
            f"marrow ({cellularity}%).",
            "Flow cytometry supports myeloid lineage; classification awaits cytogenetic and "
            "molecular results.",
        ]
        diagnosis = _diagnosis(
            lines,
            comment="Preliminary report issued to support urgent treatment decisions.",
            plain=(
                "Your bone marrow is filled with immature cells called blasts. This is acute "
                "myeloid leukemia, a fast-growing blood cancer. More tests are under way to "
                "find out the exact type, which will guide treatment."
            ),
        )
        auer_rods = True
    header = _header(
        ctx,
        indication="suspected_hematologic_malignancy",
        detail=detail,
        history=history,
        cbc=cbc,
        smear=smear,
    )
    return _case(
        header,
        aspirate=_aspirate(
            differential,
            cellularity="hypercellular",
            megakaryocytes="decreased",
            morphology={
                "erythroid": "Markedly decreased; normoblastic.",
                "granulocytic": "Decreased maturing granulocytes"
                + (", many hypogranular." if dysplasia else " without dysplasia."),
                "megakaryocytic": "Decreased"
                + ("; small hypolobated forms." if dysplasia else "."),
                "lymphoid": "Scattered small lymphocytes.",
                "other": blast_text,
            },
            dysplasia=dysplasia,
            auer_rods=auer_rods,
            iron=_iron(2),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-1",
            megakaryocyte_number="decreased",
            megakaryocytes="Decreased; scattered singly.",
            infiltrate=_infiltrate(
                "diffuse",
                round(float(pct)),
                "Sheets of immature mononuclear cells replacing normal hematopoiesis.",
            ),
        ),
        stains=[*stains, _reticulin("MF-1")],
        ancillary=ancillary,
        diagnosis=diagnosis,
    )


def _aml_remission(
    ctx: _Ctx,
    *,
    blasts: int,
    cellularity: int,
    when: str,
    npm1: bool,
    history: str | None = None,
) -> Json:
    """The marrow after induction: regeneration, blasts under 5 %, MRD studies."""
    pct = _pct(blasts, 500)
    verdict = _for_age(ctx, cellularity)
    ancillary = [
        _study(
            ctx,
            "flow_cytometry",
            "No abnormal myeloid blast population; measurable "
            "residual disease not detected (sensitivity 0.1%).",
            1,
        ),
    ]
    if npm1:
        ancillary.append(
            _study(
                ctx,
                "molecular",
                "Quantitative NPM1 mutant transcripts: 0.42% "
                "NPM1mut/ABL1, a reduction of more than 2 logs from diagnosis.",
                7,
            )
        )
    lines = [
        f"{verdict} marrow ({cellularity}%) with regenerating trilineage hematopoiesis, {when}.",
        f"No morphologic evidence of residual acute myeloid leukemia (blasts {pct}% on a "
        "500-cell differential).",
    ]
    return _case(
        _header(
            ctx,
            indication="treatment_monitoring",
            detail=f"Assessment of response, {when}.",
            history=history or "Acute myeloid leukemia; induction chemotherapy.",
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=9.2,
                wbc_10e9_l=2.8,
                anc_10e9_l=1.1,
                alc_10e9_l=0.9,
                monocytes_10e9_l=0.6,
                platelets_10e9_l=96,
                mcv_fl=92,
                pb_blasts_pct=0,
            ),
            smear="Recovering counts; no circulating blasts.",
            specimens=_FULL_WORKUP if npm1 else _WITH_GENETICS,
        ),
        aspirate=_aspirate(
            _differential(500, _REGENERATING, blasts=blasts),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology={
                "erythroid": "Regenerating erythroid islands with mild megaloblastoid change "
                "(post-chemotherapy).",
                "granulocytic": "Left-shifted regenerating granulopoiesis with full maturation.",
                "megakaryocytic": "Present; normal morphology.",
                "lymphoid": "Small lymphocytes and hematogones.",
            },
            iron=_iron(3),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Present in normal number; no atypia.",
            comment="Stromal edema and scattered hemosiderin-laden macrophages after therapy.",
        ),
        stains=[
            _stain("CD34", "positive", 1, "rare single cells; no clusters"),
            _reticulin("MF-0"),
        ],
        ancillary=ancillary,
        diagnosis=_diagnosis(
            lines,
            plain=(
                "No leukemia cells were seen in your bone marrow after treatment. The marrow "
                "is recovering and making normal blood cells again. Sensitive tests for "
                "leftover leukemia are listed below."
            ),
        ),
    )


def _post_transplant(
    ctx: _Ctx,
    *,
    days_after: int,
    disease: str,
    cellularity: int,
    chimerism: int = 99,
    history: str | None = None,
) -> Json:
    """Engraftment check after an allogeneic transplant: chimerism and MRD."""
    verdict = _for_age(ctx, cellularity)
    lines = [
        f"{verdict} marrow ({cellularity}%) with trilineage engraftment.",
        f"No morphologic or immunophenotypic evidence of residual or recurrent {disease}.",
    ]
    comment = None
    if chimerism < 95:
        comment = (
            f"Mixed chimerism ({chimerism}% donor) warrants close follow-up for early relapse."
        )
    return _case(
        _header(
            ctx,
            indication="post_transplant_evaluation",
            detail=f"Day +{days_after} after allogeneic stem cell transplantation for {disease}.",
            history=history,
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=10.9,
                wbc_10e9_l=4.1,
                anc_10e9_l=2.6,
                alc_10e9_l=0.8,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=118,
                mcv_fl=96,
                pb_blasts_pct=0,
            ),
            smear="Mild normocytic anemia; no circulating blasts.",
            specimens=_FULL_WORKUP,
        ),
        aspirate=_aspirate(
            _differential(500, _NORMAL, blasts=5),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(_NORMAL_MORPHOLOGY),
            iron=_iron(3),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
        ),
        stains=[_stain("CD34", "positive", 1, "rare single cells"), _reticulin("MF-0")],
        ancillary=[
            _study(
                ctx,
                "flow_cytometry",
                "No abnormal myeloid blast population; measurable "
                "residual disease not detected (sensitivity 0.01%).",
                1,
            ),
            _study(
                ctx,
                "other",
                f"Chimerism (short tandem repeat analysis, unfractionated "
                f"marrow): {chimerism}% donor.",
                6,
            ),
        ],
        diagnosis=_diagnosis(
            lines,
            comment=comment,
            plain=(
                "The new bone marrow from your donor is working and making all types of "
                "blood cells. We found no sign that the disease has come back."
            ),
        ),
    )


MdsKind = Literal["ib1", "ib2", "sf3b1"]
# The patient's clone (karyotype, mutations, blood blasts, blast clusters): a property of
# the patient, not of the diagnosis, so an amendment that revises the diagnosis keeps it.
MdsClone = Literal["del20q", "trisomy8"]


def _mds(
    ctx: _Ctx,
    *,
    kind: MdsKind,
    blasts: int,
    cellularity: int,
    ring_sideroblasts: int = 2,
    auer_rods: bool = False,
    sf3b1_known: bool = True,
    history: str | None = None,
    clone: MdsClone | None = None,
) -> Json:
    """Myelodysplastic neoplasm; `sf3b1_known=False` gives the ring-sideroblast wording that
    WHO-HAEM5 allows while SF3B1 sequencing is still pending. `clone` is the patient's
    genetics (default: del(20q) for IB1, trisomy 8 for IB2)."""
    clone = clone or ("trisomy8" if kind == "ib2" else "del20q")
    pct = _pct(blasts, 500)
    verdict = _for_age(ctx, cellularity)
    ring = kind == "sf3b1"
    if ring:
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=8.9,
            wbc_10e9_l=5.1,
            anc_10e9_l=2.9,
            alc_10e9_l=1.5,
            monocytes_10e9_l=0.4,
            platelets_10e9_l=286,
            mcv_fl=106,
            reticulocytes_10e9_l=29,
            pb_blasts_pct=0,
        )
        smear = (
            "Dimorphic red cells with a population of hypochromic cells and Pappenheimer "
            "bodies; white cells and platelets unremarkable."
        )
        detail = (
            "Transfusion-dependent macrocytic anemia with normal white cell and platelet counts."
        )
        dysplasia = {"erythroid_pct": 42, "granulocytic_pct": 3, "megakaryocytic_pct": 5}
        fibrosis = "MF-0"
        mega_text = "Normal number and morphology."
        iron = _iron(
            5, ring_sideroblasts, "Many ring sideroblasts with complete perinuclear rings."
        )
        flow = "No increase in myeloid blasts (0.9% of events) and no aberrant phenotype."
        karyotype = _normal_karyotype(ctx)
        if sf3b1_known:
            molecular = _study(
                ctx,
                "molecular",
                "Targeted sequencing: SF3B1 p.(Lys700Glu) VAF "
                "36%; TET2 p.(Arg1216*) VAF 12%. No TP53, RUNX1 or EZH2 "
                "mutation.",
                4,
            )
        else:
            molecular = _study(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): SF3B1 "
                "p.(Lys700Glu) VAF 36%; TET2 p.(Arg1216*) VAF 12%. No TP53, "
                "RUNX1 or EZH2 mutation.",
                13,
            )
    else:
        pb_blasts = 3 if clone == "trisomy8" else 1
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=8.6,
            wbc_10e9_l=2.4,
            anc_10e9_l=0.9,
            alc_10e9_l=1.0,
            monocytes_10e9_l=0.3,
            platelets_10e9_l=64,
            mcv_fl=103,
            reticulocytes_10e9_l=24,
            pb_blasts_pct=pb_blasts,
        )
        smear = (
            f"Macrocytic red cells, hypogranular neutrophils with pseudo-Pelger-Huët nuclei "
            f"and {pb_blasts}% circulating blasts."
        )
        detail = "Macrocytic anemia and thrombocytopenia; suspected myelodysplastic neoplasm."
        dysplasia = {"erythroid_pct": 18, "granulocytic_pct": 24, "megakaryocytic_pct": 32}
        fibrosis = "MF-1"
        mega_text = "Loose clusters of small hypolobated and separated-lobe forms."
        iron = _iron(3, ring_sideroblasts)
        flow = (
            f"CD34+ myeloid blasts {round(float(pct) * 0.9, 1)}% of events with aberrant "
            "CD7 and CD56 expression; abnormal granulocytic maturation pattern."
        )
        if clone == "del20q":
            karyotype = f"46,{ctx.karyotype_sex},del(20)(q11.2q13.1)[7]/46,{ctx.karyotype_sex}[13]."
            genes = (
                "ASXL1 p.(Gly646Trpfs*12) VAF 33%; SRSF2 p.(Pro95His) VAF 41%; TET2 "
                "p.(Gln1034*) VAF 28%."
            )
        else:
            karyotype = f"47,{ctx.karyotype_sex},+8[12]/46,{ctx.karyotype_sex}[8]."
            genes = (
                "RUNX1 p.(Arg204*) VAF 22%; STAG2 p.(Arg614*) VAF 35%; ASXL1 "
                "p.(Gly646Trpfs*12) VAF 30%."
            )
        molecular = _study(
            ctx, "molecular", f"Myeloid NGS panel (54 genes): {genes} No TP53 mutation.", 13
        )
    ancillary = [
        _study(ctx, "flow_cytometry", flow, 1),
        _study(ctx, "karyotype", karyotype, 10),
        molecular,
    ]
    comment: str | None = None
    icc: str | None
    if ring:
        name = (
            "myelodysplastic neoplasm with low blasts and SF3B1 mutation (MDS-SF3B1)"
            if sf3b1_known
            else "myelodysplastic neoplasm with low blasts and ring sideroblasts"
        )
        lines = [
            f"{verdict} marrow ({cellularity}%) with erythroid hyperplasia and erythroid "
            f"dysplasia; blasts not increased ({pct}% on a 500-cell differential).",
            f"Ring sideroblasts {ring_sideroblasts}% of erythroblasts.",
            f"Consistent with {name}.",
        ]
        who = ("Myelodysplastic neoplasm with low blasts and SF3B1 mutation", "9982/3")
        icc = "MDS with mutated SF3B1" if sf3b1_known else None
        if not sf3b1_known:
            comment = (
                "WHO-HAEM5 accepts 'low blasts and ring sideroblasts' for this entity when "
                "15% or more ring sideroblasts are present and SF3B1 status is not yet "
                "known."
            )
        plain = (
            "Your bone marrow makes red cells that do not mature properly and store iron in "
            "a ring around the nucleus. This is a slow-growing myelodysplastic neoplasm, a "
            "type of bone marrow cancer with a generally favorable outlook. Treatment aims "
            "to improve the anemia."
        )
    else:
        ib2 = kind == "ib2"
        why = "increased blasts" + (" and Auer rods" if auer_rods else "")
        lines = [
            f"{verdict} marrow ({cellularity}%) with multilineage dysplasia and {why} "
            f"({pct}% blasts on a 500-cell differential).",
            "Consistent with myelodysplastic neoplasm with increased blasts-"
            + ("2 (MDS-IB2)" if ib2 else "1 (MDS-IB1)")
            + (", defined here by Auer rods." if ib2 and blasts < 50 else "."),
        ]
        who = (f"Myelodysplastic neoplasm with increased blasts-{2 if ib2 else 1}", "9983/3")
        icc = "MDS/AML" if blasts >= 50 else "MDS with excess blasts"
        if ib2 and blasts < 50:
            comment = (
                f"Auer rods place this case in MDS-IB2 under WHO-HAEM5; under ICC-2022 "
                f"the blast count ({pct}%) corresponds to MDS with excess blasts."
            )
        plain = (
            "Your bone marrow is making blood cells that look abnormal, and there are more "
            f"immature cells called blasts than normal (about {round(float(pct))} of every "
            "100 cells). This is a myelodysplastic neoplasm, a type of bone marrow cancer. "
            "Your care team will discuss treatment with you."
        )
    return _case(
        _header(
            ctx,
            indication="abnormal_blood_counts",
            detail=detail,
            history=history or "No prior chemotherapy or radiation.",
            cbc=cbc,
            smear=smear,
        ),
        aspirate=_aspirate(
            _differential(500, _DYSPLASTIC, blasts=blasts),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology={
                "erythroid": "Erythroid hyperplasia with megaloblastoid change, nuclear budding "
                "and irregular nuclear contours.",
                "granulocytic": (
                    "Unremarkable maturation."
                    if ring
                    else "Hypogranular and pseudo-Pelger-Huët neutrophils."
                ),
                "megakaryocytic": mega_text,
                "lymphoid": "Unremarkable small lymphocytes.",
            },
            dysplasia=dysplasia,
            auer_rods=auer_rods,
            iron=iron,
            comment=None
            if ring
            else "Blasts are medium-sized with fine chromatin and scant "
            "agranular cytoplasm."
            + (" Rare blasts contain slender Auer rods." if auer_rods else ""),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis=fibrosis,
            megakaryocyte_number="adequate",
            megakaryocytes=mega_text,
            infiltrate=None
            if ring
            else _infiltrate(
                "interstitial",
                round(float(pct)),
                "Scattered CD34-positive blasts, "
                + ("small clusters." if clone == "trisomy8" else "no clusters."),
            ),
        ),
        stains=[
            _stain("CD34", "positive", max(1, round(float(pct))), "interstitial"),
            _stain("CD61", "positive", pattern="highlights small hypolobated megakaryocytes")
            if not ring
            else _stain("Perls (iron)", "positive", comment="Ring sideroblasts."),
            _reticulin(fibrosis),
        ],
        ancillary=ancillary,
        diagnosis=_diagnosis(
            lines,
            who=who,
            icc=icc,
            comment=comment,
            recommendations="Risk stratification with IPSS-M once the molecular results are "
            "available.",
            plain=plain,
        ),
    )


def _myeloma(
    ctx: _Ctx,
    *,
    plasma_pct: int,
    aspirate_plasma: int,
    light_chain: Literal["kappa", "lambda"],
    heavy_chain: str = "IgG",
    cellularity: int = 60,
    active: bool = True,
    history: str | None = None,
) -> Json:
    """A plasma cell neoplasm at diagnosis. The reported percentage comes from CD138
    immunohistochemistry, which hemodilution of the aspirate does not lower."""
    other_chain = "lambda" if light_chain == "kappa" else "kappa"
    asp_pct = _pct(aspirate_plasma, 500)
    verdict = _for_age(ctx, cellularity)
    pattern = "diffuse" if plasma_pct >= 50 else "interstitial"
    if active:
        lines = [
            f"Plasma cell myeloma: {light_chain}-restricted plasma cells, {plasma_pct}% of "
            f"marrow cellularity by CD138 immunohistochemistry ({asp_pct}% on the aspirate "
            "differential).",
            f"{verdict} marrow ({cellularity}%) with a {pattern} plasma cell infiltrate.",
        ]
        who: tuple[str, str] | None = ("Plasma cell myeloma", "9732/3")
        icc: str | None = "Plasma cell myeloma"
        plain = (
            "Your bone marrow contains many abnormal plasma cells (about "
            f"{plasma_pct} of every 100 cells). This is multiple myeloma, a cancer of "
            "plasma cells. It is treatable, and your care team will discuss the options "
            "with you."
        )
    else:
        lines = [
            f"Clonal plasma cell neoplasm: {light_chain}-restricted plasma cells, {plasma_pct}% "
            f"of marrow cellularity by CD138 immunohistochemistry ({asp_pct}% on the aspirate "
            "differential).",
            "Distinguishing smoldering from active myeloma requires correlation with CRAB "
            "features and myeloma-defining events.",
        ]
        who, icc = None, None
        plain = (
            "Your bone marrow contains an increased number of abnormal plasma cells. "
            "Your doctor will combine this result with blood, urine and imaging tests to "
            "decide whether treatment is needed now."
        )
    return _case(
        _header(
            ctx,
            indication="suspected_hematologic_malignancy",
            detail=f"Serum {heavy_chain} {light_chain} monoclonal protein"
            + (
                " with anemia and lytic bone lesions on imaging."
                if active
                else "; evaluate for a plasma cell neoplasm."
            ),
            history=history or "No prior hematologic disease.",
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=9.1,
                wbc_10e9_l=4.6,
                anc_10e9_l=2.7,
                alc_10e9_l=1.3,
                monocytes_10e9_l=0.4,
                platelets_10e9_l=162,
                mcv_fl=95,
            ),
            smear="Rouleaux formation and normocytic anemia; no circulating plasma cells.",
            specimens=_FULL_WORKUP,
        ),
        aspirate=_aspirate(
            _differential(500, _NORMAL, blasts=4, plasma_cells=aspirate_plasma),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                plasma_cells="Clusters of mature and immature plasma cells, some binucleate, "
                "with prominent nucleoli.",
            ),
            iron=_iron(3),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
            infiltrate=_infiltrate(
                pattern,
                plasma_pct,
                "CD138-positive plasma cells in interstitial clusters and sheets.",
            ),
        ),
        key_results={"plasma_cells_pct": plasma_pct, "plasma_cells_source": "cd138_ihc"},
        stains=[
            _stain("CD138", "positive", plasma_pct, "interstitial clusters and sheets"),
            _stain(
                f"{light_chain.capitalize()} (ISH)", "positive", comment="Light chain restricted."
            ),
            _stain(
                f"{other_chain.capitalize()} (ISH)", "negative", comment="Rare positive cells only."
            ),
            _stain("Cyclin D1", "negative"),
            _stain("Congo red", "negative", comment="No amyloid deposition."),
        ],
        ancillary=[
            _study(
                ctx,
                "flow_cytometry",
                "Abnormal plasma cells (CD38 bright, CD138+, CD19-, "
                f"CD45-, CD56+, CD27-) with cytoplasmic {light_chain} restriction, "
                f"{max(1, plasma_pct // 4)}% of events; flow underestimates the plasma cell "
                "burden.",
                1,
            ),
            _study(
                ctx,
                "fish",
                "Plasma cell FISH (CD138-enriched): IGH::FGFR3 t(4;14) in 82% of "
                "plasma cells; gain of 1q21 (3 copies) in 64%; no TP53 (17p) deletion.",
                6,
            ),
            _study(ctx, "karyotype", _normal_karyotype(ctx), 12),
        ],
        diagnosis=_diagnosis(
            lines,
            who=who,
            icc=icc,
            comment="The plasma cell percentage is taken from the CD138 stain of the core, "
            "which is more representative than the hemodilute aspirate.",
            plain=plain,
        ),
    )


def _myeloma_response(
    ctx: _Ctx,
    *,
    plasma_pct: int,
    when: str,
    mrd: float | None,
    cellularity: int = 45,
    history: str | None = None,
) -> Json:
    """Myeloma after treatment: CD138 count, light chains and next-generation flow MRD."""
    verdict = _for_age(ctx, cellularity)
    if mrd is None:
        mrd_result = "Next-generation flow: abnormal plasma cells not detected in 5,000,000 events (limit of detection 0.001%)."
        mrd_line = "Measurable residual disease not detected by next-generation flow cytometry (sensitivity 0.001%)."
    else:
        mrd_result = f"Next-generation flow: abnormal plasma cells {mrd}% of nucleated cells (limit of detection 0.001%)."
        mrd_line = f"Measurable residual disease detected by next-generation flow cytometry ({mrd}% of nucleated cells)."
    return _case(
        _header(
            ctx,
            indication="treatment_monitoring",
            detail=f"Response assessment {when}.",
            history=history,
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=11.6,
                wbc_10e9_l=4.9,
                anc_10e9_l=2.8,
                alc_10e9_l=1.2,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=174,
                mcv_fl=94,
            ),
            smear="Mild normocytic anemia; no rouleaux.",
            specimens=_WITH_FLOW,
        ),
        aspirate=_aspirate(
            _differential(500, _NORMAL, blasts=4, plasma_cells=plasma_pct * 4),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(_NORMAL_MORPHOLOGY, plasma_cells="Scattered mature plasma cells."),
            iron=_iron(3),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
        ),
        key_results={"plasma_cells_pct": plasma_pct, "plasma_cells_source": "cd138_ihc"},
        stains=[
            _stain("CD138", "positive", plasma_pct, "scattered single cells"),
            _stain("Kappa/lambda (ISH)", "positive", comment="Polytypic (kappa:lambda about 2:1)."),
        ],
        ancillary=[_study(ctx, "flow_cytometry", mrd_result, 2)],
        diagnosis=_diagnosis(
            [
                f"{verdict} marrow ({cellularity}%) with {plasma_pct}% plasma cells by CD138 "
                "immunohistochemistry, without light chain restriction.",
                "No morphologic evidence of residual plasma cell myeloma.",
                mrd_line,
            ],
            plain=(
                "No myeloma cells were seen under the microscope after treatment. "
                + (
                    "A very sensitive test found no remaining myeloma cells."
                    if mrd is None
                    else "A very sensitive test still finds a very small number of myeloma cells."
                )
            ),
        ),
    )


Lymphoma = Literal["follicular", "dlbcl", "hodgkin"]
_LYMPHOMA_NAMES = {
    "follicular": (
        "follicular lymphoma",
        "follicular lymphoma, grade 1-2 (inguinal lymph node biopsy)",
    ),
    "dlbcl": (
        "diffuse large B-cell lymphoma",
        "diffuse large B-cell lymphoma (cervical lymph node biopsy)",
    ),
    "hodgkin": (
        "classic Hodgkin lymphoma",
        "classic Hodgkin lymphoma, nodular sclerosis (mediastinal mass biopsy)",
    ),
}


def _lymphoma_staging(
    ctx: _Ctx,
    *,
    lymphoma: Lymphoma,
    involved: bool,
    cellularity: int,
    percent: int = 0,
    end_of_treatment: bool = False,
    history: str | None = None,
) -> Json:
    """Staging marrow for a lymphoma: involved (with the pattern) or not."""
    short, long = _LYMPHOMA_NAMES[lymphoma]
    verdict = _for_age(ctx, cellularity)
    bilateral = ctx.laterality == "bilateral"
    stains = [
        _stain("CD20", "positive", 3, "scattered B cells"),
        _stain("CD3", "positive", 8, "scattered T cells"),
    ]
    infiltrate: Json | None = None
    lymphocytes = 60
    classification: tuple[str, str] | None = None
    flow = "No monotypic B-cell or aberrant T-cell population."
    if involved and lymphoma == "follicular":
        lymphocytes = 110
        stains = [
            _stain("CD20", "positive", percent, "paratrabecular aggregates"),
            _stain("CD10", "positive", percent, "paratrabecular aggregates"),
            _stain("BCL2", "positive", percent, "paratrabecular aggregates"),
            _stain("CD3", "positive", 6, "scattered T cells"),
        ]
        infiltrate = _infiltrate(
            "paratrabecular",
            percent,
            "Paratrabecular aggregates of small "
            "cleaved lymphocytes hugging the trabecular surfaces.",
        )
        flow = "Monotypic B cells (CD19+, CD20+, CD10+, surface kappa-restricted), 6% of events."
        lines = [
            f"Bone marrow involved by follicular lymphoma, low grade, with a paratrabecular "
            f"pattern (about {percent}% of the marrow space).",
        ]
        classification = ("Follicular lymphoma", "9690/3")
    elif involved:
        if lymphoma != "dlbcl":
            raise ValueError(f"no template for marrow involvement by {short}")
        lymphocytes = 80
        stains = [
            _stain("CD20", "positive", percent, "nodular aggregates of large cells"),
            _stain("Ki-67", "positive", 80, "in the large cells"),
            _stain("CD3", "positive", 6, "scattered T cells"),
        ]
        infiltrate = _infiltrate(
            "nodular",
            percent,
            "Nodular and interstitial aggregates of "
            "large atypical lymphoid cells with vesicular chromatin.",
        )
        flow = (
            "Large monotypic B cells (CD19+, CD20+, CD10-, lambda-restricted), 2% of events "
            "(likely under-represented)."
        )
        lines = [
            "Bone marrow involved by diffuse large B-cell lymphoma (concordant involvement), "
            f"nodular and interstitial pattern, about {percent}% of the marrow space.",
        ]
        classification = ("Diffuse large B-cell lymphoma, NOS", "9680/3")
    else:
        if lymphoma == "hodgkin":
            stains += [_stain("CD30", "negative"), _stain("CD15", "negative")]
        where = " (bilateral biopsies)" if bilateral else ""
        lines = [
            f"No morphologic or immunohistochemical evidence of {short} in the bone marrow{where}.",
        ]
    lines.append(
        f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis"
        + (" in the uninvolved areas." if involved else ".")
    )
    if involved:
        plain = (
            "The lymphoma is present in your bone marrow. This helps your doctors work out "
            "the stage of the lymphoma and plan treatment."
        )
    else:
        plain = (
            "We found no lymphoma in your bone marrow. This helps your doctors work out the "
            "stage of the lymphoma and plan treatment."
        )
    with_flow = lymphoma != "hodgkin"
    header = _header(
        ctx,
        indication="treatment_monitoring" if end_of_treatment else "cancer_staging",
        detail=(
            f"End-of-treatment assessment for {short}."
            if end_of_treatment
            else f"Staging of newly diagnosed {long}."
        ),
        history=history,
        cbc=_cbc(
            ctx,
            hemoglobin_g_dl=12.4,
            wbc_10e9_l=6.1,
            anc_10e9_l=3.9,
            alc_10e9_l=1.4,
            monocytes_10e9_l=0.5,
            platelets_10e9_l=221,
            mcv_fl=89,
        ),
        smear="No circulating lymphoma cells.",
        specimens=_STAGING if with_flow else _MORPHOLOGY,
    )
    return _case(
        header,
        aspirate=_aspirate(
            _differential(500, _NORMAL, blasts=5, lymphocytes=lymphocytes),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                lymphoid="Increased small lymphocytes with angulated nuclei."
                if involved
                else "Scattered small mature lymphocytes.",
            ),
            iron=_iron(2),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-1" if involved else "MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
            infiltrate=infiltrate,
        ),
        stains=[*stains, _reticulin("MF-1" if involved else "MF-0")],
        ancillary=[_study(ctx, "flow_cytometry", flow, 1)] if with_flow else None,
        diagnosis=_diagnosis(lines, who=classification, plain=plain),
    )


def _aplastic(
    ctx: _Ctx,
    *,
    cellularity: int,
    after_treatment: bool = False,
    history: str | None = None,
) -> Json:
    """Aplastic anemia: an empty, fatty marrow, or its recovery after immunosuppression."""
    if after_treatment:
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=10.4,
            wbc_10e9_l=3.2,
            anc_10e9_l=1.5,
            alc_10e9_l=1.3,
            monocytes_10e9_l=0.3,
            platelets_10e9_l=58,
            mcv_fl=98,
            reticulocytes_10e9_l=48,
        )
        verdict = _for_age(ctx, cellularity)
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis, increased "
            "compared with the pre-treatment biopsy.",
            "No dysplasia, increase in blasts or fibrosis.",
        ]
        plain = "Your bone marrow is making more blood cells than before treatment. " + (
            "It is still less full than usual for your age, but it is recovering."
            if verdict == "Hypocellular"
            else "It is now about as full as usual for your age."
        )
        classification = None
        pnh = "PNH testing (FLAER): PNH clone 1.2% of neutrophils; no increase in blasts."
        megakaryocytes = "decreased"
    else:
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=7.2,
            wbc_10e9_l=1.4,
            anc_10e9_l=0.32,
            alc_10e9_l=0.9,
            monocytes_10e9_l=0.08,
            platelets_10e9_l=11,
            mcv_fl=101,
            reticulocytes_10e9_l=12,
        )
        lines = [
            f"Markedly hypocellular marrow ({cellularity}%) with trilineage hypoplasia; no "
            "increase in blasts, no fibrosis and no abnormal infiltrate.",
            "In the clinical setting, consistent with severe aplastic anemia.",
        ]
        plain = (
            "Your bone marrow has very few of the cells that make blood; most of the space "
            "is filled with fat. This condition is called aplastic anemia. It is not a "
            "cancer, and it can be treated with medicines that calm the immune system or "
            "with a stem cell transplant."
        )
        classification = "Aplastic anemia, severe (Camitta criteria)"
        pnh = (
            "PNH testing (FLAER): small PNH clone, 0.8% of neutrophils and 1.1% of monocytes. "
            "No increase in blasts; no aberrant myeloid or lymphoid population."
        )
        megakaryocytes = "absent"
    return _case(
        _header(
            ctx,
            indication="treatment_monitoring" if after_treatment else "abnormal_blood_counts",
            detail=(
                "Response assessment six months after horse antithymocyte globulin, "
                "cyclosporine and eltrombopag."
                if after_treatment
                else "Pancytopenia; no prior chemotherapy, toxic exposure or new medication."
            ),
            history=history,
            cbc=cbc,
            smear="Pancytopenia with macrocytic red cells; no circulating blasts or dysplastic "
            "neutrophils.",
            specimens=_WITH_GENETICS,
        ),
        aspirate=_aspirate(
            _differential(200, _APLASTIC, blasts=1),
            quality="suboptimal",
            particles="scanty",
            cellularity="hypocellular",
            megakaryocytes=megakaryocytes,
            morphology={
                "erythroid": "Few erythroid precursors; mild dyserythropoiesis only.",
                "granulocytic": "Few maturing granulocytes without dysplasia.",
                "megakaryocytic": "None seen."
                if megakaryocytes == "absent"
                else "Rare; normal morphology.",
                "lymphoid": "Lymphocytes, plasma cells and mast cells predominate in the particles.",
            },
            iron=_iron(4),
            comment="200-cell differential on scanty, fatty particles.",
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number=megakaryocytes,
            megakaryocytes="None identified."
            if megakaryocytes == "absent"
            else "Rare, normal forms.",
            comment="Fatty marrow with scattered lymphocytes, plasma cells and mast cells; small "
            "erythroid islands only.",
        ),
        stains=[
            _stain("CD34", "positive", 0.5, "rare single cells"),
            _stain("CD61", "positive", pattern="rare megakaryocytes"),
            _reticulin("MF-0"),
        ],
        ancillary=[
            _study(ctx, "flow_cytometry", pnh, 2),
            _study(ctx, "karyotype", _normal_karyotype(ctx), 12),
        ],
        diagnosis=_diagnosis(lines, other=classification, plain=plain),
    )


def _myelofibrosis(
    ctx: _Ctx, *, cd34_pct: float, cellularity: int = 70, history: str | None = None
) -> Json:
    """Overt primary myelofibrosis: a dry tap, so blasts come from CD34 on the core."""
    verdict = _for_age(ctx, cellularity)
    return _case(
        _header(
            ctx,
            indication="suspected_hematologic_malignancy",
            detail="Splenomegaly (22 cm), anemia and leukoerythroblastosis; suspected myelofibrosis.",
            history=history or "No prior hematologic disease.",
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=8.7,
                wbc_10e9_l=13.8,
                anc_10e9_l=9.6,
                alc_10e9_l=1.4,
                monocytes_10e9_l=0.9,
                platelets_10e9_l=94,
                mcv_fl=91,
                pb_blasts_pct=2,
            ),
            smear="Leukoerythroblastic blood picture with teardrop cells, nucleated red cells, "
            "2% circulating blasts and giant platelets.",
            specimens=_CORE_ONLY,
        ),
        aspirate=_aspirate(
            None,
            quality="dry_tap",
            particles="absent",
            cellularity="not_assessable",
            megakaryocytes="increased",
            morphology={
                "megakaryocytic": "Touch imprints show clusters of atypical megakaryocytes."
            },
            comment="Dry tap; no aspirate could be obtained. Touch imprints are paucicellular.",
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-3",
            collagen=True,
            osteosclerosis=True,
            megakaryocyte_number="increased",
            megakaryocytes="Increased, in dense clusters, with hyperchromatic cloud-like and "
            "bulbous nuclei; frequent naked nuclei and intrasinusoidal forms.",
            bone="Thickened, irregular trabeculae with new bone formation (osteosclerosis).",
            comment="Dilated sinuses with intrasinusoidal hematopoiesis.",
        ),
        key_results={"blasts_pct": cd34_pct, "blasts_source": "cd34_ihc"},
        stains=[
            _stain("CD34", "positive", cd34_pct, "scattered single cells; no clusters"),
            _stain("CD61", "positive", pattern="highlights clustered atypical megakaryocytes"),
            _stain(
                "Reticulin", "positive", comment="MF-3: diffuse, dense increase with coarse fibres."
            ),
            _stain("Trichrome", "positive", comment="Extensive collagen deposition."),
        ],
        ancillary=[
            _study(
                ctx,
                "molecular",
                "Peripheral blood: CALR exon 9 type 1 deletion "
                "(c.1092_1143del, p.Leu367Thrfs*46) detected, VAF 42%; JAK2 V617F and MPL "
                "exon 10 mutations not detected.",
                6,
            ),
        ],
        diagnosis=_diagnosis(
            [
                f"{verdict} marrow ({cellularity}%) with atypical megakaryocytic proliferation, "
                "dense reticulin and collagen fibrosis (MF-3) and osteosclerosis.",
                f"Blasts not increased ({cd34_pct}% by CD34 immunohistochemistry; no aspirate "
                "obtained).",
                "Consistent with primary myelofibrosis, overt fibrotic stage, in the "
                "appropriate clinical setting.",
            ],
            who=("Primary myelofibrosis", "9961/3"),
            icc="Primary myelofibrosis, overt fibrotic stage",
            recommendations="Driver mutation results to be correlated; consider referral for "
            "transplant evaluation.",
            plain=(
                "Your bone marrow has been replaced by scar-like tissue (fibrosis), so it "
                "cannot make enough blood cells. This is primary myelofibrosis, a chronic "
                "bone marrow cancer. Your care team will explain the treatment options."
            ),
        ),
    )


Primary = Literal["breast", "prostate", "lung"]
_PRIMARIES: dict[str, tuple[str, str, list[Json]]] = {
    "breast": (
        "History of invasive lobular carcinoma of the breast; new anemia and thrombocytopenia "
        "with leukoerythroblastosis.",
        "a breast primary, lobular phenotype (GATA3 and ER positive, E-cadherin negative)",
        [
            _stain("GATA3", "positive", 90),
            _stain("ER", "positive", 95, "strong nuclear"),
            _stain("E-cadherin", "negative"),
        ],
    ),
    "prostate": (
        "Rising PSA, new anemia and diffuse bone lesions; suspected metastatic prostate cancer.",
        "a prostatic primary (NKX3.1 and PSA positive)",
        [_stain("NKX3.1", "positive", 90), _stain("PSA", "positive", 80)],
    ),
    "lung": (
        "Lung adenocarcinoma staging; new cytopenias.",
        "pulmonary adenocarcinoma (TTF-1 and Napsin A positive)",
        [_stain("TTF-1", "positive", 85), _stain("Napsin A", "positive", 70)],
    ),
}


def _metastatic(
    ctx: _Ctx, *, primary: Primary, percent: int, cellularity: int, history: str | None = None
) -> Json:
    """Metastatic carcinoma: keratin-positive clusters in a fibrotic core."""
    detail, origin, site_stains = _PRIMARIES[primary]
    verdict = _for_age(ctx, cellularity)
    return _case(
        _header(
            ctx,
            indication="cancer_staging",
            detail=detail,
            history=history,
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=8.9,
                wbc_10e9_l=5.2,
                anc_10e9_l=3.6,
                alc_10e9_l=0.9,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=84,
                mcv_fl=90,
            ),
            smear="Leukoerythroblastic picture with nucleated red cells and teardrop cells.",
            specimens=_MORPHOLOGY,
        ),
        aspirate=_aspirate(
            _differential(300, _NORMAL, blasts=2),
            quality="hemodilute",
            particles="scanty",
            cellularity="not_assessable",
            megakaryocytes="decreased",
            morphology=dict(
                _NORMAL_MORPHOLOGY, other="Cohesive clusters of large non-hematopoietic cells."
            ),
            comment="Tumor cell clusters at the feathered edge are not included in the "
            "300-cell differential.",
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-2",
            collagen=True,
            megakaryocyte_number="decreased",
            megakaryocytes="Decreased in the residual marrow.",
            infiltrate=_infiltrate(
                "nodular", percent, "Nests and cords of carcinoma cells in a desmoplastic stroma."
            ),
        ),
        stains=[
            _stain("AE1/AE3", "positive", percent, "nests and single cells"),
            *[dict(stain) for stain in site_stains],
            _stain("CD45", "negative", comment="Tumor cells negative."),
            _stain("Reticulin", "positive", comment="MF-2 in the areas of tumor."),
        ],
        diagnosis=_diagnosis(
            [
                f"Metastatic carcinoma involving the bone marrow (about {percent}% of the core), "
                f"immunophenotype consistent with {origin}.",
                "Desmoplastic stromal reaction with reticulin and collagen fibrosis (MF-2); "
                f"residual hematopoiesis decreased ({verdict.lower()} for age overall, "
                f"{cellularity}%).",
            ],
            other="Metastatic carcinoma",
            plain=(
                "Cancer cells that have spread from another organ were found in your bone "
                "marrow. This explains the low blood counts. Your oncologist will discuss what "
                "this means for your treatment."
            ),
        ),
    )


def _cml(
    ctx: _Ctx,
    *,
    blasts: int,
    cellularity: int,
    followup: bool = False,
    history: str | None = None,
) -> Json:
    """Chronic myeloid leukemia at diagnosis (chronic phase) or on a tyrosine kinase inhibitor."""
    verdict = _for_age(ctx, cellularity)
    pct = _pct(blasts, 500)
    if followup:
        differential = _differential(500, _NORMAL, blasts=blasts)
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=12.9,
            wbc_10e9_l=5.4,
            anc_10e9_l=3.2,
            alc_10e9_l=1.6,
            monocytes_10e9_l=0.4,
            platelets_10e9_l=201,
            mcv_fl=97,
        )
        smear = "Normal white cell differential; no basophilia or left shift."
        ancillary = [
            _study(ctx, "fish", "BCR::ABL1 dual-fusion FISH: no fusion in 200 nuclei.", 2),
            _study(
                ctx,
                "molecular",
                "BCR::ABL1 (p210) quantitative RT-PCR: 0.05% on the "
                "International Scale (major molecular response).",
                4,
            ),
            _study(ctx, "karyotype", _normal_karyotype(ctx), 10),
        ]
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis, M:E ratio "
            f"{_me_ratio(differential)}:1 and {pct}% blasts; no morphologic evidence of chronic "
            "myeloid leukemia.",
            "No BCR::ABL1 fusion by FISH; BCR::ABL1 transcripts 0.05% on the International Scale "
            "(major molecular response).",
        ]
        diagnosis = _diagnosis(
            lines,
            plain=(
                "Your bone marrow looks normal on treatment, and the leukemia gene change is "
                "now at a very low level. This is a very good response."
            ),
        )
        megakaryocytes, mega_text, fibrosis = "adequate", "Normal number and morphology.", "MF-0"
    else:
        differential = _differential(500, _CHRONIC_MYELOID, blasts=blasts)
        cbc = _cbc(
            ctx,
            hemoglobin_g_dl=10.6,
            wbc_10e9_l=168.0,
            anc_10e9_l=98.0,
            alc_10e9_l=4.1,
            monocytes_10e9_l=3.2,
            platelets_10e9_l=512,
            mcv_fl=88,
            pb_blasts_pct=2,
        )
        smear = (
            "Marked leukocytosis with a left-shifted myeloid series, a myelocyte bulge, "
            "basophilia and eosinophilia; 2% blasts."
        )
        ancillary = [
            _study(ctx, "fish", "BCR::ABL1 dual-fusion FISH: fusion in 94% of 200 nuclei.", 2),
            _study(
                ctx,
                "molecular",
                "BCR::ABL1 p210 transcript (e14a2) detected; 68% on the International Scale.",
                4,
            ),
            _study(ctx, "karyotype", f"46,{ctx.karyotype_sex},t(9;22)(q34.1;q11.2)[20].", 10),
        ]
        lines = [
            f"Chronic myeloid leukemia, BCR::ABL1-positive, chronic phase: {verdict.lower()} "
            f"marrow ({cellularity}%) with granulocytic hyperplasia, M:E ratio "
            f"{_me_ratio(differential)}:1 and {pct}% blasts.",
            "Increased small hypolobated megakaryocytes; reticulin fibrosis MF-1.",
        ]
        diagnosis = _diagnosis(
            lines,
            who=("Chronic myeloid leukaemia", "9875/3"),
            icc="Chronic myeloid leukemia, chronic phase",
            recommendations="Quantitative BCR::ABL1 monitoring on the International Scale "
            "every three months.",
            plain=(
                "Your bone marrow is making far too many white blood cells because of a gene "
                "change called BCR::ABL1. This is chronic myeloid leukemia in its early "
                "(chronic) phase, which usually responds very well to daily tablets."
            ),
        )
        megakaryocytes = "increased"
        mega_text = "Increased small megakaryocytes with hypolobated nuclei ('dwarf' forms)."
        fibrosis = "MF-1"
    return _case(
        _header(
            ctx,
            indication="treatment_monitoring" if followup else "suspected_hematologic_malignancy",
            detail=(
                "Twelve months on imatinib; assessment of response."
                if followup
                else "Marked leukocytosis with left shift and basophilia; splenomegaly."
            ),
            history=history,
            cbc=cbc,
            smear=smear,
            specimens=_FULL_WORKUP,
        ),
        aspirate=_aspirate(
            differential,
            cellularity=verdict.lower(),
            megakaryocytes=megakaryocytes,
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                granulocytic="Orderly maturation."
                if followup
                else "Marked granulocytic hyperplasia with a myelocyte peak, increased eosinophils "
                "and basophils.",
                megakaryocytic=mega_text,
            ),
            iron=_iron(2),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis=fibrosis,
            megakaryocyte_number=megakaryocytes,
            megakaryocytes=mega_text,
            comment=None
            if followup
            else "Widened paratrabecular cuffs of immature granulocytes; "
            "scattered pseudo-Gaucher histiocytes.",
        ),
        stains=[
            _stain("CD34", "positive", max(1, round(float(pct))), "single cells"),
            _reticulin(fibrosis),
        ],
        ancillary=ancillary,
        diagnosis=diagnosis,
    )


def _cll(
    ctx: _Ctx,
    *,
    lymphocytes: int,
    percent: int,
    cellularity: int,
    pattern: Literal["interstitial", "nodular", "diffuse"] = "nodular",
    history: str | None = None,
) -> Json:
    """Chronic lymphocytic leukemia in the marrow before treatment."""
    verdict = _for_age(ctx, cellularity)
    return _case(
        _header(
            ctx,
            indication="suspected_hematologic_malignancy",
            detail="Persistent lymphocytosis with new anemia and thrombocytopenia; marrow "
            "assessment before treatment.",
            history=history,
            cbc=_cbc(
                ctx,
                hemoglobin_g_dl=10.2,
                wbc_10e9_l=48.6,
                anc_10e9_l=3.1,
                alc_10e9_l=43.9,
                monocytes_10e9_l=0.9,
                platelets_10e9_l=96,
                mcv_fl=92,
            ),
            smear="Lymphocytosis of small mature lymphocytes with clumped chromatin and numerous "
            "smudge cells; prolymphocytes under 2%.",
            specimens=_FULL_WORKUP,
        ),
        aspirate=_aspirate(
            _differential(500, _NORMAL, blasts=3, lymphocytes=lymphocytes),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                lymphoid="Small round lymphocytes with clumped 'soccer-ball' chromatin; "
                "occasional prolymphocytes.",
            ),
            iron=_iron(2),
        ),
        core=_core(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
            infiltrate=_infiltrate(
                pattern, percent, "Small lymphocytes with pale proliferation centers."
            ),
        ),
        stains=[
            _stain("CD20", "positive", percent, pattern, "Weak staining of the lymphoid cells."),
            _stain("CD5", "positive", percent, pattern),
            _stain("CD23", "positive", percent, pattern),
            _stain("LEF1", "positive", percent, pattern),
            _stain("Cyclin D1", "negative"),
        ],
        ancillary=[
            _study(
                ctx,
                "flow_cytometry",
                f"Monotypic B cells, {round(lymphocytes / 5 * 0.9)}% "
                "of events: CD5+, CD23+, CD200+, CD20 dim, surface lambda dim, CD10-, FMC7-.",
                1,
            ),
            _study(
                ctx,
                "fish",
                "CLL FISH panel: del(13q14) in 76% of nuclei; no del(17p), del(11q) or trisomy 12.",
                5,
            ),
            _study(
                ctx,
                "molecular",
                "IGHV mutational status: mutated (4.8% deviation from "
                "germline). TP53 sequencing: no mutation.",
                14,
            ),
        ],
        diagnosis=_diagnosis(
            [
                "Bone marrow involved by chronic lymphocytic leukemia/small lymphocytic "
                f"lymphoma, {pattern} pattern, about {percent}% of the marrow space.",
                f"{verdict} marrow ({cellularity}%); residual trilineage hematopoiesis decreased.",
            ],
            who=("Chronic lymphocytic leukaemia/small lymphocytic lymphoma", "9823/3"),
            icc="Chronic lymphocytic leukemia/small lymphocytic lymphoma",
            plain=(
                "Your bone marrow contains many small abnormal lymphocytes. This is chronic "
                "lymphocytic leukemia, a slow-growing blood cancer. The marrow findings help "
                "your doctor decide when and how to treat it."
            ),
        ),
    )


# --- Showcase cases --------------------------------------------------------------------


def _patient(mrn: str, family: str, given: str, born: str, sex: str) -> dict[str, str]:
    return {"mrn": mrn, "family_name": family, "given_names": given, "birth_date": born, "sex": sex}


_PATIENTS: dict[str, dict[str, str]] = {
    "zoe": _patient("MRN0081342", "Łukasiewicz-Nguyễn", "Zoë", "1968-03-14", "female"),
    "olga": _patient("MRN0064417", "Петрова", "Ольга", "1955-09-02", "female"),
    "li": _patient("MRN0093128", "李", "雪", "1979-12-05", "female"),
    "georgios": _patient("MRN0057203", "Παπαδόπουλος", "Γεώργιος", "1961-06-23", "male"),
    "rafael": _patient("MRN0070985", "Ortega", "Rafael", "1957-04-30", "male"),
    "margaret": _patient("MRN0032671", "O'Brien", "Margaret Anne", "1948-07-19", "female"),
    "lukas": _patient("MRN0099514", "Becker", "Lukas", "2001-10-08", "male"),
    "harold": _patient("MRN0021840", "Jenkins", "Harold", "1950-01-27", "male"),
    "bjorg": _patient("MRN0046093", "Ødegård", "Bjørg", "1947-05-11", "female"),
    "walter": _patient("MRN0018836", "Hughes", "Walter James", "1944-08-03", "male"),
    "robert": _patient("MRN0052290", "Washington", "Robert", "1957-12-01", "male"),
    "siobhan": _patient("MRN0075561", "Ní Bhriain", "Siobhán", "1966-02-17", "female"),
    "james": _patient("MRN0038417", "Carter", "James", "1963-09-09", "male"),
    "aisha": _patient("MRN0088702", "Bello", "Aisha", "1991-06-25", "female"),
    "hector": _patient("MRN0029954", "Ramírez", "Héctor", "1952-11-30", "male"),
    "patricia": _patient("MRN0061178", "Nguyen", "Patricia", "1960-04-22", "female"),
    "frank": _patient("MRN0014493", "Müller", "Frank", "1949-03-08", "male"),
    "kenji": _patient("MRN0083025", "Watanabe", "Kenji", "1975-10-14", "male"),
    "michael": _patient("MRN0047716", "Brown", "Michael", "1970-05-05", "male"),
    "linda": _patient("MRN0090347", "Park", "Linda", "1982-12-12", "female"),
    "ahmad": _patient("MRN0036659", "Karimi", "Ahmad", "1965-07-07", "male"),
    "mohammed": _patient("MRN0095872", "Al-Sayed", "Mohammed", "1972-01-19", "male"),
    "chiara": _patient("MRN0066930", "Rossi", "Chiara", "1963-03-28", "female"),
    "emily": _patient("MRN0097261", "Johnson", "Emily", "1988-08-16", "female"),
    "nikolai": _patient("MRN0054408", "Ivanov", "Nikolai", "1958-02-02", "male"),
    "tomas": _patient("MRN0041726", "Delgado", "Tomás", "1959-02-11", "male"),
}


def _ctx(
    accession: str,
    day: date,
    patient: str,
    provider: int,
    *,
    operator: int = 0,
    laterality: str = "right",
    core_mm: float = 18.0,
    copy_to: tuple[int, ...] = (),
) -> _Ctx:
    return _Ctx(
        accession=accession,
        day=day,
        patient=_PATIENTS[patient],
        provider=DEMO_PROVIDERS[provider],
        operator=_OPERATORS[operator],
        laterality=laterality,
        core_mm=core_mm,
        copy_to=tuple(DEMO_PROVIDERS[i] for i in copy_to),
    )


def _final(signer: str) -> DemoStep:
    return DemoStep("sign_final", signer=signer)


def _preliminary(signer: str) -> DemoStep:
    return DemoStep("sign_preliminary", signer=signer)


def _addendum(signer: str, text: str, results: list[Json]) -> DemoStep:
    return DemoStep("addendum", text=text, ancillary=results or None, signer=signer)


def _amend(signer: str, document: Json, category: AmendmentReason, reason: str) -> DemoStep:
    return DemoStep(
        "amend", document=document, reason_category=category.value, reason=reason, signer=signer
    )


_Build = Callable[[str, date], DemoCase]
_SHOWCASE: list[tuple[int, _Build]] = []


def _showcase(days_ago: int) -> Callable[[_Build], _Build]:
    """Register a hand-written case `days_ago` days before today."""

    def register(build: _Build) -> _Build:
        _SHOWCASE.append((days_ago, build))
        return build

    return register


# Zoë Łukasiewicz-Nguyễn: AML with NPM1 mutation -> remission -> relapse -> transplant.


@_showcase(702)
def _zoe_diagnosis(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "zoe", _HEMATOLOGY, copy_to=(_TRANSPLANT,), core_mm=19.0)
    doc = _aml(
        ctx,
        kind="npm1",
        blasts=312,
        cellularity=95,
        history="No prior hematologic disease. Hypothyroidism on levothyroxine.",
    )
    results = _hold_back(doc, day + timedelta(days=4))
    text = (
        "Cytogenetic and molecular results received after sign-out. Karyotype: normal female "
        "karyotype, 46,XX[20]. Myeloid NGS panel: NPM1, DNMT3A and IDH2 mutations; no FLT3, "
        "TP53 or myelodysplasia-related gene mutation. The results support the diagnosis of "
        "acute myeloid leukemia with NPM1 mutation, which is unchanged; the IDH2 mutation is "
        "a potential therapeutic target."
    )
    return DemoCase(doc, (_final("achen"), _addendum("achen", text, results)), "achen", _RESIDENT)


@_showcase(674)
def _zoe_day_28(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "zoe", _HEMATOLOGY, operator=1)
    doc = _aml_remission(
        ctx,
        blasts=9,
        cellularity=25,
        npm1=True,
        when="day 28 after induction chemotherapy (cytarabine and daunorubicin)",
        history="Acute myeloid leukemia with NPM1 mutation (normal karyotype; DNMT3A and IDH2 "
        "co-mutations) diagnosed four weeks ago; 7+3 induction.",
    )
    return DemoCase(doc, (_final("achen"),), "achen")


@_showcase(251)
def _zoe_relapse(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "zoe", _TRANSPLANT, copy_to=(_HEMATOLOGY,))
    doc = _aml(
        ctx,
        kind="npm1",
        blasts=190,
        cellularity=85,
        relapse=True,
        history="AML with NPM1 mutation diagnosed 15 months ago; complete remission after 7+3 "
        "induction and three cycles of high-dose cytarabine; NPM1 transcripts rising for two "
        "months.",
    )
    return DemoCase(doc, (_preliminary("cokafor"), _final("cokafor")), "cokafor")


@_showcase(9)
def _zoe_after_transplant(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "zoe", _TRANSPLANT, operator=2)
    doc = _post_transplant(
        ctx,
        days_after=100,
        disease="acute myeloid leukemia with NPM1 mutation",
        cellularity=40,
        chimerism=98,
        history="AML with NPM1 mutation; relapse eight months ago treated with salvage "
        "chemotherapy, then matched unrelated donor transplant (reduced-intensity conditioning).",
    )
    return DemoCase(doc, (), "achen", _RESIDENT)


# Ольга Петрова: plasma cell myeloma -> after induction -> after autologous transplant.


@_showcase(548)
def _olga_diagnosis(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "olga", _MYELOMA, core_mm=16.0)
    doc = _myeloma(
        ctx,
        plasma_pct=45,
        aspirate_plasma=155,
        light_chain="kappa",
        cellularity=70,
        history="Hypertension. Back pain for four months; T8 compression fracture.",
    )
    results = _hold_back(doc, day + timedelta(days=4))
    text = (
        "Plasma cell FISH and karyotype. FISH (CD138-enriched): IGH::FGFR3 t(4;14) in 82% of "
        "plasma cells and gain of 1q21 in 64%; no TP53 deletion. t(4;14) and 1q gain are "
        "high-risk abnormalities. Karyotype 46,XX[20]: the plasma cell clone was not captured "
        "in metaphases, as is common. The diagnosis is unchanged."
    )
    steps = (_final("slindqvist"), _addendum("cokafor", text, results))
    return DemoCase(doc, steps, "slindqvist")


@_showcase(430)
def _olga_after_induction(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "olga", _MYELOMA, operator=3)
    doc = _myeloma_response(
        ctx,
        plasma_pct=3,
        mrd=0.02,
        cellularity=40,
        when="after four cycles of bortezomib, lenalidomide and dexamethasone",
        history="IgG kappa plasma cell myeloma with t(4;14) and 1q gain, diagnosed four months ago.",
    )
    return DemoCase(doc, (_final("slindqvist"),), "slindqvist")


@_showcase(290)
def _olga_after_transplant(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "olga", _MYELOMA, copy_to=(_TRANSPLANT,))
    when = "day +100 after high-dose melphalan and autologous stem cell transplantation"
    history = (
        "IgG kappa plasma cell myeloma with t(4;14) and 1q gain; very good partial response "
        "to four cycles of VRd; MRD 0.02% before transplant."
    )
    doc = _myeloma_response(ctx, plasma_pct=1, mrd=None, cellularity=35, when=when, history=history)
    corrected = _myeloma_response(
        ctx, plasma_pct=1, mrd=0.004, cellularity=35, when=when, history=history
    )
    reason = (
        "The flow cytometry MRD result was transcribed as 'not detected'; the flow "
        "laboratory report shows residual abnormal plasma cells at 0.004%. MRD result and "
        "diagnosis corrected."
    )
    steps = (
        _final("slindqvist"),
        _amend("slindqvist", corrected, AmendmentReason.REPORT_DEFECT, reason),
    )
    return DemoCase(doc, steps, "slindqvist")


# 李雪: severe aplastic anemia -> response to immunosuppression.


@_showcase(486)
def _li_diagnosis(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "li", _HEMATOLOGY_2, copy_to=(_TRANSPLANT,), core_mm=22.0)
    doc = _aplastic(
        ctx, cellularity=5, history="Previously healthy. No family history of marrow failure."
    )
    results = _hold_back(doc, day + timedelta(days=5))
    text = (
        "Karyotype: normal female karyotype, 46,XX[20], with no clonal abnormality, which "
        "supports aplastic anemia over a hypocellular myelodysplastic neoplasm. The diagnosis "
        "is unchanged."
    )
    return DemoCase(
        doc, (_final("cokafor"), _addendum("cokafor", text, results)), "cokafor", _RESIDENT
    )


@_showcase(300)
def _li_after_treatment(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "li", _HEMATOLOGY_2, operator=1)
    doc = _aplastic(
        ctx,
        cellularity=20,
        after_treatment=True,
        history="Severe aplastic anemia diagnosed six months ago; horse antithymocyte globulin, "
        "cyclosporine and eltrombopag.",
    )
    return DemoCase(doc, (_final("cokafor"),), "cokafor")


# Γεώργιος Παπαδόπουλος: chronic myeloid leukemia -> response to imatinib.


@_showcase(618)
def _georgios_diagnosis(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "georgios", _HEMATOLOGY, operator=2)
    doc = _cml(
        ctx, blasts=9, cellularity=95, history="Type 2 diabetes. Early satiety for two months."
    )
    results = _hold_back(doc, day + timedelta(days=3))
    text = (
        "BCR::ABL1 p210 (e14a2) transcript detected by RT-PCR at 68% on the International "
        "Scale (baseline for monitoring). Karyotype 46,XY,t(9;22)(q34.1;q11.2)[20] with no "
        "additional chromosomal abnormality. The diagnosis is unchanged."
    )
    steps = (_final("slindqvist"), _addendum("slindqvist", text, results))
    return DemoCase(doc, steps, "slindqvist")


@_showcase(250)
def _georgios_on_imatinib(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "georgios", _HEMATOLOGY, operator=2)
    doc = _cml(
        ctx,
        blasts=5,
        cellularity=40,
        followup=True,
        history="Chronic myeloid leukemia, chronic phase, diagnosed 12 months ago; "
        "imatinib 400 mg daily.",
    )
    return DemoCase(doc, (_final("slindqvist"),), "slindqvist", _RESIDENT)


# Rafael Ortega: MDS (amended from IB1 to IB2) -> allogeneic transplant.


@_showcase(433)
def _rafael_diagnosis(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "rafael", _HEMATOLOGY_2, copy_to=(_TRANSPLANT,))
    history = "Coronary artery disease. No prior chemotherapy or radiation."
    # His clone (trisomy 8; RUNX1, STAG2, ASXL1) is the same in both versions: the
    # amendment revises only the Auer rods and what they mean for the diagnosis.
    doc = _mds(ctx, kind="ib1", blasts=40, cellularity=75, history=history, clone="trisomy8")
    corrected = _mds(
        ctx,
        kind="ib2",
        blasts=40,
        cellularity=75,
        auer_rods=True,
        history=history,
        clone="trisomy8",
    )
    reason = (
        "On review of the aspirate for the molecular tumor board, rare blasts with Auer rods "
        "were identified. Under WHO-HAEM5, Auer rods define MDS-IB2; diagnosis and "
        "classification amended."
    )
    steps = (
        _final("achen"),
        _amend("achen", corrected, AmendmentReason.INTERPRETATION_CHANGE, reason),
    )
    return DemoCase(doc, steps, "achen")


@_showcase(160)
def _rafael_after_transplant(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "rafael", _TRANSPLANT, operator=3)
    doc = _post_transplant(
        ctx,
        days_after=100,
        disease="myelodysplastic neoplasm with increased blasts-2",
        cellularity=35,
        chimerism=96,
        history="MDS-IB2 (Auer rods; trisomy 8; RUNX1, STAG2 and ASXL1 mutations); two cycles "
        "of azacitidine, then HLA-matched sibling donor transplant.",
    )
    return DemoCase(doc, (_final("cokafor"),), "cokafor")


# Single cases, oldest first.


@_showcase(596)
def _margaret_iron_deficiency(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "margaret", _MEDICINE, operator=1)
    doc = _normal_marrow(
        ctx,
        setting="anemia",
        cellularity=30,
        iron_grade=0,
        history="Osteoarthritis; long-term naproxen. Colonoscopy pending.",
    )
    return DemoCase(doc, (_final("slindqvist"),), "slindqvist", _RESIDENT)


@_showcase(571)
def _lukas_donor(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "lukas", _TRANSPLANT, operator=2, core_mm=20.0)
    doc = _normal_marrow(ctx, setting="donor", cellularity=75)
    return DemoCase(doc, (_final("cokafor"),), "cokafor")


@_showcase(509)
def _aisha_hodgkin_staging(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "aisha", _LYMPHOMA, laterality="bilateral", core_mm=24.0)
    doc = _lymphoma_staging(
        ctx,
        lymphoma="hodgkin",
        involved=False,
        cellularity=70,
        history="Asthma. B symptoms (night sweats, weight loss).",
    )
    return DemoCase(doc, (_final("slindqvist"),), "slindqvist")


@_showcase(462)
def _siobhan_follicular(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "siobhan", _LYMPHOMA, laterality="left", core_mm=21.0)
    doc = _lymphoma_staging(
        ctx,
        lymphoma="follicular",
        involved=True,
        percent=15,
        cellularity=50,
        history="Painless inguinal lymphadenopathy for a year.",
    )
    return DemoCase(doc, (_final("cokafor"),), "cokafor", _RESIDENT)


@_showcase(377)
def _harold_mds_ib1(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "harold", _HEMATOLOGY_2, operator=3)
    doc = _mds(
        ctx,
        kind="ib1",
        blasts=35,
        cellularity=55,
        history="Chronic kidney disease stage 3. No prior chemotherapy or radiation.",
    )
    return DemoCase(doc, (_final("achen"),), "achen")


@_showcase(344)
def _bjorg_sf3b1(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "bjorg", _HEMATOLOGY, core_mm=17.0)
    doc = _mds(
        ctx,
        kind="sf3b1",
        blasts=8,
        cellularity=45,
        ring_sideroblasts=38,
        sf3b1_known=False,
        history="Red cell transfusions every four weeks for six months.",
    )
    results = _hold_back(doc, day + timedelta(days=5))
    text = (
        "SF3B1 p.(Lys700Glu) mutation detected (VAF 36%) with a subclonal TET2 mutation; "
        "karyotype normal (46,XX[20]). This confirms myelodysplastic neoplasm with low blasts "
        "and SF3B1 mutation (ICC-2022: MDS with mutated SF3B1), the entity already diagnosed "
        "on ring sideroblasts; the diagnosis is unchanged."
    )
    return DemoCase(doc, (_final("cokafor"), _addendum("cokafor", text, results)), "cokafor")


@_showcase(318)
def _walter_aml_mr(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "walter", _HEMATOLOGY_2, operator=1, core_mm=13.0)
    doc = _aml(ctx, kind="mr", blasts=135, cellularity=80)
    _hold_back(doc, day + timedelta(days=11))  # NGS still pending at sign-out
    return DemoCase(doc, (_final("achen"),), "achen")


@_showcase(272)
def _hector_myelofibrosis(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "hector", _HEMATOLOGY, operator=2, core_mm=21.0)
    doc = _myelofibrosis(ctx, cd34_pct=3, history="Gout. Fatigue and early satiety for a year.")
    results = _hold_back(doc, day + timedelta(days=4))
    text = (
        "Driver mutation testing: CALR exon 9 type 1 deletion detected (VAF 42%); JAK2 V617F "
        "and MPL exon 10 mutations not detected. The CALR mutation fulfils the clonality "
        "criterion for primary myelofibrosis; the diagnosis is unchanged."
    )
    return DemoCase(doc, (_final("achen"), _addendum("achen", text, results)), "achen")


@_showcase(228)
def _patricia_metastatic(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "patricia", _ONCOLOGY, operator=3)
    doc = _metastatic(
        ctx,
        primary="breast",
        percent=60,
        cellularity=40,
        history="Invasive lobular carcinoma of the left breast (ER+, PR+, HER2-) "
        "treated six years ago; on letrozole.",
    )
    return DemoCase(doc, (_final("cokafor"),), "cokafor")


@_showcase(205)
def _robert_myeloma(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "robert", _MYELOMA, copy_to=(_MEDICINE,))
    doc = _myeloma(
        ctx,
        plasma_pct=70,
        aspirate_plasma=260,
        light_chain="lambda",
        heavy_chain="IgA",
        cellularity=80,
        history="Acute kidney injury (creatinine 2.9 mg/dL) and hypercalcemia.",
    )
    return DemoCase(doc, (_final("slindqvist"),), "slindqvist")


@_showcase(183)
def _frank_cll(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "frank", _HEMATOLOGY_2, operator=1)
    doc = _cll(
        ctx,
        lymphocytes=310,
        percent=55,
        cellularity=70,
        history="CLL diagnosed on blood flow cytometry four years ago; observation only.",
    )
    return DemoCase(doc, (_final("slindqvist"),), "slindqvist")


@_showcase(148)
def _james_dlbcl(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "james", _LYMPHOMA, core_mm=23.0)
    doc = _lymphoma_staging(
        ctx,
        lymphoma="dlbcl",
        involved=True,
        percent=30,
        cellularity=60,
        history="Rapidly enlarging cervical lymph nodes; LDH twice normal.",
    )
    return DemoCase(doc, (_final("achen"),), "achen")


@_showcase(121)
def _kenji_amended_laterality(accession: str, day: date) -> DemoCase:
    recorded = _ctx(accession, day, "kenji", _MEDICINE, operator=2, laterality="left")
    actual = _ctx(accession, day, "kenji", _MEDICINE, operator=2, laterality="right")
    doc = _normal_marrow(recorded, setting="thrombocytopenia", cellularity=50)
    corrected = _normal_marrow(actual, setting="thrombocytopenia", cellularity=50)
    reason = (
        "Procedure laterality was recorded as left; the procedure note documents a right "
        "posterior iliac crest biopsy. Corrected; findings and diagnosis unchanged."
    )
    steps = (
        _final("cokafor"),
        _amend("cokafor", corrected, AmendmentReason.REPORT_DEFECT, reason),
    )
    return DemoCase(doc, steps, "cokafor")


@_showcase(64)
def _tomas_amended_counts(accession: str, day: date) -> DemoCase:
    """An amendment that changes numbers: 40 blasts had been tallied on the polychromatic
    normoblast key (60 of 500 reported instead of 100, 12% instead of 20%) and the
    platelet count typed as 54 instead of 5; at 20% blasts the diagnosis becomes AML."""
    ctx = _ctx(accession, day, "tomas", _HEMATOLOGY_2, operator=2)
    history = "Type 2 diabetes. No prior chemotherapy or radiation."
    doc = _mds(ctx, kind="ib2", blasts=60, cellularity=80, history=history)
    doc["clinical"]["cbc"]["platelets_10e9_l"] = 54  # the typing error
    corrected = deepcopy(doc)
    corrected["clinical"]["cbc"]["platelets_10e9_l"] = 5
    counts = corrected["aspirate"]["differential"]
    counts["blasts"] += 40
    counts["polychromatic_normoblasts"] -= 40
    pct = _pct(counts["blasts"], sum(counts.values()))
    verdict = _for_age(ctx, 80)
    corrected["diagnosis"] = _diagnosis(
        [
            f"{verdict} marrow (80%) with multilineage dysplasia and {pct}% blasts on a "
            "500-cell differential.",
            "Acute myeloid leukemia, myelodysplasia-related (AML-MR): 20% blasts with "
            "myelodysplasia-related gene mutations (RUNX1, STAG2, ASXL1).",
        ],
        who=("Acute myeloid leukaemia, myelodysplasia-related", "9895/3"),
        icc="AML with myelodysplasia-related gene mutations",
        comment="The blast count on the corrected 500-cell differential (20%) reaches the "
        "threshold for acute myeloid leukemia.",
        recommendations="Urgent hematology review; risk stratification with the molecular "
        "results (ELN 2022).",
        plain="Your bone marrow has too many immature cells called blasts (20 of every 100 "
        "cells) and the maturing cells look abnormal. This is acute myeloid leukemia, a "
        "fast-growing blood cancer. Your care team will talk with you about treatment soon.",
    )
    reason = (
        "Cell-counter transcription error: 40 blasts were tallied on the polychromatic "
        "normoblast key, so blasts were reported as 60 of 500 cells (12%) instead of 100 "
        "(20%), and the platelet count was typed as 54 instead of 5 x10^9/L. Differential, "
        "platelet count, diagnosis and classification corrected: 20% blasts meets the "
        "WHO-HAEM5 threshold for acute myeloid leukemia."
    )
    steps = (_final("achen"), _amend("achen", corrected, AmendmentReason.REPORT_DEFECT, reason))
    return DemoCase(doc, steps, "achen")


@_showcase(95)
def _michael_withdrawn(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "michael", _MEDICINE, operator=1)
    doc = _normal_marrow(ctx, setting="anemia", cellularity=45, iron_grade=2)
    reason = (
        "Issued on the wrong patient: the specimen labels of two patients biopsied in the "
        "same session were interchanged at the bedside. The findings will be reissued under "
        "the correct patient once specimen identity is confirmed."
    )
    steps = (_final("achen"), DemoStep("withdraw", reason=reason, signer="achen"))
    return DemoCase(doc, steps, "achen", _RESIDENT)


@_showcase(40)
def _linda_cancelled_duplicate(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "linda", _HEMATOLOGY, operator=3)
    doc = _normal_marrow(ctx, setting="thrombocytopenia", cellularity=55)
    reason = "Duplicate order: the same specimen was accessioned twice and is reported under the earlier accession."
    return DemoCase(doc, (DemoStep("cancel", reason=reason, signer="slindqvist"),), "slindqvist")


@_showcase(33)
def _ahmad_cancelled_referral(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "ahmad", _HEMATOLOGY_2, operator=1)
    doc = _mds(ctx, kind="ib1", blasts=30, cellularity=60)
    reason = (
        "Slides and blocks referred in full to the patient's treating cancer center at the "
        "clinician's request; the final report will be issued there."
    )
    steps = (_preliminary("cokafor"), DemoStep("cancel", reason=reason, signer="cokafor"))
    return DemoCase(doc, steps, "cokafor")


@_showcase(6)
def _chiara_plasma_cell_neoplasm(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "chiara", _MYELOMA, operator=2)
    doc = _myeloma(
        ctx,
        plasma_pct=18,
        aspirate_plasma=55,
        light_chain="lambda",
        heavy_chain="IgA",
        cellularity=50,
        active=False,
    )
    return DemoCase(doc, (_preliminary("slindqvist"),), "slindqvist")


@_showcase(3)
def _mohammed_acute_leukemia(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "mohammed", _HEMATOLOGY, copy_to=(_TRANSPLANT,))
    doc = _aml(
        ctx,
        kind="unclassified",
        blasts=270,
        cellularity=90,
        history="No prior hematologic disease. Fatigue and gum bleeding for two weeks.",
    )
    return DemoCase(doc, (_preliminary("achen"),), "achen", _RESIDENT)


@_showcase(2)
def _emily_thrombocytopenia(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "emily", _HEMATOLOGY, operator=3)
    doc = _normal_marrow(ctx, setting="thrombocytopenia", cellularity=70)
    return DemoCase(doc, (), "cokafor", _RESIDENT)


@_showcase(1)
def _nikolai_staging(accession: str, day: date) -> DemoCase:
    ctx = _ctx(accession, day, "nikolai", _LYMPHOMA, core_mm=12.0)
    doc = _lymphoma_staging(
        ctx,
        lymphoma="dlbcl",
        involved=False,
        cellularity=40,
        history="Gastric diffuse large B-cell lymphoma on endoscopic biopsy.",
    )
    return DemoCase(doc, (), "achen")


_STRIDES = (3, 1, 4, 2, 5, 1, 3, 2, 6, 1)


def showcase_cases(today: date) -> list[DemoCase]:
    """The hand-written cases, oldest procedure first, with accessions numbered per year
    (BMYY-NNNNN, with gaps as in a real lab) below any number `bulk_cases` uses.

    Results dated after `today` are made pending, so no document reports the future."""
    counters: dict[int, int] = {}
    cases: list[DemoCase] = []
    for index, (days_ago, build) in enumerate(sorted(_SHOWCASE, key=lambda entry: -entry[0])):
        day = today - timedelta(days=days_ago)
        number = counters.get(day.year, 0) + _STRIDES[index % len(_STRIDES)]
        counters[day.year] = number
        case = build(f"BM{day.year % 100:02d}-{number:05d}", day)
        _hold_back(case.document, today)
        for step in case.steps:
            if step.document is not None:
                _hold_back(step.document, today)
        cases.append(case)
    return cases


# --- Bulk cases ------------------------------------------------------------------------

_FEMALE_GIVEN = (
    "Anna", "Chloé", "Dorota", "Elena", "Fatima", "Grace", "Hana", "Ingrid",
    "Mónica", "Noémie", "Olivia", "Priyanka", "Renée", "Sarah", "Yuki", "Zofia",
)  # fmt: skip
_MALE_GIVEN = (
    "Ahmed", "André", "Benjamin", "Carlos", "David", "François", "Hiroshi", "Jörg",
    "Kwame", "Lars", "Miguel", "Omar", "Paweł", "Raúl", "Søren", "William",
)  # fmt: skip
_FAMILY = (
    "Anderson", "Brown", "Chen", "Dubois", "Ferreira", "García", "Hansen", "Jones",
    "Kim", "Kowalski", "López", "Martin", "Müller", "Nguyen", "Novák", "O'Connor",
    "Okafor", "Østergaard", "Patel", "Rossi", "Schmidt", "Tanaka", "Thompson", "Walsh",
    "Wiśniewski", "Yılmaz", "Zhang",
)  # fmt: skip
_BIRTH_ANCHOR = 2025  # fixed, so a bulk patient's birth date does not depend on `today`

_BulkBuild = Callable[[random.Random, _Ctx, int, int], Json]


@dataclass(frozen=True)
class _Template:
    """A diagnosis family for bulk cases: how common it is, who orders it, the patients'
    ages, and how many biopsies a patient may have (stage 0 is the diagnostic marrow,
    later stages follow treatment)."""

    weight: int
    providers: tuple[int, ...]
    build: _BulkBuild
    max_cases: int
    ages: tuple[int, int]


def _cellularity_for_age(rng: random.Random, ctx: _Ctx) -> int:
    return max(10, min(90, 5 * round((100 - ctx.age + rng.randint(-8, 8)) / 5)))


def _bulk_normal(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    setting: NormalSetting = "anemia" if variant % 2 else "thrombocytopenia"
    if ctx.age < 60 and variant % 5 == 0:
        setting = "donor"
    return _normal_marrow(
        ctx,
        setting=setting,
        cellularity=_cellularity_for_age(rng, ctx),
        iron_grade=rng.choice((0, 1, 2, 2, 3, 3, 4, 5)),
    )


def _bulk_aml(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    kind: AmlKind = "npm1" if variant % 3 else "mr"
    if stage == 0 or (stage == 2 and variant % 2):
        return _aml(
            ctx,
            kind=kind,
            blasts=rng.randrange(105, 420),
            cellularity=rng.choice((80, 85, 90, 95)),
            relapse=stage > 0,
            auer_rods=kind == "mr" and rng.random() < 0.25,
        )
    if stage == 1:
        return _aml_remission(
            ctx,
            blasts=rng.randrange(2, 20),
            cellularity=rng.choice((15, 20, 25, 30, 40)),
            when="day 28 after induction chemotherapy",
            npm1=kind == "npm1",
        )
    return _post_transplant(
        ctx,
        days_after=100 if stage == 2 else 365,
        disease="acute myeloid leukemia",
        cellularity=_cellularity_for_age(rng, ctx),
        chimerism=rng.choice((92, 97, 98, 99, 100, 100)),
    )


def _bulk_mds(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    if stage:
        return _post_transplant(
            ctx,
            days_after=100 if stage == 1 else 365,
            disease="myelodysplastic neoplasm",
            cellularity=_cellularity_for_age(rng, ctx),
            chimerism=rng.choice((94, 98, 99, 100)),
        )
    kind: MdsKind = ("ib1", "ib2", "sf3b1")[variant % 3]
    if kind == "ib1":
        blasts, ring = rng.randrange(25, 50), rng.randrange(0, 5)
    elif kind == "ib2":
        blasts, ring = rng.randrange(50, 96), rng.randrange(0, 5)
    else:
        blasts, ring = rng.randrange(2, 20), rng.randrange(15, 61)
    return _mds(
        ctx,
        kind=kind,
        blasts=blasts,
        ring_sideroblasts=ring,
        cellularity=rng.choice(range(40, 95, 5)),
    )


def _bulk_myeloma(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    if stage:
        return _myeloma_response(
            ctx,
            plasma_pct=rng.randrange(1, 5),
            when=(
                "after induction therapy",
                "day +100 after autologous stem cell transplantation",
                "on lenalidomide maintenance",
            )[min(stage, 3) - 1],
            mrd=rng.choice((None, None, 0.003, 0.01, 0.05)),
            cellularity=_cellularity_for_age(rng, ctx),
        )
    plasma = rng.randrange(15, 91)
    return _myeloma(
        ctx,
        plasma_pct=plasma,
        aspirate_plasma=plasma * 5 * rng.randint(50, 90) // 100,
        light_chain="lambda" if variant % 3 == 0 else "kappa",
        heavy_chain=("IgG", "IgG", "IgA")[variant % 3],
        cellularity=rng.choice(range(50, 95, 5)),
        active=plasma >= 20 or variant % 4 != 0,
    )


def _bulk_lymphoma(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    lymphoma: Lymphoma = ("follicular", "dlbcl", "hodgkin")[variant % 3]
    cellularity = _cellularity_for_age(rng, ctx)
    if stage:
        return _lymphoma_staging(
            ctx, lymphoma=lymphoma, involved=False, cellularity=cellularity, end_of_treatment=True
        )
    involved = lymphoma != "hodgkin" and rng.random() < 0.4
    return _lymphoma_staging(
        ctx,
        lymphoma=lymphoma,
        involved=involved,
        percent=rng.randrange(5, 45) if involved else 0,
        cellularity=cellularity,
    )


def _bulk_aplastic(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    if stage:
        return _aplastic(ctx, cellularity=rng.choice((15, 20, 25)), after_treatment=True)
    return _aplastic(ctx, cellularity=rng.choice((5, 5, 10)))


def _bulk_myelofibrosis(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    return _myelofibrosis(
        ctx, cd34_pct=rng.choice((1, 2, 3, 4)), cellularity=rng.choice(range(40, 90, 5))
    )


def _bulk_metastatic(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    primary: Primary = "lung"
    if variant % 3:
        primary = "breast" if ctx.patient["sex"] == "female" else "prostate"
    return _metastatic(
        ctx,
        primary=primary,
        percent=rng.randrange(20, 80),
        cellularity=rng.choice(range(20, 60, 5)),
    )


def _bulk_cml(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    if stage:
        return _cml(
            ctx,
            blasts=rng.randrange(2, 9),
            cellularity=_cellularity_for_age(rng, ctx),
            followup=True,
        )
    return _cml(ctx, blasts=rng.randrange(3, 45), cellularity=rng.choice((90, 95, 100)))


def _bulk_cll(rng: random.Random, ctx: _Ctx, stage: int, variant: int) -> Json:
    lymphocytes = rng.randrange(150, 400)
    return _cll(
        ctx,
        lymphocytes=lymphocytes,
        percent=5 * round(lymphocytes / 25),
        cellularity=rng.choice(range(50, 95, 5)),
        pattern=("interstitial", "nodular", "diffuse")[variant % 3],
    )


_TEMPLATES: tuple[_Template, ...] = (
    _Template(24, (_HEMATOLOGY, _HEMATOLOGY_2, _MEDICINE, _TRANSPLANT), _bulk_normal, 1, (18, 90)),
    _Template(14, (_LYMPHOMA, _ONCOLOGY), _bulk_lymphoma, 2, (20, 85)),
    _Template(12, (_HEMATOLOGY, _TRANSPLANT), _bulk_aml, 4, (25, 80)),
    _Template(12, (_HEMATOLOGY, _HEMATOLOGY_2), _bulk_mds, 3, (50, 90)),
    _Template(12, (_MYELOMA,), _bulk_myeloma, 4, (45, 85)),
    _Template(6, (_HEMATOLOGY_2,), _bulk_cll, 1, (50, 88)),
    _Template(5, (_HEMATOLOGY,), _bulk_cml, 3, (25, 75)),
    _Template(5, (_ONCOLOGY,), _bulk_metastatic, 1, (40, 85)),
    _Template(4, (_HEMATOLOGY,), _bulk_myelofibrosis, 1, (50, 85)),
    _Template(3, (_HEMATOLOGY_2,), _bulk_aplastic, 2, (18, 65)),
)
_TEMPLATE_WEIGHTS = [t.weight for t in _TEMPLATES]

_CLOSED = ("final", "appended", "amended", "entered_in_error", "cancelled")
_CLOSED_WEIGHTS = (80, 9, 5, 1, 1)
_WBC_PARTS = ("wbc_10e9_l", "anc_10e9_l", "alc_10e9_l", "monocytes_10e9_l")
_WHOLE_COUNTS = ("platelets_10e9_l", "reticulocytes_10e9_l")


def _jitter_cbc(doc: Json, rng: random.Random) -> None:
    """Vary the template's blood count a little. The white cell count and its parts move
    together so the differential still adds up; blood blasts stay as the smear text says."""
    cbc = doc["clinical"]["cbc"]
    white = rng.uniform(0.85, 1.15)
    for key, value in cbc.items():
        if key in ("date", "pb_blasts_pct"):
            continue
        factor = white if key in _WBC_PARTS else rng.uniform(0.9, 1.1)
        scaled = value * factor
        if key in _WHOLE_COUNTS:
            cbc[key] = round(scaled)
        else:
            cbc[key] = round(scaled, 1 if scaled >= 1 else 2)


def _bulk_document(
    template: _Template, rng: random.Random, ctx: _Ctx, stage: int, variant: int
) -> Json:
    doc = template.build(rng, ctx, stage, variant)
    _jitter_cbc(doc, rng)
    return doc


def _schedule(rng: random.Random, template: _Template) -> list[tuple[int, int, bool]]:
    """(days before today, stage, still open) for one patient's biopsies, oldest first.
    Only a patient's latest biopsy may be recent and still a draft or preliminary."""
    days = rng.randint(60, 730)
    schedule: list[tuple[int, int, bool]] = []
    for stage in range(rng.randint(1, template.max_cases)):
        if stage:
            days -= rng.randint(28, 150)
        if days < 21:
            break
        schedule.append((days, stage, False))
    if rng.random() < 0.12:
        _, stage, _ = schedule[-1]
        schedule[-1] = (rng.randint(1, 20), stage, True)
    return schedule


def _correct(doc: Json, choice: int) -> tuple[AmendmentReason, str]:
    """Make a plausible correction to a rebuilt copy of a signed document."""
    procedure = doc["procedure"]
    if choice == 0 and procedure["laterality"] in ("left", "right"):
        recorded = procedure["laterality"]
        actual = "left" if recorded == "right" else "right"
        procedure["laterality"] = actual
        return AmendmentReason.REPORT_DEFECT, (
            f"Procedure laterality was recorded as {recorded}; the procedure note documents the "
            f"{actual} side. Corrected; findings and diagnosis unchanged."
        )
    if choice == 1:
        wrong = doc["ordering_provider"]["name"]
        index = _HEMATOLOGY_2 if wrong != DEMO_PROVIDERS[_HEMATOLOGY_2]["name"] else _HEMATOLOGY
        doc["ordering_provider"] = dict(DEMO_PROVIDERS[index])
        return AmendmentReason.REPORT_DEFECT, (
            f"The ordering provider was recorded as {wrong}; the order was placed by "
            f"{DEMO_PROVIDERS[index]['name']}. Corrected; findings and diagnosis unchanged."
        )
    doc["copy_to"] = [*doc.get("copy_to", ()), dict(DEMO_PROVIDERS[_MEDICINE])]
    return AmendmentReason.OTHER, (
        "Copy of the report added for the primary care physician at the ordering clinician's "
        "request; findings and diagnosis unchanged."
    )


def _bulk_steps(
    state: str, signer: str, doc: Json, corrected: Json | None, rng: random.Random
) -> tuple[DemoStep, ...]:
    """The steps that take a new draft to `state`."""
    if state == "draft":
        return ()
    if state == "preliminary":
        return (_preliminary(signer),)
    if state == "cancelled":
        before = (_preliminary(signer),) if rng.random() < 0.5 else ()
        reason = "Duplicate order; the specimen is reported under another accession."
        return (*before, DemoStep("cancel", reason=reason, signer=signer))
    if state == "entered_in_error":
        reason = (
            "Issued on the wrong patient record (specimen mislabelled at the bedside); "
            "withdrawn, to be reissued under the correct patient."
        )
        return (_final(signer), DemoStep("withdraw", reason=reason, signer=signer))
    if state == "amended" and corrected is not None:
        category, reason = _correct(corrected, rng.randrange(3))
        return (_final(signer), _amend(signer, corrected, category, reason))
    if state == "appended":
        day = date.fromisoformat(doc["procedure"]["date"])
        results = _hold_back(doc, day + timedelta(days=5))
        if results:
            return (_final(signer), _addendum(signer, _addendum_text(results), results))
    if rng.random() < 0.1:
        return (_preliminary(signer), _final(signer))
    return (_final(signer),)


def bulk_cases(
    count: int, *, today: date, seed: int = 1, start_number: int = 50000
) -> Iterator[DemoCase]:
    """`count` plausible cases, the same ones for the same arguments, built directly as
    dicts (no deep copies) so that 100,000 take seconds.

    Patients have 1-4 biopsies with MRNs "DM" + 8 digits counted from `start_number`;
    accessions are BMYY-NNNNN per procedure year, also counted from `start_number`, above
    the showcase numbers. Runs with non-overlapping ranges (start_number + count) can be
    loaded into one database without clashes. Most cases are final; the rest are drafts
    and preliminaries (recent), amended, appended, withdrawn and cancelled."""
    rng = random.Random(seed)
    numbers: dict[int, int] = {}
    made = 0
    patients = 0
    while made < count:
        template = rng.choices(_TEMPLATES, weights=_TEMPLATE_WEIGHTS)[0]
        female = rng.random() < 0.5
        low, high = template.ages
        born = date(_BIRTH_ANCHOR - rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))
        patient = _patient(
            f"DM{start_number + patients:08d}",
            rng.choice(_FAMILY),
            rng.choice(_FEMALE_GIVEN if female else _MALE_GIVEN),
            born.isoformat(),
            "female" if female else "male",
        )
        patients += 1
        variant = rng.randrange(60)
        for days_ago, stage, still_open in _schedule(rng, template):
            day = today - timedelta(days=days_ago)
            number = numbers.get(day.year, start_number)
            numbers[day.year] = number + 1
            roll = rng.random()
            ctx = _Ctx(
                accession=f"BM{day.year % 100:02d}-{number:05d}",
                day=day,
                patient=patient,
                provider=DEMO_PROVIDERS[rng.choice(template.providers)],
                operator=rng.choice(_OPERATORS),
                laterality="bilateral" if roll < 0.04 else ("left" if roll < 0.45 else "right"),
                core_mm=float(rng.randint(10, 28)),
            )
            if still_open:
                state = "draft" if rng.random() < 0.6 else "preliminary"
            else:
                state = rng.choices(_CLOSED, weights=_CLOSED_WEIGHTS)[0]
            # An amendment needs the document twice (as signed, then corrected): build both
            # from one seed rather than deep-copying.
            case_seed = rng.getrandbits(32)
            if state == "amended":
                doc = _bulk_document(template, random.Random(case_seed), ctx, stage, variant)
                corrected = _bulk_document(template, random.Random(case_seed), ctx, stage, variant)
            else:
                doc = _bulk_document(template, rng, ctx, stage, variant)
                corrected = None
            signer = rng.choice(DEMO_PATHOLOGISTS)
            steps = _bulk_steps(state, signer, doc, corrected, rng)
            _hold_back(doc, today)
            resident = _RESIDENT if rng.random() < 0.15 else None
            yield DemoCase(doc, steps, signer, resident)
            made += 1
            if made == count:
                return
