"""Values computed from what is typed and shown beside the fields (never stored).

Why: the pathologist judges core cellularity against the patient's age ("hypercellular
for age (expected 23-43 %)") and decides whether the blast or plasma cell percentage
needs another source; both need the number the differential or the age gives, while
typing, from the same functions the report prints with. A count is an estimate: blasts,
blast equivalents, plasma cells and ring sideroblasts show their exact 95 % interval
while counting (`clinical-rules.md` section 1), so 20 of 100 never reads as 100 of 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import QLabel

from marrowpath.domain.concordance import concordance
from marrowpath.domain.derived import (
    BLAST_EQUIVALENT_NAMES,
    BLAST_EQUIVALENTS_LABEL,
    DifferentialSummary,
    age_in_years,
    assess_cellularity,
)
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import DISPLAY_THRESHOLDS, Count, interval_text, shown
from marrowpath.domain.types import lenient_date, whole_count
from marrowpath.ui.editor.fields import get_path
from marrowpath.ui.editor.steady import set_text


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


def estimate_text(count: Count, quantity: str) -> str:
    """ "12.0 % (60 of 500 cells; 95 % CI 9.3-15.2)": value and bounds never shown onto a
    threshold of the quantity."""
    value = shown(count.proportion, DISPLAY_THRESHOLDS.get(quantity, ()))
    return f"{value} % ({count.text()}; 95 % CI {interval_text(count.interval(), quantity)})"


def _valid_counts(document: dict[str, Any]) -> dict[str, int]:
    counts = get_path(document, "aspirate.differential")
    return {
        key: value
        for key, value in (counts.items() if isinstance(counts, dict) else [])
        if whole_count(value) is not None
    }


def differential_share(document: dict[str, Any], category: DifferentialCategory) -> str:
    """ "differential: 12.0 % (60 of 500 cells; 95 % CI 9.3-15.2)" for a category, from
    the valid counts typed so far."""
    counts = _valid_counts(document)
    total = sum(counts.values())
    if total <= 0:
        return ""
    return f"differential: {estimate_text(Count(counts.get(category.value, 0), total), category.value)}"


def blast_equivalents_share(document: dict[str, Any]) -> str:
    """Blast equivalents with their interval, only when promonocytes or abnormal
    promyelocytes were counted (otherwise they are the blasts)."""
    counts = _valid_counts(document)
    total = sum(counts.values())
    if total <= 0 or not any(counts.get(name) for name in BLAST_EQUIVALENT_NAMES[1:]):
        return ""
    counted = sum(counts.get(name, 0) for name in BLAST_EQUIVALENT_NAMES)
    return f"{BLAST_EQUIVALENTS_LABEL}: {estimate_text(Count(counted, total), 'blast_equivalents')}"


def ring_sideroblasts_share(document: dict[str, Any]) -> str:
    """Ring sideroblasts of the erythroblasts counted, with the interval: from the count
    (`ring_sideroblasts`, case format /2) or from a typed percentage that is a whole
    number of the erythroblasts counted."""
    counted = get_path(document, "aspirate.iron.erythroblasts_counted")
    if not isinstance(counted, int) or isinstance(counted, bool) or counted <= 0:
        return ""
    ring = get_path(document, "aspirate.iron.ring_sideroblasts")
    if not isinstance(ring, int) or isinstance(ring, bool):
        typed = get_path(document, "aspirate.iron.ring_sideroblasts_pct")
        if not isinstance(typed, int | float) or isinstance(typed, bool):
            return ""
        cells = typed * counted / 100
        if abs(cells - round(cells)) > 1e-9:
            return ""
        ring = round(cells)
    if not 0 <= ring <= counted:
        return ""
    count = Count(ring, counted, "erythroblasts")
    return f"ring sideroblasts: {estimate_text(count, 'ring_sideroblasts')}"


def interval_lines(summary: DifferentialSummary) -> list[str]:
    """The differential panel's intervals, short (the cells counted are shown above):
    "Blasts 12.0 % (95 % CI 9.3-15.2)"; blast equivalents when they differ."""
    total = summary.cells_counted
    if total <= 0:
        return []
    by_name = {row.category.value: row.count for row in summary.rows}
    counts = [("Blasts", Count(by_name.get("blasts", 0), total), "blasts")]
    equivalents = summary.blast_equivalents
    if equivalents is not None and equivalents.count is not None:
        counts.append(("Blast equivalents", equivalents.count, "blast_equivalents"))
    counts.append(("Plasma cells", Count(by_name.get("plasma_cells", 0), total), "plasma_cells"))
    lines = []
    for name, count, quantity in counts:
        value = shown(count.proportion, DISPLAY_THRESHOLDS.get(quantity, ()))
        lines.append(f"{name} {value} % (95 % CI {interval_text(count.interval(), quantity)})")
    return lines


@dataclass
class Live:
    """The labels that show these values in the form."""

    patient_note: QLabel = field(default_factory=QLabel)
    cellularity: QLabel = field(default_factory=QLabel)
    blasts: QLabel = field(default_factory=QLabel)
    blast_equivalents: QLabel = field(default_factory=QLabel)
    plasma_cells: QLabel = field(default_factory=QLabel)
    ring_sideroblasts: QLabel = field(default_factory=QLabel)
    second_count: QLabel = field(default_factory=QLabel)

    def __post_init__(self) -> None:
        for label, name in (
            (self.patient_note, "Patient record"),
            (self.cellularity, "Cellularity for age"),
            (self.blasts, "Blasts in the differential"),
            (self.blast_equivalents, "Blast equivalents in the differential"),
            (self.plasma_cells, "Plasma cells in the differential"),
            (self.ring_sideroblasts, "Ring sideroblasts of the erythroblasts counted"),
            (self.second_count, "Concordance of the second count"),
        ):
            label.setAccessibleName(name)
            label.setWordWrap(True)

    def show(self, document: dict[str, Any], settings: LabSettings) -> None:
        verdict = cellularity_text(document, settings)
        set_text(self.cellularity, verdict or "")
        self.cellularity.setVisible(verdict is not None)
        set_text(self.blasts, differential_share(document, DifferentialCategory.BLASTS))
        equivalents = blast_equivalents_share(document)
        set_text(self.blast_equivalents, equivalents)
        self.blast_equivalents.setVisible(bool(equivalents))
        set_text(self.plasma_cells, differential_share(document, DifferentialCategory.PLASMA_CELLS))
        ring = ring_sideroblasts_share(document)
        set_text(self.ring_sideroblasts, ring)
        self.ring_sideroblasts.setVisible(bool(ring))
        set_text(self.second_count, second_count_text(document))

    def counted_labels(self) -> tuple[QLabel, ...]:
        """The labels that follow every counted cell."""
        return (self.blasts, self.blast_equivalents, self.plasma_cells)


def second_count_text(document: dict[str, Any]) -> str:
    """The second observer's count against the reported differential (`bench.md` 1):
    the verdict and, for blasts and plasma cells, each value with its 95 % interval;
    empty while no second count is typed."""
    second = get_path(document, "aspirate.second_count.differential")
    if not isinstance(second, dict) or not second:
        return ""
    first = get_path(document, "aspirate.differential")
    return "\n".join(concordance(first if isinstance(first, dict) else {}, second).lines())
