"""The pre-sign-out completeness check (reference section 4.3, item 6), without Qt.

Two kinds of item: *required* ones (the service refuses to sign without them, so the
dialog explains and disables signing before the person types a password) and
*recommended* ones (CAP's two "strong" elements, blast percentage and fibrosis grade,
which a case may lack for a reason; a cross there must be acknowledged, not fixed).
"""

from __future__ import annotations

from dataclasses import dataclass

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import CELLULARITY_FIELD, blasts_percent
from marrowpath.domain.enums import AncillaryStatus, FibrosisGrade, label
from marrowpath.domain.labels import field_label, value_at
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.validation import DraftCheck

_SOURCES = {
    "differential": "from the differential",
    "cd34_ihc": "from CD34 immunohistochemistry",
    "cd138_ihc": "from CD138 immunohistochemistry",
    "flow_cytometry": "from flow cytometry",
    "estimate": "estimate",
}


@dataclass(frozen=True)
class Item:
    """One line of the check: what is required, whether it is there, and the value seen."""

    title: str
    met: bool
    detail: str
    required: bool = True
    cap_strong: bool = False

    @property
    def blocks(self) -> bool:
        """Signing is impossible while this item is missing."""
        return self.required and not self.met

    @property
    def needs_acknowledgement(self) -> bool:
        return not self.required and not self.met


def check_items(
    check: DraftCheck, document: CaseDocument | None, settings: LabSettings
) -> list[Item]:
    """Every item, required first where the document cannot be read at all."""
    items = [_required_fields(check, document)]
    if document is not None:
        items += [
            _blasts(document),
            _fibrosis(document),
            _diagnosis(document),
            _adequacy(document),
            _cellularity(document),
            _pending(document),
        ]
    items.append(_lab_identity(settings))
    return items


def _required_fields(check: DraftCheck, document: CaseDocument | None) -> Item:
    title = "Required fields"
    if check.problems:
        broken = "; ".join(str(p) for p in check.problems)
        return Item(title, False, f"Rules broken: {broken}. Correct them in the case first.")
    if check.missing:
        return Item(
            title,
            False,
            f"Missing: {', '.join(check.missing)}. Fill them in and save the case first.",
        )
    if document is None:
        return Item(title, False, "The case cannot be read as a complete report.")
    return Item(title, True, "All required fields are filled in.")


def _blasts(document: CaseDocument) -> Item:
    title = "Blast percentage"
    blasts = blasts_percent(document)
    if blasts is None:
        return Item(
            title,
            False,
            "Not recorded: there is no differential count and no reported blast percentage.",
            required=False,
            cap_strong=True,
        )
    source = _SOURCES.get(blasts.source, blasts.source.replace("_", " "))
    return Item(title, True, f"{blasts.value} % ({source})", required=False, cap_strong=True)


def _fibrosis(document: CaseDocument) -> Item:
    title = "Fibrosis grade"
    core = document.core
    if core is None:
        return Item(title, True, "No core biopsy: not applicable.", required=False, cap_strong=True)
    if core.fibrosis_grade == FibrosisGrade.NOT_ASSESSED:
        return Item(title, False, "Recorded as not assessed.", required=False, cap_strong=True)
    return Item(title, True, core.fibrosis_grade.value, required=False, cap_strong=True)


def _diagnosis(document: CaseDocument) -> Item:
    lines = [line for line in document.diagnosis.lines if line.strip()]
    if not lines:
        return Item("Diagnosis", False, "No diagnosis line.")
    count = f"{len(lines)} line{'s' if len(lines) != 1 else ''}"
    return Item("Diagnosis", True, f"{count}, shown above.")


def _adequacy(document: CaseDocument) -> Item:
    parts: list[str] = []
    if document.aspirate is not None:
        aspirate = document.aspirate
        parts.append(
            f"aspirate {label(aspirate.quality).lower()}, particles "
            f"{label(aspirate.particles).lower()}"
        )
    if document.core is not None:
        core = document.core
        parts.append(f"core {label(core.adequacy).lower()}, {core.length_mm:g} mm")
    if not parts:
        return Item("Specimen adequacy", False, "Neither aspirate nor core is described.")
    text = "; ".join(parts)
    return Item("Specimen adequacy", True, text[:1].upper() + text[1:])


def _cellularity(document: CaseDocument) -> Item:
    parts: list[str] = []
    if document.core is not None:
        unit = field_label(CELLULARITY_FIELD).unit
        parts.append(f"core {value_at(document, CELLULARITY_FIELD)} {unit}")
    if document.aspirate is not None and document.aspirate.cellularity is not None:
        parts.append(f"aspirate {label(document.aspirate.cellularity).lower()}")
    if not parts:
        return Item("Cellularity", False, "Not recorded.", required=False)
    text = "; ".join(parts)
    return Item("Cellularity", True, text[:1].upper() + text[1:], required=False)


def _pending(document: CaseDocument) -> Item:
    pending = [
        label(study.kind).lower()
        for study in document.ancillary or []
        if study.status == AncillaryStatus.PENDING
    ]
    if not pending:
        return Item("Pending studies", True, "None.", required=False)
    return Item(
        "Pending studies",
        True,
        f"{', '.join(pending).capitalize()}: listed as pending on the report.",
        required=False,
    )


def _lab_identity(settings: LabSettings) -> Item:
    missing = settings.identity.missing_for_signing()
    title = "Lab identity"
    if missing:
        words = ", ".join(m.replace("clia_id", "CLIA number") for m in missing)
        return Item(
            title,
            False,
            f"The lab identity has no {words}. An administrator sets it in Administration.",
        )
    return Item(title, True, f"{settings.identity.name}, CLIA {settings.identity.clia_id}")
