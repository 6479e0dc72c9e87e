"""Advisory flags shown before sign-out. They inform; they never change a value.

Thresholds follow `case-format.md` and `clinical-rules.md` (WHO-HAEM5 and ICC-2022
ranges are named side by side because the two classifications differ). Each flag judges
the exact value against half-open ranges ("10 to <20"): 99 of 496 blasts (19.96 %) is
not in the AML range, and its message shows "19.9 % (99 of 496 cells)", never "20.0 %".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import blast_equivalents_percent, total_cells
from marrowpath.domain.enums import (
    AncillaryStatus,
    AspirateQuality,
    DifferentialCategory,
    DifferentialSource,
)
from marrowpath.domain.identity import foreign_letters, mixed_script_words
from marrowpath.domain.measures import (
    Doc,
    as_dict,
    blood_blasts,
    counted_blast_equivalents,
    counted_plasma_cells,
    highest_plasma_cells,
    ring_sideroblasts,
)
from marrowpath.domain.thresholds import Count, exact, percent_text, threshold_advisory

Severity = Literal["advisory", "strong"]


@dataclass(frozen=True)
class Flag:
    """One advisory: a stable code for tests and interfaces, and the sentence people read."""

    code: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return self.message


def name_flags(family_name: object, given_names: object) -> list[Flag]:
    """The review flag of a patient name with a word in two look-alike alphabets: shown at
    import, at order intake, in the editor and at sign-out (`identity.py`)."""
    words = [
        word
        for part in (family_name, given_names)
        if isinstance(part, str)
        for word in mixed_script_words(part)
    ]
    if not words:
        return []
    described = "; ".join(f'"{word}" has {foreign_letters(word)}' for word in words)
    return [
        Flag(
            "patient_name_mixed_scripts",
            "strong",
            f"Review the patient name: {described}. Check it against the hospital record; "
            "a look-alike letter makes a second patient.",
        )
    ]


def advisory_flags(case: CaseDocument, *, final_sign_out: bool = False) -> list[Flag]:
    """Every advisory that applies to this case, most important first."""
    patient = getattr(case, "patient", None)  # absent in the editor's partial documents
    flags: list[Flag] = (
        name_flags(patient.family_name, patient.given_names) if patient is not None else []
    )
    aspirate = case.aspirate
    differential = aspirate.differential if aspirate else None
    if differential is not None:
        counted = sum(differential.counts().values())
        if counted < 200:
            flags.append(
                Flag(
                    "cells_counted_below_200",
                    "strong",
                    f"Only {counted} cells counted (below 200).",
                )
            )
        elif counted < 500:
            flags.append(
                Flag(
                    "cells_counted_below_500",
                    "advisory",
                    f"{counted} cells counted (below the recommended 500).",
                )
            )
        source = aspirate.differential_source if aspirate else None
        if (
            aspirate is not None
            and (source in (None, DifferentialSource.ASPIRATE_SMEAR))
            and (aspirate.quality in (AspirateQuality.HEMODILUTE, AspirateQuality.DRY_TAP))
        ):
            flags.append(
                Flag(
                    "differential_on_poor_aspirate",
                    "advisory",
                    f"The differential is from an aspirate smear that is "
                    f"{aspirate.quality.value.replace('_', ' ')}; percentages may "
                    f"not represent the marrow.",
                )
            )
    blasts = blast_equivalents_percent(case)
    if blasts is not None:
        value = blasts.exact
        shown = blasts.text
        if value >= 20:
            flags.append(
                Flag(
                    "blasts_aml_range",
                    "strong",
                    f"Blast equivalents {shown}: AML range (20 % or more) in "
                    f"WHO-HAEM5 and ICC-2022.",
                )
            )
        elif value >= 10:
            flags.append(
                Flag(
                    "blasts_10_19",
                    "strong",
                    f"Blast equivalents {shown}: WHO-HAEM5 MDS-IB2 range; ICC-2022 "
                    f"MDS/AML range (AML when a recurrent genetic abnormality is "
                    f"present).",
                )
            )
        elif value >= 5:
            flags.append(
                Flag(
                    "blasts_5_9",
                    "advisory",
                    f"Blast equivalents {shown}: WHO-HAEM5 MDS-IB1 range; ICC-2022 MDS-EB range.",
                )
            )
    if aspirate is not None and aspirate.auer_rods:
        flags.append(Flag("auer_rods", "strong", "Auer rods present."))
    data = as_dict(case)  # the JSON form, once: the measures read it (`measures.py`)
    flags += _blood_blast_flags(data)
    flags += _plasma_cell_flags(data)
    flags += _interval_advisories(data)
    ring_value = ring_sideroblasts(data)
    if ring_value is not None:
        ring_exact = ring_value.value
        ring = percent_text(ring_exact, "ring_sideroblasts", ring_value.count)
        if ring_exact >= 15:
            flags.append(
                Flag(
                    "ring_sideroblasts_15",
                    "strong",
                    f"Ring sideroblasts {ring} of erythroblasts (15 % or more).",
                )
            )
        elif ring_exact >= 5:
            flags.append(
                Flag(
                    "ring_sideroblasts_5",
                    "advisory",
                    f"Ring sideroblasts {ring} of erythroblasts (5 % or more; "
                    f"correlate with SF3B1).",
                )
            )
        erythroblasts = ring_value.erythroblasts
        if erythroblasts is not None and erythroblasts < 100:
            flags.append(
                Flag(
                    "ring_sideroblasts_few_erythroblasts",
                    "advisory",
                    f"Ring sideroblasts judged on {erythroblasts} erythroblasts (fewer than 100).",
                )
            )
    dysplasia = aspirate.dysplasia if aspirate else None
    if dysplasia is not None:
        for lineage in ("erythroid", "granulocytic", "megakaryocytic"):
            value_pct = getattr(dysplasia, f"{lineage}_pct")
            if value_pct is not None and exact(value_pct) >= 10:
                flags.append(
                    Flag(
                        f"dysplasia_{lineage}",
                        "advisory",
                        f"Dysplasia in {percent_text(value_pct, 'dysplasia')} of {lineage} "
                        "cells (10 % or more).",
                    )
                )
    flags += _other_cells_flags(case)
    core = case.core
    if core is not None:
        # A draft's core may hold one number without the other (`DraftDocument`).
        if core.length_mm is not None and core.length_mm < 15:
            flags.append(
                Flag("core_short", "advisory", f"Core length {core.length_mm:g} mm (below 15 mm).")
            )
        if core.cellularity_pct is not None and core.cellularity_pct <= 25:
            flags.append(
                Flag(
                    "core_cellularity_25",
                    "advisory",
                    f"Core cellularity {core.cellularity_pct} % (25 % or less).",
                )
            )
    if final_sign_out:
        pending = [
            a.kind.value.replace("_", " ")
            for a in case.ancillary or []
            if a.status == AncillaryStatus.PENDING
        ]
        if pending:
            flags.append(
                Flag(
                    "ancillary_pending",
                    "advisory",
                    f"Pending at final sign-out: {', '.join(pending)} (allowed; "
                    f"listed on the report as pending).",
                )
            )
    return flags


def _blood_blast_flags(case: Doc) -> list[Flag]:
    """Peripheral blood blasts: 2, 5 (WHO-HAEM5 MDS-IB2), 10 (ICC-2022 MDS/AML), 20 %."""
    pb = blood_blasts(case)
    if pb is None:
        return []
    shown = percent_text(pb, "pb_blasts")
    if pb >= 20:
        return [Flag("pb_blasts_20", "strong", f"Peripheral blood blasts {shown} (20 % or more).")]
    if pb >= 10:
        return [
            Flag(
                "pb_blasts_10",
                "strong",
                f"Peripheral blood blasts {shown} (10 % or more: ICC-2022 MDS/AML range).",
            )
        ]
    if pb >= 5:
        return [
            Flag(
                "pb_blasts_5",
                "strong",
                f"Peripheral blood blasts {shown} (5 % or more: WHO-HAEM5 MDS-IB2 range).",
            )
        ]
    if pb >= 2:
        return [Flag("pb_blasts_2", "advisory", f"Peripheral blood blasts {shown} (2 % or more).")]
    return []


def _plasma_cell_flags(case: Doc) -> list[Flag]:
    """Plasma cells, the highest of the differential, the key result and CD138."""
    plasma = highest_plasma_cells(case)
    if plasma is None:
        return []
    value, source = plasma
    shown = percent_text(value, "plasma_cells")
    if value >= 60:
        return [
            Flag(
                "plasma_cells_60",
                "strong",
                f"Clonal plasma cells {shown} by {source} (60 % or more: a "
                "myeloma-defining event when clonal).",
            )
        ]
    if value >= 10:
        return [Flag("plasma_cells_10", "strong", f"Plasma cells {shown} (10 % or more).")]
    return []


def _interval_advisories(case: Doc) -> list[Flag]:
    """Counted values whose 95 % interval spans a diagnostic threshold (section 1)."""
    flags = []
    checks: list[tuple[str, str, Count | None]] = [
        ("blast_equivalents", "Blast equivalents", counted_blast_equivalents(case)),
        ("plasma_cells", "Plasma cells", counted_plasma_cells(case)),
    ]
    ring = ring_sideroblasts(case)
    checks.append(("ring_sideroblasts", "Ring sideroblasts", ring.count if ring else None))
    for quantity, label, count in checks:
        text = threshold_advisory(count, quantity, label) if count is not None else None
        if text is not None:
            flags.append(Flag(f"interval_spans_threshold_{quantity}", "advisory", text + "."))
    return flags


def _other_cells_flags(case: CaseDocument) -> list[Flag]:
    """ "Other" cells of 2 % or more need a description (morphology "other" or comment)."""
    aspirate = case.aspirate
    differential = aspirate.differential if aspirate else None
    if aspirate is None or differential is None:
        return []
    total = total_cells(differential)
    other = differential.count(DifferentialCategory.OTHER)
    if total <= 0 or 100 * other < 2 * total:
        return []
    morphology = aspirate.morphology
    described = (morphology is not None and (morphology.other or "").strip()) or (
        "other" in (aspirate.comment or "").lower()
    )
    if described:
        return []
    shown = percent_text(Count(other, total).proportion, "")
    return [
        Flag(
            "other_cells_undescribed",
            "advisory",
            f"Other cells {shown} of the differential with no description in the aspirate "
            "comment or the morphology.",
        )
    ]
