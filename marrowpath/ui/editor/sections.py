"""The sections of the case form, in the order of the report and of `case-format.md`.

Why written out field by field: the labels, units, drop-down wording and which fields are
required are what a pathologist reads all day; keeping them in one declarative place
next to their document paths makes a missing or misspelt field easy to spot in review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtWidgets import QLabel

from marrowpath.domain.enums import (
    AncillaryKind,
    AncillaryStatus,
    AspirateCellularity,
    AspirateQuality,
    BlastsSource,
    ClassificationSystem,
    Complication,
    CoreAdequacy,
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
from marrowpath.domain.settings import LabSettings
from marrowpath.ui.editor.differential import DifferentialPanel
from marrowpath.ui.editor.fields import (
    AccessionField,
    BoolField,
    ChecklistField,
    DateField,
    DateTimeField,
    EnumField,
    Field,
    LinesField,
    LongTextField,
    NumberField,
    TextField,
)
from marrowpath.ui.editor.item_table import Column, ItemTable
from marrowpath.ui.editor.layout import Section
from marrowpath.ui.editor.live import Live

PER_LITRE = "× 10⁹/L"


@dataclass
class Built:
    """The form's parts: section boxes (filled on first need) and the widgets the editor
    addresses directly, which exist once their section is filled."""

    sections: list[Section]
    live: Live
    settings: LabSettings
    accession: AccessionField | None = None
    mrn: TextField | None = None
    differential: DifferentialPanel | None = None


Filler = Callable[[Section, Built], None]


def build_sections(settings: LabSettings) -> Built:
    """Every section as an empty titled box that fills itself when first needed.

    Why not all at once: the full form is about two thousand widgets; building the first
    section only lets a case appear at once, and the rest follows in small steps
    (`CaseForm`), or at once when something needs the whole form.
    """
    built = Built([], Live(), settings)
    for title, key, filler in SECTIONS:
        built.sections.append(Section(title, key, fill=partial(_fill, filler, built)))
    return built


def _fill(filler: Filler, built: Built, section: Section) -> None:
    filler(section, built)


def _patient_and_order(section: Section, built: Built) -> None:
    live = built.live
    left, right = section.columns(2)
    accession = AccessionField()
    left.add(accession)
    left.heading("Patient")
    mrn = TextField(
        "patient.mrn",
        "MRN",
        required=True,
        width_chars=14,
        tooltip="Medical record number; an MRN already on file fills in the patient",
    )
    left.add(mrn)
    left.add_widget("", live.patient_note)
    live.patient_note.hide()
    left.add(TextField("patient.family_name", "Family name", required=True))
    left.add(
        TextField(
            "patient.given_names",
            "Given names",
            tooltip="May be left empty for people with one name",
        )
    )
    left.add(DateField("patient.birth_date", "Birth date", required=True))
    left.add(EnumField("patient.sex", "Sex", Sex, required=True))
    right.heading("Ordering provider")
    right.add(
        TextField(
            "ordering_provider.name",
            "Name as printed",
            required=True,
            placeholder="e.g. Priya Raman, MD",
        )
    )
    right.add(TextField("ordering_provider.family_name", "Family name"), "Family name")
    right.add(TextField("ordering_provider.given_names", "Given names"), "Given names")
    right.add(TextField("ordering_provider.id", "Provider ID", placeholder="e.g. NPI"))
    right.add(TextField("ordering_provider.organization", "Organization"))
    right.heading("Order")
    right.add(TextField("order.placer_order_number", "Placer order number"))
    right.add(TextField("order.visit_number", "Visit number"))
    block = section.block()
    block.add_table(
        ItemTable(
            "copy_to",
            "Copy to",
            [
                Column("name", "Name as printed", required=True, stretch=True),
                Column("family_name", "Family name"),
                Column("given_names", "Given names"),
                Column("id", "ID"),
                Column("organization", "Organization", stretch=True),
            ],
            add_text="Add recipient",
        )
    )
    # Provider name fields say which provider in the list of problems and missing fields.
    for item in section.fields:
        if item.path.startswith("ordering_provider.") and not item.label.startswith("Provider"):
            item.label = f"Ordering provider {item.label[0].lower()}{item.label[1:]}"
            item.input.setAccessibleName(item.label)
    built.accession, built.mrn = accession, mrn


def _clinical(section: Section, _built: Built) -> None:
    main = section.block()
    main.add(EnumField("clinical.indication", "Indication", Indication, required=True))
    main.add(LongTextField("clinical.indication_detail", "Indication detail"))
    main.add(LongTextField("clinical.history", "History", tooltip="Prior diagnoses and therapy"))
    left, right = section.columns(2)
    left.heading("Complete blood count")
    left.add(DateField("clinical.cbc.date", "CBC date"))
    left.add(NumberField("clinical.cbc.hemoglobin_g_dl", "Hemoglobin", unit="g/dL"))
    left.add(NumberField("clinical.cbc.wbc_10e9_l", "WBC", unit=PER_LITRE))
    left.add(NumberField("clinical.cbc.anc_10e9_l", "ANC", unit=PER_LITRE))
    left.add(NumberField("clinical.cbc.alc_10e9_l", "ALC", unit=PER_LITRE))
    right.heading(" ")
    right.add(NumberField("clinical.cbc.monocytes_10e9_l", "Monocytes", unit=PER_LITRE))
    right.add(NumberField("clinical.cbc.platelets_10e9_l", "Platelets", unit=PER_LITRE))
    right.add(NumberField("clinical.cbc.mcv_fl", "MCV", unit="fL"))
    right.add(NumberField("clinical.cbc.reticulocytes_10e9_l", "Reticulocytes", unit=PER_LITRE))
    right.add(NumberField("clinical.cbc.pb_blasts_pct", "Blood blasts", unit="%"))
    below = section.block()
    below.add(LongTextField("clinical.blood_smear", "Blood smear", tooltip="Peripheral smear"))


def _procedure(section: Section, _built: Built) -> None:
    left, right = section.columns(2)
    left.add(
        DateField("procedure.date", "Procedure date", required=True, tooltip="Not in the future")
    )
    left.add(EnumField("procedure.site", "Site", Site, required=True))
    left.add(EnumField("procedure.laterality", "Laterality", Laterality, required=True))
    left.add(TextField("procedure.operator", "Operator", tooltip="Who performed the procedure"))
    right.add(EnumField("procedure.sedation", "Sedation", Sedation))
    right.add(DateTimeField("received_at", "Received at"))
    right.add(ChecklistField("procedure.complications", "Complications", Complication, columns=3))
    block = section.block()
    block.add(
        ChecklistField("procedure.specimens", "Specimens", Specimen, required=True, columns=3)
    )


def _aspirate(section: Section, built: Built) -> None:
    left, right = section.columns(2)
    left.add(EnumField("aspirate.quality", "Quality", AspirateQuality, required=True))
    left.add(EnumField("aspirate.particles", "Particles", Particles, required=True))
    left.add(EnumField("aspirate.cellularity", "Cellularity", AspirateCellularity))
    left.add(EnumField("aspirate.megakaryocyte_number", "Megakaryocytes", MegakaryocyteNumber))
    left.add(
        EnumField(
            "aspirate.differential_source",
            "Differential source",
            DifferentialSource,
            tooltip="Where the differential was counted (aspirate smear when not recorded)",
        )
    )
    left.add(BoolField("aspirate.auer_rods", "Auer rods", yes="Present", no="Not seen"))
    left.heading("Dysplasia (% of the lineage's cells)")
    for lineage in ("erythroid", "granulocytic", "megakaryocytic"):
        left.add(
            NumberField(
                f"aspirate.dysplasia.{lineage}_pct",
                f"{lineage.capitalize()} dysplasia",
                unit="%",
                tooltip=f"Percent of {lineage} cells that are dysplastic",
            ),
            lineage.capitalize(),
        )
    left.heading("Iron")
    left.add(
        NumberField(
            "aspirate.iron.storage_grade",
            "Storage iron",
            integer=True,
            unit="Gale grade 0-6",
        )
    )
    left.add(
        NumberField(
            "aspirate.iron.ring_sideroblasts_pct",
            "Ring sideroblasts",
            unit="% of erythroblasts",
        )
    )
    left.add(
        NumberField("aspirate.iron.erythroblasts_counted", "Erythroblasts counted", integer=True)
    )
    left.add(LongTextField("aspirate.iron.comment", "Iron comment"))
    differential = DifferentialPanel(built.settings)
    right.heading("Differential count")
    right.add_full(differential)
    section.chain.append(differential.table)
    block = section.block()
    block.heading("Morphology")
    for key, words in (
        ("erythroid", "Erythroid"),
        ("granulocytic", "Granulocytic"),
        ("megakaryocytic", "Megakaryocytic"),
        ("lymphoid", "Lymphoid"),
        ("plasma_cells", "Plasma cells"),
        ("other", "Other"),
    ):
        block.add(LongTextField(f"aspirate.morphology.{key}", f"{words} morphology"), words)
    block.add(LongTextField("aspirate.comment", "Aspirate comment"), "Comment")
    built.differential = differential


def _core(section: Section, built: Built) -> None:
    live = built.live
    left, right = section.columns(2)
    left.add(NumberField("core.length_mm", "Length", unit="mm", required=True))
    left.add(EnumField("core.adequacy", "Adequacy", CoreAdequacy, required=True))
    left.add(LongTextField("core.adequacy_comment", "Adequacy comment"))
    left.add(
        NumberField(
            "core.cellularity_pct",
            "Cellularity",
            unit="%",
            integer=True,
            required=True,
        )
    )
    left.add_widget("", live.cellularity)
    left.add(EnumField("core.megakaryocyte_number", "Megakaryocytes", MegakaryocyteNumber))
    left.add(
        LongTextField(
            "core.megakaryocytes",
            "Megakaryocyte description",
            tooltip="Distribution and morphology",
        ),
        "Megakaryocyte\ndescription",
    )
    right.add(EnumField("core.fibrosis_grade", "Fibrosis grade", FibrosisGrade, required=True))
    right.add(BoolField("core.collagen", "Collagen", yes="Present", no="Absent"))
    right.add(BoolField("core.osteosclerosis", "Osteosclerosis", yes="Present", no="Absent"))
    right.heading("Infiltrate")
    right.add(EnumField("core.infiltrate.pattern", "Infiltrate pattern", InfiltratePattern))
    right.add(NumberField("core.infiltrate.percent", "Infiltrate extent", unit="%"))
    right.add(LongTextField("core.infiltrate.description", "Infiltrate description"))
    block = section.block()
    block.add(LongTextField("core.bone", "Bone"))
    block.add(LongTextField("core.comment", "Core comment"), "Comment")


def _key_results(section: Section, built: Built) -> None:
    live = built.live
    block = section.block()
    note = QLabel(
        "Give a percentage only when the differential is not the right basis (dry tap, "
        "hemodilution, fibrosis); an empty value is taken from the differential."
    )
    note.setWordWrap(True)
    block.add_full(note)
    block.add(NumberField("key_results.blasts_pct", "Blasts", unit="%", extra=live.blasts))
    block.add(EnumField("key_results.blasts_source", "Blasts source", BlastsSource))
    block.add(
        NumberField(
            "key_results.plasma_cells_pct", "Plasma cells", unit="%", extra=live.plasma_cells
        )
    )
    block.add(
        EnumField("key_results.plasma_cells_source", "Plasma cells source", PlasmaCellsSource)
    )


def _stains(section: Section, _built: Built) -> None:
    block = section.block()
    block.add_table(
        ItemTable(
            "stains",
            "Stains",
            [
                Column("name", "Stain", required=True),
                Column("result", "Result", kind="enum", enum=StainResult, required=True),
                Column("percent", "%", kind="number"),
                Column("pattern", "Pattern", stretch=True),
                Column("comment", "Comment", stretch=True),
            ],
            add_text="Add stain",
        ),
        caption=False,
    )


def _ancillary(section: Section, _built: Built) -> None:
    block = section.block()
    block.add_table(
        ItemTable(
            "ancillary",
            "Ancillary studies",
            [
                Column("kind", "Study", kind="enum", enum=AncillaryKind, required=True),
                Column("status", "Status", kind="enum", enum=AncillaryStatus, required=True),
                Column("result", "Result", stretch=True),
                Column("performed_by", "Performed by"),
                Column("reported_on", "Reported on", kind="date"),
            ],
            add_text="Add study",
        ),
        caption=False,
    )


def _diagnosis(section: Section, _built: Built) -> None:
    block = section.block()
    block.add(
        LinesField(
            "diagnosis.lines",
            "Diagnosis",
            lines=4,
            required=True,
            placeholder="One diagnosis line per line, printed first on the report",
        )
    )
    block.add_table(
        ItemTable(
            "diagnosis.classification",
            "Classification",
            [
                Column("system", "System", kind="enum", enum=ClassificationSystem, required=True),
                Column("term", "Term", required=True, stretch=True),
                Column("code", "Code"),
            ],
            add_text="Add classification",
        )
    )
    block.add(LongTextField("diagnosis.comment", "Diagnosis comment", lines=3), "Comment")
    block.add(LongTextField("diagnosis.recommendations", "Recommendations"))
    block.add(
        LongTextField(
            "diagnosis.plain_language",
            "For the patient",
            lines=4,
            tooltip="A short explanation in plain words, printed in the patient summary "
            "and signed with the report",
        )
    )


SECTIONS: list[tuple[str, str, Filler]] = [
    ("Patient and order", "patient", _patient_and_order),
    ("Clinical and CBC", "clinical", _clinical),
    ("Procedure", "procedure", _procedure),
    ("Aspirate", "aspirate", _aspirate),
    ("Core biopsy", "core", _core),
    ("Key results", "key_results", _key_results),
    ("Stains", "stains", _stains),
    ("Ancillary studies", "ancillary", _ancillary),
    ("Diagnosis", "diagnosis", _diagnosis),
]


def all_fields(sections: list[Section]) -> list[Field]:
    return [item for section in sections for item in section.fields]


def all_tables(sections: list[Section]) -> list[ItemTable]:
    return [table for section in sections for table in section.tables]
