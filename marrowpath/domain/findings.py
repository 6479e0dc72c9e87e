"""Checks before sign-out: consistency findings C01-C14 (`clinical-rules.md` section 6).

A finding compares what the pathologist wrote with what the document computes: "MDS-IB2"
signed over 20 % blast equivalents, "hypercellular" for a 78-year-old at 45 %, a molecular
sample received with no molecular result or pending line. Each rule is a small function
with a stable code, a severity, the fields it reads and a message naming the values.

- `discordant`: signing (any channel) is refused until the signer acknowledges the code;
- `review`: shown beside the advisory flags, never blocking.

The API the editor, the sign-out and amendment dialogs and `check` / `sign --acknowledge`
use is `findings(document, settings)`, `blocking(findings, acknowledged)` and
`unknown_codes(codes)`. Rules read the document's JSON form (`measures.py`), so one rule
serves `/1` and `/2` documents, and fields a format lacks are simply absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from marrowpath.domain.aml_minimums import (
    ERYTHROID_ENTITY,
    ERYTHROID_MIN_PCT,
    ICC,
    PRONORMOBLAST_MIN_PCT,
    WHO,
    AmlMinimum,
)
from marrowpath.domain.cellularity import assess_cellularity
from marrowpath.domain.measures import (
    Doc,
    age_at_procedure,
    as_dict,
    blast_equivalents,
    blasts_by_differential,
    blood_blasts,
    counted,
    erythroid_share,
    get,
    highest_plasma_cells,
    items,
    mapping,
    ring_sideroblasts,
    stains_named,
)
from marrowpath.domain.mentions import affirmed_matches, first_named, named, word
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.text import fold_prose
from marrowpath.domain.thresholds import exact, percent_text, round_half_up

Severity = Literal["discordant", "review"]


@dataclass(frozen=True)
class Finding:
    """One finding: the code people acknowledge, its weight, and the sentence they read."""

    code: str
    severity: Severity
    message: str
    fields: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.code} ({self.severity}): {self.message}"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    fields: tuple[str, ...]
    check: Callable[[Doc, LabSettings], str | None]


# ------------------------------------------------------------------ what the text says


def diagnosis_lines(document: Doc) -> list[str]:
    return [line for line in items(document, "diagnosis.lines") if isinstance(line, str)]


def classification(document: Doc) -> list[tuple[str, str]]:
    """(system, term) of each classification entry."""
    return [
        (str(entry.get("system", "")), str(entry.get("term", "")))
        for entry in items(document, "diagnosis.classification")
        if isinstance(entry, dict)
    ]


def diagnosis_texts(document: Doc) -> list[str]:
    """The diagnosis lines and the classification terms: where diagnoses are matched."""
    return diagnosis_lines(document) + [term for _, term in classification(document)]


def final_results(document: Doc) -> list[str]:
    """The text of final ancillary results: where genetic findings are matched."""
    return [
        str(a.get("result") or "")
        for a in items(document, "ancillary")
        if isinstance(a, dict) and a.get("status") == "final"
    ]


ACUTE_TERMS = (
    "acute",
    "lymphoblastic",
    "blast phase",
    "blast crisis",
    "MPAL",
    "myeloid sarcoma",
    "transient abnormal myelopoiesis",
    "BPDCN",
)
AML_PATTERN = (
    r"(?<![a-z0-9])acute (?:[a-z]+ )?(?:myeloid|myelogenous|myeloblastic|promyelocytic|"
    r"erythroid|myelomonocytic|monocytic|monoblastic|megakaryoblastic|basophilic) leuka?emia"
)
# "MDS/AML" (ICC-2022) is not AML
AML_ABBREVIATION = r"(?<![A-Za-z0-9/])AML(?![A-Za-z0-9/])"
PLASMA_CELL_NEOPLASMS = (
    "myeloma",
    "plasma cell",
    "plasmacytoma",
    "MGUS",
    "amyloid",
    "amyloidosis",
    "lymphoplasmacytic",
)


def names_aml(text: str) -> bool:
    return bool(
        affirmed_matches(text, AML_PATTERN)
        or affirmed_matches(text, AML_ABBREVIATION, case_sensitive=True)
    )


def names_acute_leukemia(texts: list[str]) -> bool:
    """An acute leukemia or its equivalent; "AML" and "ALL" only in capitals, and never
    the "AML" of "MDS/AML"."""
    return bool(first_named(texts, ACUTE_TERMS)) or any(
        affirmed_matches(t, AML_ABBREVIATION, case_sensitive=True)
        or named([t], "ALL", case_sensitive=True)
        for t in texts
    )


def blast_equivalents_text(document: Doc) -> str | None:
    """ "20.0 % blast equivalents (100 of 500 cells)" or "(key result, flow cytometry)"."""
    found = blast_equivalents(document)
    if found is None:
        return None
    value, count = found
    text = f"{percent_text(value, 'blast_equivalents')} blast equivalents"
    if count is not None:
        return f"{text} ({count.text()})"
    source = str(get(document, "key_results.blasts_source") or "estimate").replace("_", " ")
    return f"{text} (key result, {source})"


# ------------------------------------------------------------------ C01 and C02: stated numbers

NUMBER = r"(\d+(?:\.\d+)?)"
# "blasts" as a word: "ring sideroblasts 38%" and "erythroblasts 40%" are no blast count
BLAST_FORMS = (
    rf"{NUMBER} ?% ?blasts",
    rf"(?<![a-z])blasts ?{NUMBER} ?%",
    rf"(?<![a-z])blasts of ?{NUMBER} ?%",
    rf"(?<![a-z])blasts ?\( ?{NUMBER} ?%",
    rf"{NUMBER} ?% ?bone marrow blasts",
    rf"{NUMBER} ?% ?myeloblasts",
)
NOT_MARROW_BLASTS = ("blood", "circulating", "peripheral", "cd34", "flow", "immunohistochem", "ihc")
CELLULARITY_FORMS = (
    rf"{NUMBER} ?% ?cellular(?:ity)?(?![a-z])",
    rf"cellularity ?(?:of ?)?{NUMBER} ?%",
    rf"cellular ?(?:marrow ?)?\( ?{NUMBER} ?%",  # "hypercellular marrow (80%", "cellular (80%"
)


def stated_numbers(
    lines: list[str], forms: tuple[str, ...], skip: tuple[str, ...] = ()
) -> list[Fraction]:
    """Numbers stated in one of the forms, leaving out those described by a `skip` word
    in the same clause."""
    found = []
    for line in lines:
        text = fold_prose(line)
        for form in forms:
            for match in re.finditer(form, text):
                clause_start = max(text.rfind(c, 0, match.start()) for c in ",;(")
                after = re.split(r"[,;)]|\.(?!\d)", text[match.end() :])[0]
                window = text[max(clause_start, match.start() - 40) : match.start()] + after
                if skip and any(s in window for s in skip):
                    continue
                found.append(Fraction(match.group(1)))
    return found


def c01_blast_percentage(document: Doc, settings: LabSettings) -> str | None:
    stated = stated_numbers(diagnosis_lines(document), BLAST_FORMS, NOT_MARROW_BLASTS)
    equivalents = blast_equivalents(document)
    if not stated or equivalents is None:
        return None
    typed_blasts = get(document, "key_results.blasts_pct")
    blasts = (
        exact(typed_blasts)
        if isinstance(typed_blasts, int | float)
        else blasts_by_differential(document)
    )
    computed = [v for v in (equivalents[0], blasts) if v is not None]
    for value in stated:
        if all(abs(value - c) > Fraction(1, 2) for c in computed):
            source = "the differential" if equivalents[1] is not None else "the key results"
            return (
                f"the diagnosis says {_number(value)}% blasts; {source} gives "
                f"{blast_equivalents_text(document)}"
            )
    return None


def c02_cellularity(document: Doc, settings: LabSettings) -> str | None:
    recorded = get(document, "core.cellularity_pct")
    if not isinstance(recorded, int):
        return None
    for value in stated_numbers(diagnosis_lines(document), CELLULARITY_FORMS):
        if value != recorded:
            return (
                f"the diagnosis says {_number(value)}% cellularity; the core biopsy records "
                f"{recorded} %"
            )
    return None


def _number(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else str(round_half_up(value, 2).normalize())
    )


# ------------------------------------------------------------------ C03 cellularity for age


def c03_cellularity_for_age(document: Doc, settings: LabSettings) -> str | None:
    recorded = get(document, "core.cellularity_pct")
    age = age_at_procedure(document)
    if not isinstance(recorded, int) or age is None:
        return None
    assessment = assess_cellularity(recorded, age, settings.cellularity_rule)
    if assessment.verdict is None:
        return None
    for said in ("hypocellular", "normocellular", "hypercellular"):
        if said != assessment.verdict and any(
            affirmed_matches(line, word(said)) for line in diagnosis_lines(document)
        ):
            return (
                f"the diagnosis says {said}; {recorded} % at age {age} is "
                f"{assessment.verdict} for age ({assessment.expected_text})"
            )
    return None


# ------------------------------------------------------------------ C04-C06 blast ranges


def _marrow_and_blood(document: Doc) -> tuple[Fraction | None, Fraction | None]:
    equivalents = blast_equivalents(document)
    return (equivalents[0] if equivalents else None), blood_blasts(document)


def _values_text(document: Doc) -> str:
    marrow, blood = _marrow_and_blood(document)
    parts = []
    if marrow is not None:
        parts.append(blast_equivalents_text(document) or "")
    if blood is not None:
        parts.append(f"blood blasts {percent_text(blood, 'pb_blasts')}")
    return " and ".join(parts) or "no blast count"


def c04_acute_leukemia_unnamed(document: Doc, settings: LabSettings) -> str | None:
    marrow, blood = _marrow_and_blood(document)
    if not any(v is not None and v >= 20 for v in (marrow, blood)):
        return None
    if names_acute_leukemia(diagnosis_texts(document)):
        return None
    return f"{_values_text(document)} (20 % or more), and no acute leukemia is named"


def _aml_systems(document: Doc) -> list[tuple[str, str]]:
    """(system, text naming AML): classification entries, or a diagnosis line (system
    "either") when no classification entry names AML."""
    entries = [(s, t) for s, t in classification(document) if names_aml(t) and s in (WHO, ICC)]
    if entries:
        return entries
    lines = [line for line in diagnosis_lines(document) if names_aml(line)]
    if any(names_aml(t) for _, t in classification(document)) or lines:
        return [("either", " ".join(lines + [t for _, t in classification(document)]))]
    return []


def _minimum(
    table: tuple[AmlMinimum, ...], system: str, texts: list[str]
) -> tuple[float, str | None]:
    """The named entity's minimum in a system (no minimum: 0), and the entity."""
    matches = [r for r in table if r.system == system and any(named(texts, n) for n in r.names)]
    if not matches:
        return 20.0, None
    lowest = min(matches, key=lambda r: r.minimum_pct or 0)
    return float(lowest.minimum_pct or 0), lowest.entity


