"""The codes the HL7 and FHIR messages use, in one table that `docs/interfaces.md` lists.

LOINC only where the code was verified against LOINC (33721-2, 48807-2, 11138-5; see
`bone-marrow-reporting.md` section 5.3); everything else is a local code (HL7 coding
system `L`, FHIR system `LOCAL_SYSTEM`), prefixed `MP-` so an interface team can map
it. Enumeration values of the case format (specimens, sites, sources, indications) are
sent as local codes spelt exactly as in `case-format.md`.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "LN"
LOCAL = "L"  # HL7 table 0396: local general code
LOINC_SYSTEM = "http://loinc.org"
LOCAL_SYSTEM = "urn:marrowpath:codes"
UCUM_SYSTEM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class Code:
    code: str
    text: str
    system: str = LOCAL

    @property
    def fhir_system(self) -> str:
        return LOINC_SYSTEM if self.system == LOINC else LOCAL_SYSTEM


REPORT = Code("33721-2", "Bone marrow Pathology biopsy report", LOINC)
ASPIRATE = Code("48807-2", "Bone marrow aspiration report", LOINC)
ME_RATIO = Code("11138-5", "Myeloid cells/Erythroid cells [# ratio] in Bone marrow", LOINC)

DIAGNOSIS = Code("MP-DX", "Diagnosis")
CLASSIFICATION = Code("MP-CLASS", "Diagnosis classification")
DIAGNOSIS_COMMENT = Code("MP-DXCOMMENT", "Diagnosis comment")
RECOMMENDATIONS = Code("MP-RECOMMEND", "Recommendations")
CLINICAL = Code("MP-CLINICAL", "Clinical information")
PROCEDURE = Code("MP-PROCEDURE", "Procedure and specimens")
BLASTS = Code("MP-BLASTS", "Blasts, % of nucleated cells in bone marrow")
PLASMA_CELLS = Code("MP-PLASMA", "Plasma cells, % of nucleated cells in bone marrow")
CELLS_COUNTED = Code("MP-CELLS", "Cells counted in the aspirate differential")
CELLULARITY = Code("MP-CELLULARITY", "Core biopsy cellularity, % of marrow space")
FIBROSIS = Code("MP-FIBROSIS", "Marrow fibrosis grade (EU consensus MF-0 to MF-3)")
CORE = Code("MP-CORE", "Core biopsy (trephine) findings")
STAINS = Code("MP-STAINS", "Immunohistochemistry and special stains")
ANCILLARY = Code("MP-ANCILLARY", "Ancillary studies")
COMMUNICATIONS = Code("MP-COMMUNICATIONS", "Critical result communications")
ADDENDUM = Code("MP-ADDENDUM", "Addendum")
AMENDMENT = Code("MP-AMENDMENT", "Amendment reason")
WITHDRAWAL = Code("MP-WITHDRAWAL", "Withdrawal reason")
CANCELLATION = Code("MP-CANCELLED", "Cancellation reason")
SIGNATURE = Code("MP-SIGNATURE", "Electronic signature")
PDF = Code("MP-PDF", "Report as issued (PDF)")

# Every code a message may carry, in the order `docs/interfaces.md` lists them.
ALL_CODES: tuple[Code, ...] = (
    REPORT,
    ASPIRATE,
    ME_RATIO,
    DIAGNOSIS,
    CLASSIFICATION,
    DIAGNOSIS_COMMENT,
    RECOMMENDATIONS,
    CLINICAL,
    PROCEDURE,
    BLASTS,
    PLASMA_CELLS,
    CELLS_COUNTED,
    CELLULARITY,
    FIBROSIS,
    CORE,
    STAINS,
    ANCILLARY,
    COMMUNICATIONS,
    ADDENDUM,
    AMENDMENT,
    WITHDRAWAL,
    CANCELLATION,
    SIGNATURE,
    PDF,
)

# The FT observation of each text section, by the key of its section in the report's
# content model (`reports/content.py`).
SECTIONS: dict[str, Code] = {
    "clinical": CLINICAL,
    "procedure": PROCEDURE,
    "aspirate": ASPIRATE,
    "core": CORE,
    "stains": STAINS,
    "ancillary": ANCILLARY,
    "communications": COMMUNICATIONS,
}
