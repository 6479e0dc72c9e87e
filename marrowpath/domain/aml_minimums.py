"""The blast minimums of acute myeloid leukemia by entity and system, as the lab keeps them
(check C05 of `clinical-rules.md` section 6).

WHO-HAEM5 and ICC-2022 disagree on how many blasts an AML needs, and both depend on the
genetic abnormality that defines the entity. The table is data, not code, so that a lab
can follow a revised classification without a new release: each row names the system,
the defining abnormality, the texts that name it (matched on the folded text, so case
and accents are ignored), and the minimum in percent (None: no minimum).

KMT2A, MECOM and NUP98 count only when rearranged, so their rows name fusions
("::KMT2A") and rearrangements, never the bare gene: KMT2A-PTD names nothing here.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

WHO = "WHO-HAEM5"
ICC = "ICC-2022"
DEFAULT_MINIMUM = 20
# The erythroid entity replaces the blast minimum by erythroid predominance.
ERYTHROID_ENTITY = "erythroid"
ERYTHROID_MIN_PCT = 80
PRONORMOBLAST_MIN_PCT = 30


class AmlMinimum(BaseModel):
    """One row: in `system`, AML defined by `entity` needs `minimum_pct` blasts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str
    entity: str
    names: tuple[str, ...] = Field(min_length=1)
    minimum_pct: float | None = None  # None: no minimum (left out of the canonical JSON)


def _rearranged(gene: str) -> tuple[str, ...]:
    return (f"{gene}::", f"::{gene}", f"{gene} rearrange", f"{gene}-rearrange", f"{gene}-r ")


_WHO_NO_MINIMUM = {
    "PML::RARA": ("PML::RARA", "t(15;17)"),
    "RUNX1::RUNX1T1": ("RUNX1::RUNX1T1", "t(8;21)"),
    "CBFB::MYH11": ("CBFB::MYH11", "inv(16)", "t(16;16)"),
    "DEK::NUP214": ("DEK::NUP214", "t(6;9)"),
    "RBM15::MRTFA": ("RBM15::MRTFA", "t(1;22)"),
    "KMT2A rearrangement": _rearranged("KMT2A"),
    "MECOM rearrangement": _rearranged("MECOM"),
    "NUP98 rearrangement": _rearranged("NUP98"),
    "NPM1 mutation": ("NPM1",),
}
_WHO_TWENTY = {
    "BCR::ABL1": ("BCR::ABL1",),
    "CEBPA mutation": ("CEBPA",),
    "myelodysplasia-related": ("myelodysplasia-related", "myelodysplasia related"),
    "defined by differentiation": (
        "defined by differentiation",
        "minimal differentiation",
        "without maturation",
        "with maturation",
        "myelomonocytic",
        "monocytic",
        "megakaryoblastic",
        "basophilic",
    ),
}
_ICC_TEN = {
    "RARA rearrangement": ("RARA",),
    "RUNX1::RUNX1T1": ("RUNX1::RUNX1T1", "t(8;21)"),
    "CBFB::MYH11": ("CBFB::MYH11", "inv(16)", "t(16;16)"),
    "KMT2A rearrangement": _rearranged("KMT2A"),
    "MECOM rearrangement": _rearranged("MECOM"),
    "DEK::NUP214": ("DEK::NUP214", "t(6;9)"),
    "other rare recurring translocations": (
        "RBM15::MRTFA",
        "rare recurring translocation",
        *_rearranged("NUP98"),
    ),
    "NPM1 mutation": ("NPM1",),
    "in-frame bZIP CEBPA mutation": ("bZIP CEBPA", "CEBPA bZIP", "in-frame bZIP"),
}

DEFAULT_AML_MINIMUMS: tuple[AmlMinimum, ...] = (
    *(
        AmlMinimum(system=WHO, entity=e, names=n, minimum_pct=None)
        for e, n in _WHO_NO_MINIMUM.items()
    ),
    *(AmlMinimum(system=WHO, entity=e, names=n, minimum_pct=20) for e, n in _WHO_TWENTY.items()),
    AmlMinimum(
        system=WHO,
        entity=ERYTHROID_ENTITY,
        names=("erythroid leukemia", "erythroid leukaemia", "erythroleukemia"),
        minimum_pct=None,
    ),
    *(AmlMinimum(system=ICC, entity=e, names=n, minimum_pct=10) for e, n in _ICC_TEN.items()),
)