def c05_aml_below_minimum(document: Doc, settings: LabSettings) -> str | None:
    if get(document, "clinical.indication") in (
        "treatment_monitoring",
        "post_transplant_evaluation",
    ):
        return None
    marrow, blood = _marrow_and_blood(document)
    values = [v for v in (marrow, blood) if v is not None]
    if not values:
        return None
    highest = max(values)
    table = settings.aml_minimum_table
    genetics = final_results(document)
    for system, text in _aml_systems(document):
        texts = [text, *genetics]
        if system == "either":
            minimum, entity = min(
                _minimum(table, WHO, texts), _minimum(table, ICC, texts), key=lambda m: m[0]
            )
            system_name = "WHO-HAEM5 and ICC-2022"
        else:
            minimum, entity = _minimum(table, system, texts)
            system_name = system
        if entity == ERYTHROID_ENTITY:
            message = _erythroid_check(document)
            if message:
                return message
            continue
        if highest < minimum:
            named_as = f"AML ({entity})" if entity else "AML"
            return (
                f"{named_as} is named; {_values_text(document)} are below the {minimum:g} % "
                f"minimum in {system_name}"
            )
    return None


def _erythroid_check(document: Doc) -> str | None:
    share = erythroid_share(document)
    if share is not None and share[0] >= ERYTHROID_MIN_PCT and share[1] >= PRONORMOBLAST_MIN_PCT:
        return None
    shown = (
        f"erythroid cells {percent_text(share[0], '')}, pronormoblasts "
        f"{percent_text(share[1], '')} of erythroid cells"
        if share
        else "no erythroid count"
    )
    return (
        f"acute erythroid leukemia is named; {shown} (WHO-HAEM5 needs {ERYTHROID_MIN_PCT} % or "
        f"more erythroid cells with {PRONORMOBLAST_MIN_PCT} % or more pronormoblasts)"
    )


