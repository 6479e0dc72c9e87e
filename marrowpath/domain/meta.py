"""What a field of the case document means to people: its label, unit and wording.

Each leaf of `marrowpath.domain.case` carries one `FieldLabel` in its `Annotated` type,
beside its type and range, so a field is declared once: the printed report, the
interface text, the changes table of an amendment and the editor all read it from
there (`marrowpath.domain.labels` walks the models into one table keyed by path). A
list compared item by item carries a `ListLabel` as well.

Report order is where a field prints (`place`, one of `PLACES`) and then the order of
the model: a model class names the place of its fields (`Document.place`), a field that
prints elsewhere names its own.

This module imports nothing from the case model, so the model can import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

from marrowpath.domain.enums import label

Group = Literal["identity", "diagnosis", "report"]
Format = Literal[
    "text",  # as typed
    "enum",  # words ("posterior_iliac_crest" -> "Posterior iliac crest")
    "number",  # as entered (54, 8.4), then the unit
    "percent",  # one decimal, then " %"
    "whole",  # an integer, then the unit
    "grade",  # "Grade 3"
    "cells",  # a differential count: "60 of 500 cells (12.0 %)"
    "flag",  # Yes / No
    "date",  # 2026-11-18
    "datetime",  # 2026-11-18 15:20 UTC-05:00
]
TEN9 = "×10⁹/L"
NO_WORDS: Mapping[str, str] = MappingProxyType({})

# Where fields print, in report order: the identification block (patient, case, the
# diagnosis box, then the rest), the findings sections, the patient summary.
Place = Literal[
    "",
    "patient_name",
    "patient",
    "case",
    "diagnosis",
    "identification",
    "order",
    "diagnosis_notes",
    "clinical",
    "cbc",
    "procedure",
    "aspirate",
    "differential",
    "morphology",
    "core",
    "key_results",
    "stains",
    "ancillary",
    "communications",
    "patient_summary",
]
PLACES: tuple[str, ...] = tuple(place for place in get_args(Place) if place)


@dataclass(frozen=True)
class FieldLabel:
    """How one field reads, wherever it is shown.

    Attributes:
        label -- the words printed beside the value ("Platelets", "Quality").
        where -- the section, added in a changes row where the label alone is ambiguous
            ("Quality" -> "Quality (aspirate)").
        unit -- printed after the value ("×10⁹/L", "mm").
        format -- how the value is written (see `Format`).
        words -- enumeration values whose printed words differ from the default; for a
            flag, its words for "true" and "false" when not Yes and No ("Present").
        group -- identity and diagnosis rows lead a changes table and are never cut.
        place -- where the field prints when not where its model's fields print.
        entry -- the editor's label, when the form says it differently ("WBC").
        entry_unit -- the editor's unit, when it differs from `unit` ("× 10⁹/L").
        wire -- the label in the interface text (HL7 NTE/OBX, FHIR), when it differs.
        wire_unit -- the unit in the interface text, when it differs ("x10E9/L").
        signout -- whether sign-out needs a value here, when not what the model says
            (given names may be empty; an infiltrate is recorded only with its pattern,
            so an empty pattern means no infiltrate rather than a missing value).
    """

    label: str
    where: str = ""
    unit: str = ""
    format: Format = "text"
    words: Mapping[str, str] = field(default_factory=lambda: NO_WORDS, hash=False)
    group: Group = "report"
    place: Place = ""
    entry: str = ""
    entry_unit: str | None = None
    wire: str = ""
    wire_unit: str | None = None
    signout: bool | None = None

    @property
    def change_label(self) -> str:
        return f"{self.label} ({self.where})" if self.where else self.label

    @property
    def entry_label(self) -> str:
        return self.entry or self.label

    @property
    def entry_units(self) -> str:
        return self.unit if self.entry_unit is None else self.entry_unit

    @property
    def wire_label(self) -> str:
        return self.wire or self.label

    @property
    def wire_units(self) -> str:
        return self.unit if self.wire_unit is None else self.wire_unit

    def enum_words(self, value: object) -> str:
        code = str(value)
        return self.words.get(code) or label(code)

    def flag_words(self, value: bool) -> str:
        """A flag in the words of its field: "Present" / "Absent" for collagen, "Yes" /
        "No" unless said otherwise; the editor's drop-down and the report read the same."""
        default = "Yes" if value else "No"
        return self.words.get("true" if value else "false") or default


@dataclass(frozen=True)
class ListLabel:
    """How a list is compared item by item.

    Attributes:
        item -- what one item is called ("Stain", "Diagnosis, line").
        match -- "position": item i against item i ("Diagnosis, line 2"); "key": items
            with the same `key` value (a stain by its name); "value": a set of plain
            values (specimens), each added or removed.
        key -- the field that identifies an item when `match` is "key".
        numbered -- name items by position ("Diagnosis, line 2") rather than by key.
        fields -- labels of the item's fields where the item model, shared with another
            field, reads differently here (a copy-to recipient is a `Provider`).
    """

    item: str
    match: Literal["position", "key", "value"]
    key: str = ""
    numbered: bool = False
    fields: Mapping[str, FieldLabel] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )


def choice(label_text: str, where: str = "", **more: object) -> FieldLabel:
    """An enumeration field, printed in words."""
    return FieldLabel(label_text, where, format="enum", **more)  # type: ignore[arg-type]


SOURCE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "differential": "aspirate differential",
        "cd34_ihc": "CD34 immunohistochemistry",
        "cd138_ihc": "CD138 immunohistochemistry",
        "flow_cytometry": "flow cytometry",
        "estimate": "estimate",
    }
)
