"""The sections of the case form, in the order of the report and of `case-format.md`.

Each field is named by its document path only: its label, unit, drop-down choices and
whether sign-out needs it are declared once on the case model and read from there by
the widgets (`fields.py`), so the form, the report and the changes table cannot call a
field differently. What is written here is layout: columns, headings, tooltips. The CBC
is laid out from the model's analytes, so a new analyte needs no edit here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from marrowpath.domain.labels import fields_under, leaf
from marrowpath.domain.settings import LabSettings
from marrowpath.ui.editor.communications import CommunicationsTable
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
from marrowpath.ui.editor.item_table import ItemTable, column
from marrowpath.ui.editor.layout import Block, Section
from marrowpath.ui.editor.live import Live
from marrowpath.ui.editor.nested_table import NestedItemTable


@dataclass
class SecondCountControls:
    """The second count's button to count it with the counter, and the counter's state
    shown beside it (the counter's own line is beside the grid, out of sight)."""

    start: QPushButton
    state: QLabel


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
    communications: CommunicationsTable | None = None
    second_count: SecondCountControls | None = None
    # display names by username for what the form shows of people (the communications'
    # "by"); updated in place by the form when a case is opened
    people: dict[str, str] = dataclasses.field(default_factory=dict)


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
        width_chars=14,
        tooltip="Medical record number; an MRN already on file fills in the patient",
    )
    left.add(mrn)
    left.add_widget("", live.patient_note)
    live.patient_note.hide()
    left.add(TextField("patient.family_name"))
    left.add(TextField("patient.given_names", tooltip="May be left empty for people with one name"))
    left.add(DateField("patient.birth_date"))
    left.add(EnumField("patient.sex"))
    right.heading("Ordering provider")
    right.add(TextField("ordering_provider.name", placeholder="e.g. Priya Raman, MD"))
    right.add(TextField("ordering_provider.family_name"), "Family name")
    right.add(TextField("ordering_provider.given_names"), "Given names")
    right.add(TextField("ordering_provider.id", placeholder="e.g. NPI"))
    right.add(TextField("ordering_provider.organization"))
    right.heading("Order")
    right.add(TextField("order.placer_order_number"))
    right.add(TextField("order.visit_number"))
    block = section.block()
    block.add_table(
        ItemTable(
            "copy_to",
            "Copy to",
            [
                column("copy_to", "name", stretch=True),
                column("copy_to", "family_name"),
                column("copy_to", "given_names"),
                column("copy_to", "id"),
                column("copy_to", "organization", stretch=True),
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
    main.add(EnumField("clinical.indication"))
    main.add(LongTextField("clinical.indication_detail"))
    main.add(LongTextField("clinical.history", tooltip="Prior diagnoses and therapy"))
    therapy = "clinical.therapy"
    main.add_table(
        ItemTable(
            therapy,
            leaf(therapy).label.entry_label,
            [
                column(therapy, "name", stretch=True),
                column(therapy, "kind"),
                column(therapy, "started_on"),
                column(therapy, "ended_on"),
            ],
            add_text="Add therapy",
        )
    )
    left, right = section.columns(2)
    left.heading("Complete blood count")
    right.heading(" ")
    cbc = [_cbc_field(name) for name, _entry in fields_under("clinical.cbc.")]
    half = (len(cbc) + 1) // 2  # the date and the first analytes left, the rest right
    for field in cbc[:half]:
        left.add(field)
    for field in cbc[half:]:
        right.add(field)
    below = section.block()
    below.add(LongTextField("clinical.blood_smear", tooltip="Peripheral smear"))


def _cbc_field(name: str) -> Field:
    """A CBC value as the model declares it: its date, or an analyte with its unit."""
    path = f"clinical.cbc.{name}"
    return DateField(path) if leaf(path).label.format == "date" else NumberField(path)


def _procedure(section: Section, _built: Built) -> None:
    left, right = section.columns(2)
    left.add(DateField("procedure.date", tooltip="Not in the future"))
    left.add(DateTimeField("procedure.collected_at"))
    left.add(EnumField("procedure.site"))
    left.add(EnumField("procedure.laterality"))
    left.add(TextField("procedure.operator", tooltip="Who performed the procedure"))
    right.add(EnumField("procedure.sedation"))
    right.add(DateTimeField("received_at"))
    right.add(ChecklistField("procedure.complications", columns=3))
    block = section.block()
    block.add(ChecklistField("procedure.specimens", columns=3))


def _aspirate(section: Section, built: Built) -> None:
    left, right = section.columns(2)
    left.add(EnumField("aspirate.quality"))
    left.add(EnumField("aspirate.particles"))
    left.add(EnumField("aspirate.cellularity"))
    left.add(EnumField("aspirate.megakaryocyte_number"))
    left.add(
        EnumField(
            "aspirate.differential_source",
            tooltip="Where the differential was counted (aspirate smear when not recorded)",
        )
    )
    left.add(BoolField("aspirate.auer_rods"))
    left.heading("Dysplasia (% of the lineage's cells)")
    for lineage in ("erythroid", "granulocytic", "megakaryocytic"):
        left.add(
            NumberField(
                f"aspirate.dysplasia.{lineage}_pct",
                tooltip=f"Percent of {lineage} cells that are dysplastic",
            ),
            lineage.capitalize(),
        )
    left.heading("Iron")
    left.add(NumberField("aspirate.iron.storage_grade"))
    left.add(NumberField("aspirate.iron.ring_sideroblasts"))
    left.add(NumberField("aspirate.iron.erythroblasts_counted"))
    left.add(NumberField("aspirate.iron.ring_sideroblasts_pct"))
    left.add_widget("", built.live.ring_sideroblasts)
    left.add(LongTextField("aspirate.iron.comment"))
    differential = DifferentialPanel(built.settings)
    right.heading("Differential count")
    right.add_full(differential)
    section.chain.append(differential.table)
    # below the columns, not in the grid's: rows there widen the column they share with
    # the grid and its keys until the two columns no longer stack on a laptop screen
    _count_provenance(section.block())
    block = section.block()
    block.heading("Morphology")
    for name, entry in fields_under("aspirate.morphology."):
        block.add(LongTextField(f"aspirate.morphology.{name}"), entry.label)
    block.add(LongTextField("aspirate.comment"), "Comment")
    _second_count(section, built)
    built.differential = differential


def _count_provenance(column: Block) -> None:
    """How the differential was obtained (`aspirate.count`): written by the counter when
    a count finishes, set to typed when a count is typed in, kept as imported."""
    column.heading("How the differential was counted")
    column.add(EnumField("aspirate.count.method"))
    column.add(
        TextField(
            "aspirate.count.counted_by",
            width_chars=16,
            tooltip="The username of who counted (the report prints their name)",
        )
    )
    column.add(DateTimeField("aspirate.count.started_at"))
    column.add(DateTimeField("aspirate.count.finished_at"))
    column.add(NumberField("aspirate.count.target"))
    column.add(
        NumberField(
            "aspirate.count.smudge_cells", tooltip="Seen while counting, not in the differential"
        )
    )


SECOND_COUNT_COLUMNS = 3


def _second_count(section: Section, built: Built) -> None:
    """A second observer's count of the same smear (`aspirate.second_count`, quality
    control): typed per category beside, never into, the reported differential, with its
    concordance for blasts and plasma cells shown live. It never prints on the report.

    The categories sit in a compact grid of their own (three label-count pairs a row,
    read across as on a counting sheet): side-by-side form columns would stack on a
    laptop screen into a list of twenty rows.
    """
    head = section.block()
    head.heading("Second observer's count (quality control; never printed on the report)")
    head.add(
        TextField(
            "aspirate.second_count.counted_by",
            width_chars=16,
            tooltip="Who counted the smear a second time (username)",
        ),
        "Counted by",
    )
    head.add(EnumField("aspirate.second_count.method"), "Count method")
    start = QPushButton("Count again as second observer")
    start.setToolTip(
        "Count the smear again with the counter keys into the second count (F9 or Escape "
        "stops); the reported differential is not touched"
    )
    state = QLabel()
    state.setAccessibleName("Second count counter")
    state.setWordWrap(True)
    beside = QHBoxLayout()
    beside.setContentsMargins(0, 0, 0, 0)
    beside.addWidget(start)
    beside.addWidget(state, 1)
    counting = QWidget()
    counting.setLayout(beside)
    head.add_widget("", counting)
    section.chain.append(start)
    built.second_count = SecondCountControls(start, state)
    grid = QGridLayout()
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(8)
    grid.setVerticalSpacing(2)
    for i, (name, entry) in enumerate(fields_under("aspirate.second_count.differential.")):
        words = entry.entry_label
        field = NumberField(
            f"aspirate.second_count.differential.{name}",
            f"Second count, {words[:1].lower()}{words[1:]}",
        )
        field.section = section.title()
        caption = QLabel(words)
        caption.setBuddy(field.input)
        caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row, column = divmod(i, SECOND_COUNT_COLUMNS)
        grid.addWidget(caption, row, 2 * column)
        grid.addWidget(field.container, row, 2 * column + 1)
        section.fields.append(field)
        section.chain.append(field.input)
    grid.setColumnStretch(2 * SECOND_COUNT_COLUMNS, 1)
    counts = QWidget()
    counts.setLayout(grid)
    counts.setAccessibleName("Second count by cell type")
    section.add_widget(counts)
    below = section.block()
    below.add_widget("Concordance:", built.live.second_count)


def _core(section: Section, built: Built) -> None:
    live = built.live
    left, right = section.columns(2)
    left.add(NumberField("core.length_mm"))
    left.add(EnumField("core.adequacy"))
    left.add(LongTextField("core.adequacy_comment"))
    left.add(NumberField("core.cellularity_pct"))
    left.add_widget("", live.cellularity)
    left.add(EnumField("core.megakaryocyte_number"))
    left.add(
        LongTextField("core.megakaryocytes", tooltip="Distribution and morphology"),
        "Megakaryocyte\ndescription",
    )
    right.add(EnumField("core.fibrosis_grade"))
    right.add(BoolField("core.collagen"))
    right.add(BoolField("core.osteosclerosis"))
    right.heading("Infiltrate")
    right.add(ChecklistField("core.infiltrate.patterns", columns=2))
    right.add(NumberField("core.infiltrate.percent"))
    right.add(LongTextField("core.infiltrate.description"))
    block = section.block()
    block.add(LongTextField("core.bone"))
    block.add(LongTextField("core.comment"), "Comment")


def _key_results(section: Section, built: Built) -> None:
    live = built.live
    block = section.block()
    note = QLabel(
        "Give a percentage only when the differential is not the right basis (dry tap, "
        "hemodilution, fibrosis); an empty value is taken from the differential."
    )
    note.setWordWrap(True)
    block.add_full(note)
    block.add(NumberField("key_results.blasts_pct", extra=live.blasts))
    block.add_widget("", live.blast_equivalents)
    block.add(EnumField("key_results.blasts_source"))
    block.add(NumberField("key_results.plasma_cells_pct", extra=live.plasma_cells))
    block.add(EnumField("key_results.plasma_cells_source"))


def _stains(section: Section, _built: Built) -> None:
    block = section.block()
    block.add_table(
        ItemTable(
            "stains",
            "Stains",
            [
                column("stains", "name"),
                column("stains", "result"),
                column("stains", "percent"),
                column("stains", "pattern", stretch=True),
                column("stains", "comment", stretch=True),
            ],
            add_text="Add stain",
        ),
        caption=False,
    )


def _ancillary(section: Section, _built: Built) -> None:
    """The studies, and under them the measurements of the study selected (`/2`)."""
    measurements = "ancillary[].measurements"
    block = section.block()
    block.add_table(
        NestedItemTable(
            "ancillary",
            "Ancillary studies",
            [
                column("ancillary", "kind"),
                column("ancillary", "status"),
                column("ancillary", "result", stretch=True),
                column("ancillary", "performed_by"),
                column("ancillary", "reported_on"),
            ],
            inner=ItemTable(
                measurements,
                leaf(measurements).label.entry_label,
                [
                    column(measurements, "name", stretch=True),
                    column(measurements, "value"),
                    column(measurements, "unit", words=True),
                ],
                add_text="Add measurement",
            ),
            add_text="Add study",
        ),
        caption=False,
    )


def _diagnosis(section: Section, _built: Built) -> None:
    block = section.block()
    block.add(
        LinesField(
            "diagnosis.lines",
            lines=4,
            placeholder="One diagnosis line per line, printed first on the report",
        )
    )
    block.add_table(
        ItemTable(
            "diagnosis.classification",
            "Classification",
            [
                column("diagnosis.classification", "system"),
                column("diagnosis.classification", "term", stretch=True),
                column("diagnosis.classification", "code"),
            ],
            add_text="Add classification",
        )
    )
    block.add(LongTextField("diagnosis.comment", lines=3), "Comment")
    block.add(LongTextField("diagnosis.recommendations"))
    block.add(
        LongTextField(
            "diagnosis.plain_language",
            lines=4,
            tooltip="A short explanation in plain words, printed in the patient summary "
            "and signed with the report",
        )
    )


def _critical_results(section: Section, built: Built) -> None:
    """The calls a new acute leukemia needs (`bench.md` 4), recorded through a dialog."""
    table = CommunicationsTable(names=built.people)
    section.block().add_table(table, caption=False)
    built.communications = table


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
    ("Critical results", "communications", _critical_results),
]


def all_fields(sections: list[Section]) -> list[Field]:
    return [item for section in sections for item in section.fields]


def all_tables(sections: list[Section]) -> list[ItemTable]:
    """Every list table, those inside another list's items included."""
    return [
        found
        for section in sections
        for table in section.tables
        for found in (table, *table.nested())
    ]