GRADES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("IB1", ("MDS-IB1", "increased blasts-1", "increased blasts 1", "IB1")),
    ("IB2", ("MDS-IB2", "increased blasts-2", "increased blasts 2", "IB2")),
    ("MDS-EB", ("MDS-EB", "MDS with excess blasts", "excess blasts")),
)


def _in(value: Fraction | None, low: int, high: int) -> bool:
    return value is not None and low <= value < high


def _below(value: Fraction | None, high: int) -> bool:
    return value is None or value < high


def grade_supported(
    grade: str, marrow: Fraction | None, blood: Fraction | None, auer: bool
) -> bool:
    """The half-open ranges of WHO-HAEM5 IB1/IB2 and ICC-2022 MDS-EB."""
    if grade == "IB1":
        return (
            (_in(marrow, 5, 10) or _in(blood, 2, 5))
            and _below(marrow, 10)
            and _below(blood, 5)
            and not auer
        )
    if grade == "IB2":
        return (
            (_in(marrow, 10, 20) or _in(blood, 5, 20) or auer)
            and _below(marrow, 20)
            and _below(blood, 20)
        )
    return (_in(marrow, 5, 10) or _in(blood, 2, 10)) and _below(marrow, 10) and _below(blood, 10)


GRADE_RULES = {
    "IB1": "WHO-HAEM5 MDS-IB1: marrow 5 to <10 % or blood 2 to <5 %, no Auer rods",
    "IB2": "WHO-HAEM5 MDS-IB2: marrow 10 to <20 %, blood 5 to <20 % or Auer rods; both <20 %",
    "MDS-EB": "ICC-2022 MDS-EB: marrow 5 to <10 % or blood 2 to <10 %; both <10 %",
}


