"""The case document `marrowpath.case/2` as pydantic models, exactly as `case-format.md`.

These models are the one place where the shape, types and ranges of a case are defined:
the importer, the editor and the command line all validate through them. Cross-field
rules (dates, sources, "at least one of") live in `marrowpath.domain.rules` so that a
draft missing required fields can still be checked for them.

Documents of `marrowpath.case/1` are upgraded to these models on the way in
(`marrowpath.domain.upgrade`); issued versions keep the document as it was signed.
"""

from __future__ import annotations

from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    create_model,
    model_validator,
)

from marrowpath.domain.enums import (
    AncillaryKind,
    AncillaryStatus,
    AspirateCellularity,
    AspirateQuality,
    BlastsSource,
    ClassificationSystem,
    CommunicationMethod,
    Complication,
    CoreAdequacy,
    CountMethod,
    DifferentialCategory,
    DifferentialSource,
    FibrosisGrade,
    Indication,
    InfiltratePattern,
    Laterality,
    MeasurementUnit,
    MegakaryocyteNumber,
    Particles,
    PlasmaCellsSource,
    Sedation,
    Sex,
    Site,
    Specimen,
    StainResult,
    TherapyKind,
    label,
)
from marrowpath.domain.identity import identifier_problem, name_problem
from marrowpath.domain.meta import SOURCE_WORDS, TEN9, FieldLabel, ListLabel, Place, choice
from marrowpath.domain.types import (
    DIFFERENTIAL_TOTAL_MAX,
    Count,
    DifferentialCount,
    Flag,
    IsoDate,
    IsoDateTime,
    LongText,
    NonEmptyShortText,
    Number,
    Percent,
    ShortText,
    describe_number,
    input_only,
    number,
)

