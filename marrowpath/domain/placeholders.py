"""The values a text template may name, and how each one reads when filled in.

Why one catalogue: a placeholder is a promise that the words a pathologist wrote in a
template ("fibrosis {fibrosis_grade}") will read exactly as the report prints the
value. So each placeholder is either a field of the case document, whose name and
printed wording are those the model declares (`labels.leaf`: `core.fibrosis_grade`
gives `{fibrosis_grade}`, "Fibrosis grade", "MF-2"), or a value the report derives
(`derived.py`: blast equivalents, the M:E ratio, the verdict for age), declared here
once with its `FieldLabel`. Values are computed by `derived.py`, never here, so a
template says what the report says.

Every value is computed from whatever of the document is valid so far (a draft parsed
by `draft.parse_draft`): a value that cannot be known yet is None and the template shows
it as missing instead of a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import (
    BLAST_EQUIVALENTS_LABEL,
    CELLULARITY_FIELD,
    age_in_years,
    assess_cellularity,
    blast_equivalents_percent,
    blasts_percent,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.labels import leaf, value_at
from marrowpath.domain.meta import FieldLabel
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import interval_text

Compute = Callable[[CaseDocument, LabSettings], str | None]


@dataclass(frozen=True)
class Placeholder:
    """One `{name}` a template may hold: its wording (`label.label`) and its value."""

    name: str
    label: FieldLabel
    compute: Compute

    @property
    def wording(self) -> str:
        return self.label.label

    def value(self, case: CaseDocument, settings: LabSettings) -> str | None:
        return self.compute(case, settings)


# ------------------------------------------------------------------ reading a draft


def _age(case: CaseDocument) -> int | None:
    patient, procedure = case.patient, case.procedure
    born = patient.birth_date if patient is not None else None
    on = procedure.date if procedure is not None else None
    if born is None or on is None or born > on:
        return None
    return age_in_years(born, on)


def _cellularity(case: CaseDocument, settings: LabSettings) -> Any:
    value = value_at(case, _CELLULARITY)
    age = _age(case)
    if value is None or age is None:
        return None
    return assess_cellularity(value, age, settings.cellularity_rule)


def _summary(case: CaseDocument, settings: LabSettings) -> Any:
    aspirate = case.aspirate
    differential = aspirate.differential if aspirate is not None else None
    if differential is None:
        return None
    summary = summarise_differential(differential, settings, _age(case))
    return summary if summary.cells_counted > 0 else None


def _printed(entry: FieldLabel, value: object) -> str | None:
    """A field's value as the report writes it, from its declared format and unit."""
    if value is None:
        return None
    if entry.format == "enum":
        return entry.enum_words(value)
    if entry.format == "grade":
        return f"Grade {value}"
    unit = f" {entry.unit}" if entry.unit else ""
    return f"{value}{unit}"


# ------------------------------------------------------------------ the values


def _plasma_cells_pct(case: CaseDocument, _settings: LabSettings) -> str | None:
    found = plasma_cells_percent(case)
    return found.text if found is not None else None


def _blast_equivalents_pct(case: CaseDocument, _settings: LabSettings) -> str | None:
    found = blast_equivalents_percent(case)
    return found.text if found is not None else None


def _blasts_ci(case: CaseDocument, _settings: LabSettings) -> str | None:
    found = blasts_percent(case)
    if found is None or found.count is None:  # typed, not counted: no counting interval
        return None
    return f"{interval_text(found.count.interval(), 'blasts')} %"


def _cells_counted(case: CaseDocument, settings: LabSettings) -> str | None:
    summary = _summary(case, settings)
    return str(summary.cells_counted) if summary is not None else None


def _me_ratio(case: CaseDocument, settings: LabSettings) -> str | None:
    summary = _summary(case, settings)
    return summary.me_ratio_text if summary is not None and summary.me_ratio else None


def _cellularity_verdict(case: CaseDocument, settings: LabSettings) -> str | None:
    assessment = _cellularity(case, settings)
    return assessment.verdict if assessment is not None else None


def _expected_cellularity(case: CaseDocument, settings: LabSettings) -> str | None:
    assessment = _cellularity(case, settings)
    if assessment is None or assessment.lower is None:
        return None
    return f"{assessment.lower}-{assessment.upper} %"


def _age_text(case: CaseDocument, _settings: LabSettings) -> str | None:
    age = _age(case)
    return str(age) if age is not None else None


# ------------------------------------------------------------------ the catalogue

_CELLULARITY = CELLULARITY_FIELD
_FIBROSIS = "core.fibrosis_grade"
_PLASMA_CELLS = "key_results.plasma_cells_pct"


def _field(path: str, compute: Compute | None = None) -> Placeholder:
    """A placeholder that is a field of the document: named and worded by the model, and
    unless `compute` says otherwise its value is the field's, printed by its format."""
    label = leaf(path).label

    def printed(case: CaseDocument, _settings: LabSettings) -> str | None:
        return _printed(label, value_at(case, path))

    return Placeholder(path.rsplit(".", 1)[-1], label, compute or printed)


def _derived(name: str, label: FieldLabel, compute: Compute) -> Placeholder:
    return Placeholder(name, label, compute)


_ALL = (
    _derived(
        "blast_equivalents_pct",
        FieldLabel(BLAST_EQUIVALENTS_LABEL, format="percent"),
        _blast_equivalents_pct,
    ),
    _derived(
        "blasts_ci",
        FieldLabel("Blasts, 95 % confidence interval (counting error only)", unit="%"),
        _blasts_ci,
    ),
    _derived("cells_counted", FieldLabel("Cells counted", format="whole"), _cells_counted),
    _derived("me_ratio", FieldLabel("M:E ratio"), _me_ratio),
    _field(_CELLULARITY),
    _derived("cellularity_verdict", FieldLabel("Cellularity for age"), _cellularity_verdict),
    _derived(
        "expected_cellularity",
        FieldLabel("Expected cellularity for age", unit="%"),
        _expected_cellularity,
    ),
    _field(_PLASMA_CELLS, _plasma_cells_pct),
    _field(_FIBROSIS),
    _derived("age", FieldLabel("Age at the procedure", unit="years", format="whole"), _age_text),
)

PLACEHOLDERS: Mapping[str, Placeholder] = MappingProxyType({p.name: p for p in _ALL})


def placeholder_values(case: CaseDocument, settings: LabSettings) -> dict[str, str | None]:
    """Every placeholder's value for a (possibly draft) document; None: not known yet."""
    return {name: placeholder.value(case, settings) for name, placeholder in PLACEHOLDERS.items()}