def c06_mds_grade(document: Doc, settings: LabSettings) -> str | None:
    marrow, blood = _marrow_and_blood(document)
    if marrow is None and blood is None:
        return None
    auer = get(document, "aspirate.auer_rods") is True
    texts = diagnosis_texts(document)
    for grade, forms in GRADES:
        if not any(named(texts, form) for form in forms):
            continue
        if not grade_supported(grade, marrow, blood, auer):
            rods = ", Auer rods" if auer else ""
            return (
                f"the diagnosis names {grade}; {_values_text(document)}{rods} do not support it "
                f"({GRADE_RULES[grade]})"
            )
    return None


# ------------------------------------------------------------------ C07-C14


SAMPLES = {
    "flow_cytometry_sample": ("flow_cytometry",),
    "cytogenetics_sample": ("karyotype", "fish"),
    "molecular_sample": ("molecular",),
}


def _accounted(study: dict[str, Any]) -> bool:
    status = study.get("status")
    if status in ("final", "pending"):
        return True
    return status == "not_performed" and bool(str(study.get("result") or "").strip())


def c07_sample_without_study(document: Doc, settings: LabSettings) -> str | None:
    specimens = items(document, "procedure.specimens")
    studies = [a for a in items(document, "ancillary") if isinstance(a, dict)]
    missing = [
        sample
        for sample, kinds in SAMPLES.items()
        if sample in specimens
        and not any(a.get("kind") in kinds and _accounted(a) for a in studies)
    ]
    if not missing:
        return None
    listed = ", ".join(m.replace("_", " ") for m in missing)
    return (
        f"received {listed} with no study of that kind (final, pending, or not performed "
        "with a reason)"
    )


