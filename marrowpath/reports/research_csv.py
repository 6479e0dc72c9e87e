"""The de-identified research export: one CSV row per issued case, discrete values only.

Pure: `ResearchRow`s in (pseudonyms already derived by the service with the lab's
secret), CSV text out. No name, MRN, accession, order or visit number, provider, free
text or exact date is written: the procedure only as its year, the age in whole years
with 90 and over as `90+` (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)). Classification
terms are pick-list words, kept because they are the point of the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import (
    CELLULARITY_FIELD,
    blasts_percent,
    case_age,
    case_cellularity,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.interfaces import ResearchRow
from marrowpath.domain.lifecycle import STATUS_AFTER

# the core's cellularity is named by its field's path (`core_` and the field's name)
CELLULARITY_COLUMN = CELLULARITY_FIELD.replace(".", "_")
COLUMNS = (
    "patient_pseudonym",
    "case_pseudonym",
    "report_status",
    "procedure_year",
    "age_years",
    "sex",
    "indication",
    "who_haem5_term",
    "who_haem5_code",
    "icc_2022_term",
    "icc_2022_code",
    "other_classification_term",
    "other_classification_code",
    "blasts_pct",
    "blasts_source",
    "plasma_cells_pct",
    "plasma_cells_source",
    "me_ratio",
    "cells_counted",
    CELLULARITY_COLUMN,
    "cellularity_for_age",
    "fibrosis_grade",
)
OLDEST_SHOWN = 89  # ages above are shown as "90+"
_SYSTEM_COLUMNS = {
    "WHO-HAEM5": "who_haem5",
    "ICC-2022": "icc_2022",
    "other": "other_classification",
}


def age_text(age: int) -> str:
    return f"{OLDEST_SHOWN + 1}+" if age > OLDEST_SHOWN else str(age)


def research_csv(rows: Iterable[ResearchRow]) -> str:
    """CSV with a header line; rows in the order given."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(research_values(row))
    return out.getvalue()


def research_values(row: ResearchRow) -> dict[str, str]:
    content = row.version.content
    document = content.document
    values = {column: "" for column in COLUMNS}
    values.update(
        patient_pseudonym=row.patient,
        case_pseudonym=row.case,
        report_status=STATUS_AFTER[content.kind].value,
        procedure_year=str(document.procedure.date.year),
        age_years=age_text(case_age(document)),
        sex=document.patient.sex.value,
        indication=document.clinical.indication.value if document.clinical else "",
    )
    values.update(_classification(document))
    for prefix, value in (
        ("blasts", blasts_percent(document)),
        ("plasma_cells", plasma_cells_percent(document)),
    ):
        if value is not None:
            values[f"{prefix}_pct"] = str(value.value)
            values[f"{prefix}_source"] = value.source
    differential = document.aspirate.differential if document.aspirate else None
    if differential is not None:
        summary = summarise_differential(differential, content.settings)
        values["me_ratio"] = str(summary.me_ratio) if summary.me_ratio is not None else ""
        values["cells_counted"] = str(summary.cells_counted)
    assessment = case_cellularity(document, content.settings)
    if assessment is not None:
        values[CELLULARITY_COLUMN] = str(assessment.percent)
        values["cellularity_for_age"] = assessment.verdict or ""
    if document.core is not None:
        values["fibrosis_grade"] = document.core.fibrosis_grade.value
    return {key: _safe_cell(value) for key, value in values.items()}


def _classification(document: CaseDocument) -> dict[str, str]:
    found: dict[str, list[tuple[str, str]]] = {}
    for item in document.diagnosis.classification or []:
        found.setdefault(_SYSTEM_COLUMNS[item.system.value], []).append(
            (item.term, item.code or "")
        )
    values = {}
    for prefix, items in found.items():
        values[f"{prefix}_term"] = " | ".join(term for term, _ in items)
        values[f"{prefix}_code"] = " | ".join(code for _, code in items if code)
    return values


def _safe_cell(value: str) -> str:
    """Text starting like a formula is quoted so a spreadsheet shows, not runs, it."""
    if value and value[0] in "=+-@\t\r" and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
