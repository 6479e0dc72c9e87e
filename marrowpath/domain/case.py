"""The case document `marrowpath.case/1` as pydantic models, exactly as `case-format.md`.

These models are the one place where the shape, types and ranges of a case are defined:
the importer, the editor and the command line all validate through them. Cross-field
rules (dates, sources, "at least one of") live in `marrowpath.domain.rules` so that a
draft missing required fields can still be checked for them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from marrowpath.domain.enums import (
    AncillaryKind,
    AncillaryStatus,
    AspirateCellularity,
    AspirateQuality,
    BlastsSource,
    ClassificationSystem,
    Complication,
    CoreAdequacy,
    DifferentialCategory,
    DifferentialSource,
    FibrosisGrade,
    Indication,
    InfiltratePattern,
    Laterality,
    MegakaryocyteNumber,
    Particles,
    PlasmaCellsSource,
    Sedation,
    Sex,
    Site,
    Specimen,
    StainResult,
)
from marrowpath.domain.identity import identifier_problem, name_problem
from marrowpath.domain.types import (
    DIFFERENTIAL_TOTAL_MAX,
    Count,
    DifferentialCount,
    Flag,
    IsoDate,
    IsoDateTime,
    LongText,
    NonEmptyShortText,
    Percent,
    ShortText,
    describe_number,
    input_only,
    number,
)

FORMAT = "marrowpath.case/1"


def _identifier(value: str) -> str:
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _person_name(value: str) -> str:
    problem = name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Accession = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z0-9-]{1,32}$")]
# An MRN holds printable characters only: an invisible character makes a second patient
# who looks exactly like the first (`identity.py`).
Mrn = Annotated[NonEmptyShortText, Field(max_length=32), AfterValidator(input_only(_identifier))]
PersonName = Annotated[NonEmptyShortText, AfterValidator(input_only(_person_name))]
GivenNames = Annotated[ShortText, AfterValidator(input_only(_person_name))]


class Document(BaseModel):
    """Base of every object in the case document: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


class Provider(Document):
    name: NonEmptyShortText
    family_name: ShortText | None = None
    given_names: ShortText | None = None
    id: ShortText | None = None
    organization: ShortText | None = None


class Order(Document):
    placer_order_number: ShortText | None = None
    visit_number: ShortText | None = None


class Patient(Document):
    mrn: Mrn
    family_name: PersonName
    given_names: GivenNames
    birth_date: IsoDate
    sex: Sex


class Cbc(Document):
    date: IsoDate | None = None
    hemoglobin_g_dl: number(1, 25) | None = None  # type: ignore[valid-type]
    wbc_10e9_l: number(0, 500) | None = None  # type: ignore[valid-type]
    anc_10e9_l: number(0, 500) | None = None  # type: ignore[valid-type]
    alc_10e9_l: number(0, 500) | None = None  # type: ignore[valid-type]
    monocytes_10e9_l: number(0, 500) | None = None  # type: ignore[valid-type]
    platelets_10e9_l: number(0, 3000) | None = None  # type: ignore[valid-type]
    mcv_fl: number(50, 150) | None = None  # type: ignore[valid-type]
    reticulocytes_10e9_l: number(0, 1000) | None = None  # type: ignore[valid-type]
    pb_blasts_pct: Percent | None = None


class Clinical(Document):
    indication: Indication
    indication_detail: LongText | None = None
    history: LongText | None = None
    cbc: Cbc | None = None
    blood_smear: LongText | None = None


class Procedure(Document):
    date: IsoDate
    site: Site
    laterality: Laterality
    operator: ShortText | None = None
    sedation: Sedation | None = None
    complications: list[Complication] | None = None
    specimens: Annotated[list[Specimen], Field(min_length=1)]


class Differential(Document):
    """Counts of cells per category; a category not seen may be omitted (counts as 0)."""

    blasts: DifferentialCount | None = None
    promyelocytes: DifferentialCount | None = None
    myelocytes: DifferentialCount | None = None
    metamyelocytes: DifferentialCount | None = None
    bands: DifferentialCount | None = None
    neutrophils: DifferentialCount | None = None
    eosinophils: DifferentialCount | None = None
    basophils: DifferentialCount | None = None
    mast_cells: DifferentialCount | None = None
    promonocytes: DifferentialCount | None = None
    monocytes: DifferentialCount | None = None
    lymphocytes: DifferentialCount | None = None
    plasma_cells: DifferentialCount | None = None
    pronormoblasts: DifferentialCount | None = None
    basophilic_normoblasts: DifferentialCount | None = None
    polychromatic_normoblasts: DifferentialCount | None = None
    orthochromatic_normoblasts: DifferentialCount | None = None
    histiocytes: DifferentialCount | None = None
    other: DifferentialCount | None = None

    @model_validator(mode="after")
    def _total_within_bounds(self, info: ValidationInfo) -> Differential:
        if isinstance(info.context, dict) and info.context.get("stored"):
            return self
        total = sum(self.counts().values())
        if total > DIFFERENTIAL_TOTAL_MAX:
            raise ValueError(
                f"must count at most {DIFFERENTIAL_TOTAL_MAX} cells in total, got "
                f"{describe_number(total)}"
            )
        return self

    def count(self, category: DifferentialCategory) -> int:
        return getattr(self, category.value) or 0

    def counts(self) -> dict[DifferentialCategory, int]:
        """Every category with its count, absent ones as 0, in report order."""
        return {category: self.count(category) for category in DifferentialCategory}