def c08_plasma_cells_unnamed(document: Doc, settings: LabSettings) -> str | None:
    found = highest_plasma_cells(document)
    if found is None or found[0] < 10:
        return None
    if first_named(diagnosis_texts(document), PLASMA_CELL_NEOPLASMS):
        return None
    return (
        f"plasma cells {percent_text(found[0], 'plasma_cells')} by {found[1]} (10 % or more), and no "
        "plasma cell neoplasm is named"
    )


def _blast_methods(document: Doc) -> list[tuple[str, Fraction]]:
    methods = []
    differential = counted(document, ("blasts",))
    if differential is not None:
        methods.append(("differential", differential.proportion))
    typed = get(document, "key_results.blasts_pct")
    source = get(document, "key_results.blasts_source")
    if isinstance(typed, int | float) and source in ("cd34_ihc", "flow_cytometry"):
        methods.append((str(source).replace("_", " ").replace("ihc", "IHC"), exact(typed)))
    for stain in stains_named(document, "CD34"):
        if isinstance(stain.get("percent"), int | float):
            methods.append(("CD34 stain", exact(stain["percent"])))
    return methods


def c09_blast_methods_disagree(document: Doc, settings: LabSettings) -> str | None:
    methods = _blast_methods(document)
    for i, (name_a, a) in enumerate(methods):
        for name_b, b in methods[i + 1 :]:
            if abs(a - b) > 5 and abs(a - b) > max(a, b) / 2:
                return (
                    f"blasts {percent_text(a, 'blasts')} by {name_a} and {percent_text(b, 'blasts')} by {name_b} "
                    "disagree by more than 5 points and more than half"
                )
    return None


DILUTE = r"(?<![a-z])(?:ha?emo)?dilut|dry tap"


def c10_adequate_but_dilute(document: Doc, settings: LabSettings) -> str | None:
    if get(document, "aspirate.quality") != "adequate":
        return None
    morphology = mapping(document, "aspirate.morphology")
    texts = [str(get(document, "aspirate.comment") or "")] + [
        str(v) for v in morphology.values() if isinstance(v, str)
    ]
    for text in texts:
        if affirmed_matches(text, DILUTE):
            return f'aspirate quality is adequate, but the aspirate text says "{text.strip()}"'
    return None


MEGAKARYOCYTE_STAINS = ("CD61", "CD42b", "CD41")


def c11_megakaryocytes_absent_but_stained(document: Doc, settings: LabSettings) -> str | None:
    absent = [
        where
        for where in ("aspirate", "core")
        if get(document, f"{where}.megakaryocyte_number") == "absent"
    ]
    positive = [
        str(s.get("name"))
        for s in stains_named(document, *MEGAKARYOCYTE_STAINS)
        if s.get("result") == "positive"
    ]
    if not absent or not positive:
        return None
    return f"megakaryocytes absent ({', '.join(absent)}) while {', '.join(positive)} is positive"


def c12_ring_sideroblasts_disagree(document: Doc, settings: LabSettings) -> str | None:
    iron = mapping(document, "aspirate.iron")
    typed = iron.get("ring_sideroblasts_pct")
    ring = ring_sideroblasts(document)
    if not isinstance(typed, int | float) or ring is None or ring.count is None:
        return None
    if round_half_up(typed) == round_half_up(ring.value):
        return None
    return (
        f"ring sideroblasts typed as {round_half_up(typed)} %; counted "
        f"{ring.count.text()} gives {round_half_up(ring.value)} %"
    )


def c13_few_erythroblasts(document: Doc, settings: LabSettings) -> str | None:
    ring = ring_sideroblasts(document)
    if ring is None or ring.erythroblasts is None or ring.erythroblasts >= 100:
        return None
    return (
        f"ring sideroblasts {percent_text(ring.value, 'ring_sideroblasts', ring.count)} reported with "
        f"{ring.erythroblasts} erythroblasts counted (fewer than 100)"
    )


NEOPLASM_WORDS = (
    r"neoplas|leuka?emi|lymphoma|myeloma|carcinoma|malignan|involvement|metasta|tumou?r|"
    r"plasma cell|mastocytosis|sarcoma|disease"
)


