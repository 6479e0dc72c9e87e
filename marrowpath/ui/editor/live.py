"""Values computed from what is typed and shown beside the fields (never stored).

Why: the pathologist judges core cellularity against the patient's age ("hypercellular
for age (expected 23-43 %)") and decides whether the blast or plasma cell percentage
needs another source; both need the number the differential or the age gives, while
typing, from the same functions the report prints with. A count is an estimate: blasts,
blast equivalents, plasma cells and ring sideroblasts show their exact 95 % interval
while counting (`clinical-rules.md` section 1), so 20 of 100 never reads as 100 of 500.

Each value reads the working document as typed once per change (`read_working`: the case,
or its `DraftDocument` while incomplete, the same reading the advisory flags judge) and
is computed by the domain (`derived`, `concordance`): a value that breaks its rule is
absent here, as in the flags, and validation names it at its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import QLabel

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.concordance import case_concordance
from marrowpath.domain.derived import (
    BLAST_EQUIVALENT_NAMES,
    BLAST_EQUIVALENTS_LABEL,
    DifferentialSummary,
    blast_equivalents_differ,
    cellularity_for_age,
    differential_percent,
    ring_sideroblasts_count,
)
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import DISPLAY_THRESHOLDS, Count, interval_text, shown
from marrowpath.ui.editor.steady import set_text


def cellularity_text(case: CaseDocument, settings: LabSettings) -> str | None:
    """The verdict for the typed core cellularity; None while there is no valid value."""
    found = cellularity_for_age(case, settings)
    if found is None:
        return None
    if found.age is None or found.assessment is None:
        return "Enter the birth and procedure dates to compare with the age."
    assessment = found.assessment
    if assessment.verdict is None:  # under 1 year (clinical-rules.md section 4)
        return f"Age {found.age}: {assessment.expected_text}."
    return (
        f"{assessment.verdict.capitalize()} for age {found.age} "
        f"(expected {assessment.lower}-{assessment.upper} %)"
    )


def estimate_text(count: Count, quantity: str) -> str:
    """ "12.0 % (60 of 500 cells; 95 % CI 9.3-15.2)": value and bounds never shown onto a
    threshold of the quantity."""
    value = shown(count.proportion, DISPLAY_THRESHOLDS.get(quantity, ()))
    return f"{value} % ({count.text()}; 95 % CI {interval_text(count.interval(), quantity)})"


def differential_share(case: CaseDocument, category: DifferentialCategory) -> str:
    """ "differential: 12.0 % (60 of 500 cells; 95 % CI 9.3-15.2)" for a category, from
    the valid counts typed so far."""
    counted = differential_percent(case, (category.value,), category.value)
    if counted is None or counted.count is None:
        return ""
    return f"differential: {estimate_text(counted.count, category.value)}"


def blast_equivalents_share(case: CaseDocument) -> str:
    """Blast equivalents with their interval, only when promonocytes or abnormal
    promyelocytes were counted (otherwise they are the blasts)."""
    if not blast_equivalents_differ(case):
        return ""
    counted = differential_percent(case, BLAST_EQUIVALENT_NAMES, "blast_equivalents")
    if counted is None or counted.count is None:
        return ""
    return f"{BLAST_EQUIVALENTS_LABEL}: {estimate_text(counted.count, 'blast_equivalents')}"


def ring_sideroblasts_share(case: CaseDocument) -> str:
    """Ring sideroblasts of the erythroblasts counted, with the interval (counted, or a
    typed percentage that is a whole number of them: `ring_sideroblasts_count`)."""
    count = ring_sideroblasts_count(case)
    if count is None:
        return ""
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

    def show(self, case: CaseDocument, settings: LabSettings) -> None:
        """Show the values for a working document as read (`validation.read_working`:
        the case, or its draft while incomplete)."""
        verdict = cellularity_text(case, settings)
        set_text(self.cellularity, verdict or "")
        self.cellularity.setVisible(verdict is not None)
        set_text(self.blasts, differential_share(case, DifferentialCategory.BLASTS))
        equivalents = blast_equivalents_share(case)
        set_text(self.blast_equivalents, equivalents)
        self.blast_equivalents.setVisible(bool(equivalents))
        set_text(self.plasma_cells, differential_share(case, DifferentialCategory.PLASMA_CELLS))
        ring = ring_sideroblasts_share(case)
        set_text(self.ring_sideroblasts, ring)
        self.ring_sideroblasts.setVisible(bool(ring))
        set_text(self.second_count, second_count_text(case))

    def counted_labels(self) -> tuple[QLabel, ...]:
        """The labels that follow every counted cell."""
        return (self.blasts, self.blast_equivalents, self.plasma_cells)


def second_count_text(case: CaseDocument) -> str:
    """The second observer's count against the reported differential (`bench.md` 1):
    the verdict and, for blasts and plasma cells, each value with its 95 % interval;
    empty while no second count is typed."""
    found = case_concordance(case)
    return "\n".join(found.lines()) if found is not None else ""
