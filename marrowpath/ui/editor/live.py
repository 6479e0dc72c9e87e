"""Values computed from what is typed and shown beside the fields (never stored).

Why: the pathologist judges core cellularity against the patient's age ("hypercellular
for age (expected 23-43 %)") and decides whether the blast or plasma cell percentage
needs another source; both need the number the differential or the age gives, while
typing, from the same functions the report prints with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import QLabel

from marrowpath.domain.derived import age_in_years, assess_cellularity, percent
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.types import lenient_date
from marrowpath.ui.editor.fields import get_path


def age_at_procedure(document: dict[str, Any]) -> int | None:
    born = lenient_date(get_path(document, "patient.birth_date"))
    on = lenient_date(get_path(document, "procedure.date"))
    if born is None or on is None or born > on:
        return None
    return age_in_years(born, on)


def cellularity_text(document: dict[str, Any], settings: LabSettings) -> str | None:
    """The verdict for the typed core cellularity; None while there is no valid value."""
    value = get_path(document, "core.cellularity_pct")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        return None
    age = age_at_procedure(document)
    if age is None:
        return "Enter the birth and procedure dates to compare with the age."
    assessment = assess_cellularity(value, age, settings.cellularity_rule)
    if assessment.verdict is None:  # under 1 year (clinical-rules.md section 4)
        return f"Age {age}: {assessment.expected_text}."
    return (
        f"{assessment.verdict.capitalize()} for age {age} "
        f"(expected {assessment.lower}-{assessment.upper} %)"
    )


def differential_share(document: dict[str, Any], category: DifferentialCategory) -> str:
    """ "differential: 12.0 %" for a category, from the valid counts typed so far."""
    counts = get_path(document, "aspirate.differential")
    valid = {
        key: value
        for key, value in (counts.items() if isinstance(counts, dict) else [])
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0
    }
    value = percent(valid.get(category.value, 0), sum(valid.values()))
    return f"differential: {value} %" if value is not None else ""


@dataclass
class Live:
    """The labels that show these values in the form."""

    patient_note: QLabel = field(default_factory=QLabel)
    cellularity: QLabel = field(default_factory=QLabel)
    blasts: QLabel = field(default_factory=QLabel)
    plasma_cells: QLabel = field(default_factory=QLabel)

    def __post_init__(self) -> None:
        for label, name in (
            (self.patient_note, "Patient record"),
            (self.cellularity, "Cellularity for age"),
            (self.blasts, "Blasts in the differential"),
            (self.plasma_cells, "Plasma cells in the differential"),
        ):
            label.setAccessibleName(name)
            label.setWordWrap(True)

    def show(self, document: dict[str, Any], settings: LabSettings) -> None:
        verdict = cellularity_text(document, settings)
        self.cellularity.setText(verdict or "")
        self.cellularity.setVisible(verdict is not None)
        self.blasts.setText(differential_share(document, DifferentialCategory.BLASTS))
        self.plasma_cells.setText(differential_share(document, DifferentialCategory.PLASMA_CELLS))