def c14_no_evidence_but_infiltrate(document: Doc, settings: LabSettings) -> str | None:
    percent = get(document, "core.infiltrate.percent")
    if not isinstance(percent, int | float) or percent <= 0:
        return None
    for line in diagnosis_lines(document):
        if re.search(rf"no evidence of [^.;]*?(?:{NEOPLASM_WORDS})", fold_prose(line)):
            return (
                f'the diagnosis says "{line.strip()}" while the core records an infiltrate of '
                f"{percent:g} %"
            )
    return None


RULES: tuple[Rule, ...] = (
    Rule(
        "C01",
        "discordant",
        ("diagnosis.lines", "aspirate.differential", "key_results.blasts_pct"),
        c01_blast_percentage,
    ),
    Rule("C02", "discordant", ("diagnosis.lines", "core.cellularity_pct"), c02_cellularity),
    Rule(
        "C03",
        "review",
        ("diagnosis.lines", "core.cellularity_pct", "patient.birth_date", "procedure.date"),
        c03_cellularity_for_age,
    ),
    Rule(
        "C04",
        "discordant",
        (
            "diagnosis",
            "aspirate.differential",
            "key_results.blasts_pct",
            "clinical.cbc.pb_blasts_pct",
        ),
        c04_acute_leukemia_unnamed,
    ),
    Rule(
        "C05",
        "discordant",
        (
            "diagnosis",
            "ancillary",
            "clinical.indication",
            "aspirate.differential",
            "key_results.blasts_pct",
            "clinical.cbc.pb_blasts_pct",
        ),
        c05_aml_below_minimum,
    ),
    Rule(
        "C06",
        "discordant",
        (
            "diagnosis",
            "aspirate.differential",
            "key_results.blasts_pct",
            "clinical.cbc.pb_blasts_pct",
            "aspirate.auer_rods",
        ),
        c06_mds_grade,
    ),
    Rule("C07", "discordant", ("procedure.specimens", "ancillary"), c07_sample_without_study),
    Rule(
        "C08",
        "review",
        ("diagnosis", "aspirate.differential", "key_results.plasma_cells_pct", "stains"),
        c08_plasma_cells_unnamed,
    ),
    Rule(
        "C09",
        "review",
        ("aspirate.differential", "key_results.blasts_pct", "stains"),
        c09_blast_methods_disagree,
    ),
    Rule(
        "C10",
        "review",
        ("aspirate.quality", "aspirate.comment", "aspirate.morphology"),
        c10_adequate_but_dilute,
    ),
    Rule(
        "C11",
        "review",
        ("aspirate.megakaryocyte_number", "core.megakaryocyte_number", "stains"),
        c11_megakaryocytes_absent_but_stained,
    ),
    Rule(
        "C12",
        "discordant",
        (
            "aspirate.iron.ring_sideroblasts_pct",
            "aspirate.iron.ring_sideroblasts",
            "aspirate.iron.erythroblasts_counted",
        ),
        c12_ring_sideroblasts_disagree,
    ),
    Rule(
        "C13",
        "review",
        (
            "aspirate.iron.ring_sideroblasts_pct",
            "aspirate.iron.ring_sideroblasts",
            "aspirate.iron.erythroblasts_counted",
        ),
        c13_few_erythroblasts,
    ),
    Rule(
        "C14",
        "review",
        ("diagnosis.lines", "core.infiltrate.percent"),
        c14_no_evidence_but_infiltrate,
    ),
)
CODES = tuple(rule.code for rule in RULES)


def findings(document: Any, settings: LabSettings) -> list[Finding]:
    """Every finding of a document (a `CaseDocument` or its JSON form) under the settings
    it will be signed with; for an amendment, the amended document."""
    data = as_dict(document)
    found = []
    for rule in RULES:
        message = rule.check(data, settings)
        if message is not None:
            found.append(Finding(rule.code, rule.severity, message, rule.fields))
    return found


def blocking(found: Iterable[Finding], acknowledged: Iterable[str]) -> list[Finding]:
    """The discordant findings not acknowledged: signing is refused while any remain."""
    done = set(acknowledged)
    return [f for f in found if f.severity == "discordant" and f.code not in done]


def unknown_codes(codes: Iterable[str]) -> list[str]:
    """Codes that name no rule (`--acknowledge C99` exits 2)."""
    return [code for code in codes if code not in CODES]