FORMAT = "marrowpath.case/2"
# a finding that is seen or not (collagen, osteosclerosis): the pathologist's words
SEEN = MappingProxyType({"true": "Present", "false": "Absent"})
# The format before /2: import reads it and upgrades it (`upgrade.py`); issued versions
# signed in it keep it.
FORMAT_1 = "marrowpath.case/1"


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
    """Base of every object in the case document: unknown fields are an error.

    `place` says where the object's fields print in the report (`meta.PLACES`); a field
    printed elsewhere says so in its own `FieldLabel`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False, defer_build=True)
    place: ClassVar[Place] = "identification"


class Provider(Document):
    """The ordering provider, and each copy-to recipient (these labels name the first; a
    recipient's are `_RECIPIENT`, on `CaseDocument.copy_to`)."""

    name: Annotated[NonEmptyShortText, FieldLabel("Ordering provider", entry="Name as printed")]
    family_name: Annotated[
        ShortText | None, FieldLabel("Ordering provider, family name", entry="Family name")
    ] = None
    given_names: Annotated[
        ShortText | None, FieldLabel("Ordering provider, given names", entry="Given names")
    ] = None
    id: Annotated[ShortText | None, FieldLabel("Ordering provider, ID", entry="Provider ID")] = None
    organization: Annotated[
        ShortText | None, FieldLabel("Ordering provider, organization", entry="Organization")
    ] = None


# A copy-to recipient's fields, as one of the recipients ("Copy to Dr X: ID").
_RECIPIENT = {
    "name": FieldLabel("", entry="Name as printed"),
    "family_name": FieldLabel("family name", entry="Family name"),
    "given_names": FieldLabel("given names", entry="Given names"),
    "id": FieldLabel("ID"),
    "organization": FieldLabel("organization", entry="Organization"),
}


class Order(Document):
    place = "order"

    placer_order_number: Annotated[
        ShortText | None, FieldLabel("Placer order", entry="Placer order number")
    ] = None
    visit_number: Annotated[ShortText | None, FieldLabel("Visit", entry="Visit number")] = None


class Patient(Document):
    place = "patient"

    mrn: Annotated[Mrn, FieldLabel("MRN", group="identity")]
    family_name: Annotated[
        PersonName,
        FieldLabel(
            "Patient, family name", group="identity", place="patient_name", entry="Family name"
        ),
    ]
    given_names: Annotated[
        GivenNames,
        FieldLabel(
            "Patient, given names",
            group="identity",
            place="patient_name",
            entry="Given names",
            signout=False,
        ),
    ]
    birth_date: Annotated[IsoDate, FieldLabel("Birth date", format="date", group="identity")]
    sex: Annotated[Sex, choice("Sex", group="identity")]


def analyte(label: str, unit: str, **more: object) -> FieldLabel:
    """A blood count value: printed as entered with its unit; the interface text writes
    the unit in ASCII ("x10E9/L") and the editor with spaces ("× 10⁹/L")."""
    spelt = {TEN9: ("× 10⁹/L", "x10E9/L")}.get(unit, (unit, unit))
    return FieldLabel(
        label,
        unit=unit,
        format="number",
        entry_unit=spelt[0],
        wire_unit=spelt[1],
        **more,  # type: ignore[arg-type]
    )


class Cbc(Document):
    """The complete blood count: every value field is one analyte, in the order a
    hematologist reads them (the report's table, the interface text and the editor
    list them in this order)."""

    place = "cbc"

    date: Annotated[
        IsoDate | None, FieldLabel("Complete blood count, date", format="date", entry="CBC date")
    ] = None
    hemoglobin_g_dl: Annotated[
        number(1, 25) | None,  # type: ignore[valid-type]
        analyte("Hemoglobin", "g/dL", wire="Hb"),
    ] = None
    wbc_10e9_l: Annotated[
        number(0, 500) | None,  # type: ignore[valid-type]
        analyte("White blood cells", TEN9, entry="WBC", wire="WBC"),
    ] = None
    anc_10e9_l: Annotated[
        number(0, 500) | None,  # type: ignore[valid-type]
        analyte("Neutrophils (ANC)", TEN9, entry="ANC", wire="ANC"),
    ] = None
    alc_10e9_l: Annotated[
        number(0, 500) | None,  # type: ignore[valid-type]
        analyte("Lymphocytes (ALC)", TEN9, entry="ALC", wire="ALC"),
    ] = None
    monocytes_10e9_l: Annotated[
        number(0, 500) | None,  # type: ignore[valid-type]
        analyte("Monocytes", TEN9, where="blood count", wire="monocytes"),
    ] = None
    platelets_10e9_l: Annotated[
        number(0, 3000) | None,  # type: ignore[valid-type]
        analyte("Platelets", TEN9, wire="platelets"),
    ] = None
    mcv_fl: Annotated[
        number(50, 150) | None,  # type: ignore[valid-type]
        analyte("MCV", "fL"),
    ] = None
    reticulocytes_10e9_l: Annotated[
        number(0, 1000) | None,  # type: ignore[valid-type]
        analyte("Reticulocytes", TEN9, wire="reticulocytes"),
    ] = None
    pb_blasts_pct: Annotated[Percent | None, analyte("Blood blasts", "%", wire="blood blasts")] = (
        None
    )


class Therapy(Document):
    """A period of treatment (`/2`): what and when, so that a marrow is read against it
    (the timeline draws the periods)."""

    place = "clinical"

    name: Annotated[NonEmptyShortText, FieldLabel("Therapy", entry="Name")]
    kind: Annotated[TherapyKind, choice("Therapy, kind", entry="Kind")]
    started_on: Annotated[
        IsoDate, FieldLabel("Therapy, started", format="date", entry="Started on")
    ]
    ended_on: Annotated[
        IsoDate | None, FieldLabel("Therapy, ended", format="date", entry="Ended on")
    ] = None


class Clinical(Document):
    place = "clinical"

    indication: Annotated[Indication, choice("Indication")]
    indication_detail: Annotated[
        LongText | None, FieldLabel("Indication, detail", entry="Indication detail")
    ] = None
    history: Annotated[LongText | None, FieldLabel("History")] = None
    cbc: Cbc | None = None
    blood_smear: Annotated[LongText | None, FieldLabel("Peripheral blood smear")] = None
    therapy: Annotated[
        Annotated[list[Therapy], Field(max_length=50)] | None,
        FieldLabel("Therapy"),
        ListLabel("Therapy", "key", key="name"),
    ] = None


class Procedure(Document):
    """The procedure: its date, site and specimens print in the identification block,
    who performed it and how in the procedure section."""

    place = "procedure"

    date: Annotated[IsoDate, FieldLabel("Procedure date", format="date", place="identification")]
    collected_at: Annotated[
        IsoDateTime | None,
        FieldLabel("Collected", format="datetime", place="identification", entry="Collection time"),
    ] = None
    site: Annotated[Site, choice("Site", place="identification")]
    laterality: Annotated[
        Laterality,
        choice("Laterality", words={"not_applicable": "Not applicable"}, place="identification"),
    ]
    operator: Annotated[ShortText | None, FieldLabel("Performed by", "procedure")] = None
    sedation: Annotated[Sedation | None, choice("Sedation")] = None
    complications: Annotated[
        list[Complication] | None,
        choice("Complications"),
        ListLabel("Complications", "value"),
    ] = None
    specimens: Annotated[
        list[Specimen],
        Field(min_length=1),
        choice("Specimens received", place="identification", entry="Specimens"),
        ListLabel("Specimens received", "value"),
    ]


# A category's name where it differs from its value in words ("mast_cells" -> "Mast
# cells"); the editor's grid names "other" as the row of a count sheet does.
_CATEGORY_LABELS = {
    DifferentialCategory.NEUTROPHILS: FieldLabel("Neutrophils (segmented)"),
    DifferentialCategory.OTHER: FieldLabel("Other cells", entry="Other"),
}


def category_label(category: DifferentialCategory) -> FieldLabel:
    """How a differential category reads (its count prints as "60 of 500 cells")."""
    named = _CATEGORY_LABELS.get(category, FieldLabel(label(category.value)))
    return FieldLabel(named.label, "aspirate differential", format="cells", entry=named.entry_label)


class DifferentialCounts(Document):
    """Counts of cells per category; a category not seen may be omitted (counts as 0).

    Its subclass `Differential` has one field per `DifferentialCategory`, generated, so
    a new category is one line in the enumeration.
    """

    place = "differential"

    @model_validator(mode="after")
    def _total_within_bounds(self, info: ValidationInfo) -> DifferentialCounts:
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
        return getattr(self, category.value, None) or 0

    def counts(self) -> dict[DifferentialCategory, int]:
        """Every category with its count, absent ones as 0, in report order."""
        return {category: self.count(category) for category in DifferentialCategory}


def _second_label(category: DifferentialCategory) -> FieldLabel:
    """A category of the second observer's count: "Blasts (second count)"."""
    return FieldLabel(
        category_label(category).label,
        "second count",
        format="cells",
        entry=category_label(category).entry_label,
    )


if TYPE_CHECKING:
    Differential: TypeAlias = DifferentialCounts
    SecondDifferential: TypeAlias = DifferentialCounts
else:

    def _differential_model(name, labelled):
        return create_model(
            name,
            __base__=DifferentialCounts,
            __module__=__name__,
            **{
                category.value: (
                    Annotated[DifferentialCount | None, labelled(category)],
                    None,
                )
                for category in DifferentialCategory
            },
        )

    Differential = _differential_model("Differential", category_label)
    # the same categories labelled as the second count's, so that a changes table or an
    # editor never confuses them with the differential reported
    SecondDifferential = _differential_model("SecondDifferential", _second_label)


def _morphology(lineage: str) -> FieldLabel:
    return FieldLabel(lineage, "morphology", entry=f"{lineage} morphology")


class Morphology(Document):
    place = "morphology"

    erythroid: Annotated[LongText | None, _morphology("Erythroid")] = None
    granulocytic: Annotated[LongText | None, _morphology("Granulocytic")] = None
    megakaryocytic: Annotated[LongText | None, _morphology("Megakaryocytic")] = None
    lymphoid: Annotated[LongText | None, _morphology("Lymphoid")] = None
    plasma_cells: Annotated[LongText | None, _morphology("Plasma cells")] = None
    other: Annotated[LongText | None, _morphology("Other")] = None


def _dysplasia(lineage: str) -> FieldLabel:
    return FieldLabel(
        f"Dysplasia, {lineage}",
        format="percent",
        entry=f"{lineage.capitalize()} dysplasia",
        entry_unit="%",
    )


class Dysplasia(Document):
    place = "morphology"

    erythroid_pct: Annotated[Percent | None, _dysplasia("erythroid")] = None
    granulocytic_pct: Annotated[Percent | None, _dysplasia("granulocytic")] = None
    megakaryocytic_pct: Annotated[Percent | None, _dysplasia("megakaryocytic")] = None


class Iron(Document):
    place = "morphology"

    storage_grade: Annotated[
        Annotated[int, Field(strict=True, ge=0, le=6)] | None,
        FieldLabel("Storage iron", format="grade", entry_unit="Gale grade 0-6"),
    ] = None
    ring_sideroblasts: Annotated[
        Count | None,
        FieldLabel(
            "Ring sideroblasts counted",
            "iron stain",
            format="whole",
            entry="Ring sideroblasts",
            entry_unit="of the erythroblasts counted",
        ),
    ] = None
    # derived from the counts when both are given (`measures.ring_sideroblasts`); typed
    # as well, it must agree with them to one decimal (`validation.py`)
    ring_sideroblasts_pct: Annotated[
        Percent | None,
        FieldLabel(
            "Ring sideroblasts",
            format="percent",
            entry="Ring sideroblasts %",
            entry_unit="% of erythroblasts",
        ),
    ] = None
    erythroblasts_counted: Annotated[
        Count | None, FieldLabel("Erythroblasts counted", "iron stain", format="whole")
    ] = None
    comment: Annotated[LongText | None, FieldLabel("Iron comment")] = None

    def counted(self) -> bool:
        """Whether the ring sideroblasts were counted (`/2`): the percentage is theirs."""
        return (
            self.ring_sideroblasts is not None
            and bool(self.erythroblasts_counted)
            and self.ring_sideroblasts <= (self.erythroblasts_counted or 0)
        )

    def percent(self) -> Fraction | int | float | None:
        """Ring sideroblasts as % of erythroblasts: exact from the counts when they were
        counted, else as typed; None when neither was recorded."""
        if self.counted():
            return Fraction(100 * (self.ring_sideroblasts or 0), self.erythroblasts_counted or 1)
        return self.ring_sideroblasts_pct


class CountProvenance(Document):
    """How the differential was obtained (`/2`): a count from the bench counter reads
    differently from one typed in or imported, and its times and target are evidence."""

    place = "differential"

    method: Annotated[CountMethod, choice("Count, method", entry="Count method")]
    counted_by: Annotated[ShortText | None, FieldLabel("Counted by")] = None
    started_at: Annotated[
        IsoDateTime | None, FieldLabel("Count started", format="datetime", entry="Started at")
    ] = None
    finished_at: Annotated[
        IsoDateTime | None, FieldLabel("Count finished", format="datetime", entry="Finished at")
    ] = None
    target: Annotated[
        Annotated[int, Field(strict=True, ge=1, le=DIFFERENTIAL_TOTAL_MAX)] | None,
        FieldLabel("Count target", format="whole", unit="cells", entry="Target"),
    ] = None
    smudge_cells: Annotated[
        Count | None,
        FieldLabel("Smudge cells", format="whole", unit="cells", entry="Smudge cells"),
    ] = None


class SecondCount(Document):
    """A second observer's count of the same smear (`/2`, quality control): kept beside
    the differential reported, never summed into it."""

    place = "differential"

    counted_by: Annotated[
        NonEmptyShortText, FieldLabel("Second count, counted by", entry="Counted by")
    ]
    method: Annotated[CountMethod | None, choice("Second count, method", entry="Count method")] = (
        None
    )
    differential: SecondDifferential


class Aspirate(Document):
    place = "aspirate"

    quality: Annotated[AspirateQuality, choice("Quality", "aspirate")]
    particles: Annotated[Particles, choice("Particles", "aspirate")]
    cellularity: Annotated[
        AspirateCellularity | None, choice("Cellularity (smear)", "aspirate", entry="Cellularity")
    ] = None
    differential: Differential | None = None
    differential_source: Annotated[
        DifferentialSource | None,
        choice(
            "Differential source",
            "aspirate",
            place="differential",
        ),
    ] = None
    count: CountProvenance | None = None
    second_count: SecondCount | None = None
    megakaryocyte_number: Annotated[
        MegakaryocyteNumber | None, choice("Megakaryocytes", "aspirate")
    ] = None
    morphology: Morphology | None = None
    dysplasia: Dysplasia | None = None
    auer_rods: Annotated[
        Flag | None,
        FieldLabel(
            "Auer rods",
            format="flag",
            place="morphology",
            words={"true": "Present", "false": "Not seen"},
        ),
    ] = None
    iron: Iron | None = None
    comment: Annotated[
        LongText | None, FieldLabel("Aspirate comment", place="morphology", entry="Comment")
    ] = None


def _patterns_rule(patterns: list[InfiltratePattern]) -> list[InfiltratePattern]:
    """No pattern twice, and `none` only alone (it says there is no infiltrate)."""
    repeated = sorted({p.value for p in patterns if patterns.count(p) > 1})
    if repeated:
        raise ValueError(f"must not repeat a pattern, got {', '.join(repeated)} twice")
    if InfiltratePattern.NONE in patterns and len(patterns) > 1:
        raise ValueError(
            "must be none alone (none says there is no infiltrate), got "
            + ", ".join(p.value for p in patterns)
        )
    return patterns


class Infiltrate(Document):
    place = "core"

    # `/1` had one `pattern`; /2 records several ("nodular and interstitial")
    patterns: Annotated[
        list[InfiltratePattern],
        Field(min_length=1),
        AfterValidator(input_only(_patterns_rule)),
        choice("Infiltrate, pattern", entry="Infiltrate pattern", signout=False),
        ListLabel("Infiltrate, pattern", "value"),
    ]
    percent: Annotated[
        Percent | None,
        FieldLabel(
            "Infiltrate, marrow space", format="percent", entry="Infiltrate extent", entry_unit="%"
        ),
    ] = None
    description: Annotated[
        LongText | None, FieldLabel("Infiltrate, description", entry="Infiltrate description")
    ] = None


class Core(Document):
    place = "core"

    length_mm: Annotated[
        number(0, 50, low_exclusive=True),  # type: ignore[valid-type]
        FieldLabel("Length", "core", unit="mm", format="number"),
    ]
    adequacy: Annotated[CoreAdequacy, choice("Adequacy", "core")]
    adequacy_comment: Annotated[LongText | None, FieldLabel("Adequacy comment", "core")] = None
    cellularity_pct: Annotated[
        int,
        Field(strict=True, ge=0, le=100),
        FieldLabel("Cellularity", "core", unit="%", format="whole"),
    ]
    megakaryocyte_number: Annotated[
        MegakaryocyteNumber | None, choice("Megakaryocytes", "core")
    ] = None
    megakaryocytes: Annotated[
        LongText | None,
        FieldLabel("Megakaryocytes, description", "core", entry="Megakaryocyte description"),
    ] = None
    fibrosis_grade: Annotated[FibrosisGrade, choice("Fibrosis grade")]
    collagen: Annotated[Flag | None, FieldLabel("Collagen", format="flag", words=SEEN)] = None
    osteosclerosis: Annotated[
        Flag | None, FieldLabel("Osteosclerosis", format="flag", words=SEEN)
    ] = None
    infiltrate: Infiltrate | None = None
    bone: Annotated[LongText | None, FieldLabel("Bone")] = None
    comment: Annotated[LongText | None, FieldLabel("Core comment", entry="Comment")] = None


class KeyResults(Document):
    place = "key_results"

    blasts_pct: Annotated[
        Percent | None, FieldLabel("Blasts", "key results", format="percent", entry_unit="%")
    ] = None
    blasts_source: Annotated[
        BlastsSource | None,
        choice("Blasts, source", words=SOURCE_WORDS, entry="Blasts source"),
    ] = None
    plasma_cells_pct: Annotated[
        Percent | None,
        FieldLabel("Plasma cells", "key results", format="percent", entry_unit="%"),
    ] = None
    plasma_cells_source: Annotated[
        PlasmaCellsSource | None,
        choice("Plasma cells, source", words=SOURCE_WORDS, entry="Plasma cells source"),
    ] = None


class Stain(Document):
    place = "stains"

    name: Annotated[NonEmptyShortText, FieldLabel("Stain")]
    result: Annotated[
        StainResult,
        choice(
            "Result",
            # p53-type stains read by pattern, in the words pathologists report them
            words={
                "wild_type_pattern": "Wild-type pattern",
                "aberrant_overexpression": "Aberrant overexpression",
                "aberrant_null": "Aberrant (null) pattern",
            },
        ),
    ]
    # the editor's column reads as the report's: "%" alone did not say of what
    percent: Annotated[Percent | None, FieldLabel("Positive (%)", format="percent")] = None
    pattern: Annotated[ShortText | None, FieldLabel("Pattern")] = None
    comment: Annotated[LongText | None, FieldLabel("Comment")] = None


class Measurement(Document):
    """A number an ancillary study reports (`/2`), plotted on the patient's timeline."""

    place = "ancillary"

    name: Annotated[NonEmptyShortText, FieldLabel("Measurement", entry="Name")]
    value: Annotated[Number, FieldLabel("Measurement, value", format="number", entry="Value")]
    unit: Annotated[
        MeasurementUnit,
        choice(
            "Measurement, unit",
            words={"percent": "%", "vaf_percent": "% VAF", "ratio": "ratio"},
            entry="Unit",
        ),
    ]


class Ancillary(Document):
    place = "ancillary"

    kind: Annotated[AncillaryKind, choice("Study")]
    status: Annotated[
        AncillaryStatus,
        choice(
            "Status",
            words={"pending": "PENDING", "final": "Final", "not_performed": "Not performed"},
        ),
    ]
    result: Annotated[LongText | None, FieldLabel("Result")] = None
    performed_by: Annotated[ShortText | None, FieldLabel("Performed by")] = None
    reported_on: Annotated[IsoDate | None, FieldLabel("Reported", format="date")] = None
    measurements: Annotated[
        Annotated[list[Measurement], Field(max_length=50)] | None,
        FieldLabel("Measurement"),
        ListLabel("Measurement", "key", key="name"),
    ] = None


class Classification(Document):
    place = "diagnosis"

    system: Annotated[ClassificationSystem, FieldLabel("system", group="diagnosis", entry="System")]
    term: Annotated[NonEmptyShortText, FieldLabel("", group="diagnosis", entry="Term")]
    code: Annotated[ShortText | None, FieldLabel("code", group="diagnosis", entry="Code")] = None


class Diagnosis(Document):
    place = "diagnosis"

    lines: Annotated[
        list[LongText],
        Field(min_length=1, max_length=50),
        FieldLabel("Diagnosis, line", group="diagnosis", entry="Diagnosis"),
        ListLabel("Diagnosis, line", "position", numbered=True),
    ]
    classification: Annotated[
        list[Classification] | None,
        FieldLabel("Classification", group="diagnosis"),
        ListLabel("Classification,", "key", key="system"),
    ] = None
    comment: Annotated[
        LongText | None,
        FieldLabel("Comment", "diagnosis", place="diagnosis_notes", entry="Diagnosis comment"),
    ] = None
    recommendations: Annotated[
        LongText | None, FieldLabel("Recommendations", place="diagnosis_notes")
    ] = None
    plain_language: Annotated[
        LongText | None,
        FieldLabel("Explanation for the patient", place="patient_summary", entry="For the patient"),
    ] = None


class VersionEntry(Document):
    """A version as `export` lists it; accepted and ignored by import (never printed)."""

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
    acknowledged: Annotated[list[ShortText], Field(max_length=20)] | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Communication(Document):
    """A critical result told to someone (`/2`, `bench.md`): who, how, when, and whether
    it was read back. Usernames are stored as given (they need not be users here)."""

    place = "communications"

    at: Annotated[IsoDateTime, FieldLabel("Communicated", format="datetime", entry="At")]
    to: Annotated[NonEmptyShortText, FieldLabel("Communicated to", entry="To")]
    role: Annotated[ShortText | None, FieldLabel("Role")] = None
    method: Annotated[
        CommunicationMethod,
        choice("Communicated by", words={"page": "Pager"}, entry="Method"),
    ]
    reached: Annotated[Flag, FieldLabel("Reached", format="flag")] = True
    read_back: Annotated[Flag | None, FieldLabel("Read back", format="flag")] = None
    by: Annotated[NonEmptyShortText, FieldLabel("Communication, by", entry="By")]
    note: Annotated[LongText | None, FieldLabel("Communication, note", entry="Note")] = None


class CaseDocument(Document):
    """One bone marrow case: the findings a pathologist signs."""

    format: Literal["marrowpath.case/2"]
    accession: Annotated[Accession, FieldLabel("Accession", group="identity", place="case")]
    patient: Patient
    ordering_provider: Provider
    copy_to: Annotated[
        Annotated[list[Provider], Field(max_length=20)] | None,
        FieldLabel("Copy to"),
        ListLabel("Copy to", "key", key="name", fields=_RECIPIENT),
    ] = None
    order: Order | None = None
    clinical: Clinical | None = None
    procedure: Procedure
    received_at: Annotated[
        IsoDateTime | None, FieldLabel("Date received", format="datetime", entry="Received at")
    ] = None
    aspirate: Aspirate | None = None
    core: Core | None = None
    key_results: KeyResults | None = None
    stains: Annotated[
        Annotated[list[Stain], Field(max_length=200)] | None,
        FieldLabel("Stain"),
        ListLabel("Stain", "key", key="name"),
    ] = None
    ancillary: Annotated[
        Annotated[list[Ancillary], Field(max_length=50)] | None,
        FieldLabel("Study"),
        ListLabel("", "key", key="kind"),
    ] = None
    diagnosis: Diagnosis
    communications: Annotated[
        Annotated[list[Communication], Field(max_length=100)] | None,
        FieldLabel("Communication"),
        ListLabel("Communication", "key", key="to"),
    ] = None
    versions: list[VersionEntry] | None = None

    def findings(self) -> CaseDocument:
        """The document without the export-only `versions` list (what is stored and signed)."""
        return self.model_copy(update={"versions": None})

    def to_json_dict(self) -> dict[str, object]:
        """The document as JSON values, absent fields left out."""
        return self.model_dump(mode="json", exclude_none=True)