class Morphology(Document):
    erythroid: LongText | None = None
    granulocytic: LongText | None = None
    megakaryocytic: LongText | None = None
    lymphoid: LongText | None = None
    plasma_cells: LongText | None = None
    other: LongText | None = None


class Dysplasia(Document):
    erythroid_pct: Percent | None = None
    granulocytic_pct: Percent | None = None
    megakaryocytic_pct: Percent | None = None


class Iron(Document):
    storage_grade: Annotated[int, Field(strict=True, ge=0, le=6)] | None = None
    ring_sideroblasts_pct: Percent | None = None
    erythroblasts_counted: Count | None = None
    comment: LongText | None = None


class Aspirate(Document):
    quality: AspirateQuality
    particles: Particles
    cellularity: AspirateCellularity | None = None
    differential: Differential | None = None
    differential_source: DifferentialSource | None = None
    megakaryocyte_number: MegakaryocyteNumber | None = None
    morphology: Morphology | None = None
    dysplasia: Dysplasia | None = None
    auer_rods: Flag | None = None
    iron: Iron | None = None
    comment: LongText | None = None


class Infiltrate(Document):
    pattern: InfiltratePattern
    percent: Percent | None = None
    description: LongText | None = None


class Core(Document):
    length_mm: number(0, 50, low_exclusive=True)  # type: ignore[valid-type]
    adequacy: CoreAdequacy
    adequacy_comment: LongText | None = None
    cellularity_pct: Annotated[int, Field(strict=True, ge=0, le=100)]
    megakaryocyte_number: MegakaryocyteNumber | None = None
    megakaryocytes: LongText | None = None
    fibrosis_grade: FibrosisGrade
    collagen: Flag | None = None
    osteosclerosis: Flag | None = None
    infiltrate: Infiltrate | None = None
    bone: LongText | None = None
    comment: LongText | None = None


class KeyResults(Document):
    blasts_pct: Percent | None = None
    blasts_source: BlastsSource | None = None
    plasma_cells_pct: Percent | None = None
    plasma_cells_source: PlasmaCellsSource | None = None


class Stain(Document):
    name: NonEmptyShortText
    result: StainResult
    percent: Percent | None = None
    pattern: ShortText | None = None
    comment: LongText | None = None


class Ancillary(Document):
    kind: AncillaryKind
    status: AncillaryStatus
    result: LongText | None = None
    performed_by: ShortText | None = None
    reported_on: IsoDate | None = None


class Classification(Document):
    system: ClassificationSystem
    term: NonEmptyShortText
    code: ShortText | None = None


class Diagnosis(Document):
    lines: Annotated[list[LongText], Field(min_length=1, max_length=50)]
    classification: list[Classification] | None = None
    comment: LongText | None = None
    recommendations: LongText | None = None
    plain_language: LongText | None = None


class VersionEntry(Document):
    """A version as `export` lists it; accepted and ignored by import."""

    number: Annotated[int, Field(strict=True, ge=1)]
    kind: Literal["preliminary", "final", "amendment", "addendum", "withdrawal"]
    signed_by: ShortText
    signer_name: ShortText | None = None
    signer_credentials: ShortText | None = None
    signed_at: IsoDateTime
    meaning: ShortText | None = None
    reason_category: ShortText | None = None
    reason: LongText | None = None
    addendum_text: LongText | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class CaseDocument(Document):
    """One bone marrow case: the findings a pathologist signs."""

    format: Literal["marrowpath.case/1"]
    accession: Accession
    patient: Patient
    ordering_provider: Provider
    copy_to: Annotated[list[Provider], Field(max_length=20)] | None = None
    order: Order | None = None
    clinical: Clinical | None = None
    procedure: Procedure
    received_at: IsoDateTime | None = None
    aspirate: Aspirate | None = None
    core: Core | None = None
    key_results: KeyResults | None = None
    stains: Annotated[list[Stain], Field(max_length=200)] | None = None
    ancillary: Annotated[list[Ancillary], Field(max_length=50)] | None = None
    diagnosis: Diagnosis
    versions: list[VersionEntry] | None = None

    def findings(self) -> CaseDocument:
        """The document without the export-only `versions` list (what is stored and signed)."""
        return self.model_copy(update={"versions": None})

    def to_json_dict(self) -> dict[str, object]:
        """The document as JSON values, absent fields left out."""
        return self.model_dump(mode="json", exclude_none=True)
