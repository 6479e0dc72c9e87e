"""Advisory flags shown before sign-out. They inform; they never change a value.

Thresholds follow `case-format.md` (WHO-HAEM5 and ICC-2022 ranges are named side by
side because the two classifications differ). Each flag judges the value as shown, one
decimal, rounded half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import blast_equivalents_percent, plasma_cells_percent, round_half_up
from marrowpath.domain.enums import AncillaryStatus, AspirateQuality, DifferentialSource
from marrowpath.domain.identity import foreign_letters, mixed_script_words

Severity = Literal["advisory", "strong"]


@dataclass(frozen=True)
class Flag:
    """One advisory: a stable code for tests and interfaces, and the sentence people read."""

    code: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return self.message


def _pct(value: Decimal | float) -> str:
    return f"{round_half_up(value)} %"


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
        value = blasts.value
        shown = _pct(value)
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
    cbc = case.clinical.cbc if case.clinical else None
    if cbc is not None and cbc.pb_blasts_pct is not None:
        pb = round_half_up(cbc.pb_blasts_pct)
        if pb >= 20:
            flags.append(
                Flag("pb_blasts_20", "strong", f"Peripheral blood blasts {pb} % (20 % or more).")
            )
        elif pb >= 2:
            flags.append(
                Flag("pb_blasts_2", "advisory", f"Peripheral blood blasts {pb} % (2 % or more).")
            )
    plasma = plasma_cells_percent(case)
    if plasma is not None and plasma.value >= 10:
        flags.append(
            Flag("plasma_cells_10", "strong", f"Plasma cells {_pct(plasma.value)} (10 % or more).")
        )
    iron = aspirate.iron if aspirate else None
    if iron is not None and iron.ring_sideroblasts_pct is not None:
        ring = round_half_up(iron.ring_sideroblasts_pct)
        if ring >= 15:
            flags.append(
                Flag(
                    "ring_sideroblasts_15",
                    "strong",
                    f"Ring sideroblasts {ring} % of erythroblasts (15 % or more).",
                )
            )
        elif ring >= 5:
            flags.append(
                Flag(
                    "ring_sideroblasts_5",
                    "advisory",
                    f"Ring sideroblasts {ring} % of erythroblasts (5 % or more; "
                    f"correlate with SF3B1).",
                )
            )
    dysplasia = aspirate.dysplasia if aspirate else None
    if dysplasia is not None:
        for lineage in ("erythroid", "granulocytic", "megakaryocytic"):
            value_pct = getattr(dysplasia, f"{lineage}_pct")
            if value_pct is not None and round_half_up(value_pct) >= 10:
                flags.append(
                    Flag(
                        f"dysplasia_{lineage}",
                        "advisory",
                        f"Dysplasia in {_pct(value_pct)} of {lineage} cells (10 % or more).",
                    )
                )
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
