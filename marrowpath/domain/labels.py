"""The printed label of every field of the case document, keyed by its path.

One declarative table, in report order, read by the PDF's findings sections and by the
changes table of an amendment, so that a field is called the same thing wherever a
clinician reads it and no label is written twice. Each entry says how the value prints:
its unit, its format (one decimal for percentages, words for enumerations) and any
enumeration value whose words differ from the default.

Paths are JSON paths with `[]` for "any item of this list": `stains[].percent`. A list
compared item by item has a `ListLabel` saying how its items are matched (by position,
by a key field, or as a set of values) and what an item is called.

A later redesign may move this metadata onto the pydantic models as field metadata; the
table is kept flat and free of logic so that the move is mechanical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from marrowpath.domain.enums import DifferentialCategory, label

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


@dataclass(frozen=True)
class FieldLabel:
    """How one field prints.

    Attributes:
        label -- the words printed beside the value ("Platelets", "Quality").
        where -- the section, added in a changes row where the label alone is ambiguous
            ("Quality" -> "Quality (aspirate)").
        unit -- printed after the value ("×10⁹/L", "mm").
        format -- how the value is written (see `Format`).
        words -- enumeration values whose printed words differ from the default.
        group -- identity and diagnosis rows lead a changes table and are never cut.
    """

    label: str
    where: str = ""
    unit: str = ""
    format: Format = "text"
    words: Mapping[str, str] = field(default_factory=lambda: NO_WORDS)
    group: Group = "report"

    @property
    def change_label(self) -> str:
        return f"{self.label} ({self.where})" if self.where else self.label

    def enum_words(self, value: object) -> str:
        code = str(value)
        return self.words.get(code) or label(code)


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
    """

    item: str
    match: Literal["position", "key", "value"]
    key: str = ""
    numbered: bool = False


def _enum(label_text: str, where: str = "", **kw: object) -> FieldLabel:
    return FieldLabel(label_text, where, format="enum", **kw)  # type: ignore[arg-type]


_SOURCE_WORDS = MappingProxyType(
    {
        "differential": "aspirate differential",
        "cd34_ihc": "CD34 immunohistochemistry",
        "cd138_ihc": "CD138 immunohistochemistry",
        "flow_cytometry": "flow cytometry",
        "estimate": "estimate",
    }
)
_CATEGORY_WORDS = {
    DifferentialCategory.NEUTROPHILS: "Neutrophils (segmented)",
    DifferentialCategory.BASOPHILIC_NORMOBLASTS: "Basophilic normoblasts",
    DifferentialCategory.POLYCHROMATIC_NORMOBLASTS: "Polychromatic normoblasts",
    DifferentialCategory.ORTHOCHROMATIC_NORMOBLASTS: "Orthochromatic normoblasts",
    DifferentialCategory.OTHER: "Other cells",
}
_PERSON: Group = "identity"
_DX: Group = "diagnosis"

FIELDS: Mapping[str, FieldLabel] = MappingProxyType(
    {
        # -- who: the patient first, then the case (the identification block) --------------
        "patient.family_name": FieldLabel("Patient, family name", group=_PERSON),
        "patient.given_names": FieldLabel("Patient, given names", group=_PERSON),
        "patient.mrn": FieldLabel("MRN", group=_PERSON),
        "patient.birth_date": FieldLabel("Birth date", format="date", group=_PERSON),
        "patient.sex": _enum("Sex", group=_PERSON),
        "accession": FieldLabel("Accession", group=_PERSON),
        # -- the diagnosis box --------------------------------------------------------------
        "diagnosis.lines[]": FieldLabel("Diagnosis, line", group=_DX),
        "diagnosis.classification[]": FieldLabel("Classification", group=_DX),
        "diagnosis.classification[].system": FieldLabel("system", group=_DX),
        "diagnosis.classification[].term": FieldLabel("", group=_DX),
        "diagnosis.classification[].code": FieldLabel("code", group=_DX),
        # -- the rest of the identification block ------------------------------------------
        "ordering_provider.name": FieldLabel("Ordering provider"),
        "ordering_provider.family_name": FieldLabel("Ordering provider, family name"),
        "ordering_provider.given_names": FieldLabel("Ordering provider, given names"),
        "ordering_provider.id": FieldLabel("Ordering provider, ID"),
        "ordering_provider.organization": FieldLabel("Ordering provider, organization"),
        "copy_to[]": FieldLabel("Copy to"),
        "copy_to[].name": FieldLabel(""),
        "copy_to[].family_name": FieldLabel("family name"),
        "copy_to[].given_names": FieldLabel("given names"),
        "copy_to[].id": FieldLabel("ID"),
        "copy_to[].organization": FieldLabel("organization"),
        "procedure.date": FieldLabel("Procedure date", format="date"),
        "procedure.site": _enum("Site"),
        "procedure.laterality": _enum("Laterality", words={"not_applicable": "Not applicable"}),
        "procedure.specimens[]": _enum("Specimens received"),
        "received_at": FieldLabel("Date received", format="datetime"),
        "order.placer_order_number": FieldLabel("Placer order"),
        "order.visit_number": FieldLabel("Visit"),
        # -- under the diagnosis -----------------------------------------------------------
        "diagnosis.comment": FieldLabel("Comment", "diagnosis"),
        "diagnosis.recommendations": FieldLabel("Recommendations"),
        # -- clinical information ----------------------------------------------------------
        "clinical.indication": _enum("Indication"),
        "clinical.indication_detail": FieldLabel("Indication, detail"),
        "clinical.history": FieldLabel("History"),
        "clinical.blood_smear": FieldLabel("Peripheral blood smear"),
        "clinical.cbc.date": FieldLabel("Complete blood count, date", format="date"),
        "clinical.cbc.hemoglobin_g_dl": FieldLabel("Hemoglobin", unit="g/dL", format="number"),
        "clinical.cbc.wbc_10e9_l": FieldLabel("White blood cells", unit=TEN9, format="number"),
        "clinical.cbc.anc_10e9_l": FieldLabel("Neutrophils (ANC)", unit=TEN9, format="number"),
        "clinical.cbc.alc_10e9_l": FieldLabel("Lymphocytes (ALC)", unit=TEN9, format="number"),
        "clinical.cbc.monocytes_10e9_l": FieldLabel(
            "Monocytes", "blood count", unit=TEN9, format="number"
        ),
        "clinical.cbc.platelets_10e9_l": FieldLabel("Platelets", unit=TEN9, format="number"),
        "clinical.cbc.mcv_fl": FieldLabel("MCV", unit="fL", format="number"),
        "clinical.cbc.reticulocytes_10e9_l": FieldLabel(
            "Reticulocytes", unit=TEN9, format="number"
        ),
        "clinical.cbc.pb_blasts_pct": FieldLabel("Blood blasts", unit="%", format="number"),
        # -- procedure ---------------------------------------------------------------------
        "procedure.operator": FieldLabel("Performed by", "procedure"),
        "procedure.sedation": _enum("Sedation"),
        "procedure.complications[]": _enum("Complications"),
        # -- aspirate ----------------------------------------------------------------------
        "aspirate.quality": _enum("Quality", "aspirate"),
        "aspirate.particles": _enum("Particles", "aspirate"),
        "aspirate.cellularity": _enum("Cellularity (smear)", "aspirate"),
        "aspirate.megakaryocyte_number": _enum("Megakaryocytes", "aspirate"),
        **{
            f"aspirate.differential.{category.value}": FieldLabel(
                _CATEGORY_WORDS.get(category, label(category.value)),
                "aspirate differential",
                format="cells",
            )
            for category in DifferentialCategory
        },
        "aspirate.differential_source": _enum("Differential source", "aspirate"),
        "aspirate.morphology.erythroid": FieldLabel("Erythroid", "morphology"),
        "aspirate.morphology.granulocytic": FieldLabel("Granulocytic", "morphology"),
        "aspirate.morphology.megakaryocytic": FieldLabel("Megakaryocytic", "morphology"),
        "aspirate.morphology.lymphoid": FieldLabel("Lymphoid", "morphology"),
        "aspirate.morphology.plasma_cells": FieldLabel("Plasma cells", "morphology"),
        "aspirate.morphology.other": FieldLabel("Other", "morphology"),
        "aspirate.dysplasia.erythroid_pct": FieldLabel("Dysplasia, erythroid", format="percent"),
        "aspirate.dysplasia.granulocytic_pct": FieldLabel(
            "Dysplasia, granulocytic", format="percent"
        ),
        "aspirate.dysplasia.megakaryocytic_pct": FieldLabel(
            "Dysplasia, megakaryocytic", format="percent"
        ),
        "aspirate.auer_rods": FieldLabel("Auer rods", format="flag"),
        "aspirate.iron.storage_grade": FieldLabel("Storage iron", format="grade"),
        "aspirate.iron.ring_sideroblasts_pct": FieldLabel("Ring sideroblasts", format="percent"),
        "aspirate.iron.erythroblasts_counted": FieldLabel(
            "Erythroblasts counted", "iron stain", format="whole"
        ),
        "aspirate.iron.comment": FieldLabel("Iron comment"),
        "aspirate.comment": FieldLabel("Aspirate comment"),
        # -- core biopsy -------------------------------------------------------------------
        "core.length_mm": FieldLabel("Length", "core", unit="mm", format="number"),
        "core.adequacy": _enum("Adequacy", "core"),
        "core.adequacy_comment": FieldLabel("Adequacy comment", "core"),
        "core.cellularity_pct": FieldLabel("Cellularity", "core", unit="%", format="whole"),
        "core.megakaryocyte_number": _enum("Megakaryocytes", "core"),
        "core.megakaryocytes": FieldLabel("Megakaryocytes, description", "core"),
        "core.fibrosis_grade": _enum("Fibrosis grade"),
        "core.collagen": FieldLabel("Collagen", format="flag"),
        "core.osteosclerosis": FieldLabel("Osteosclerosis", format="flag"),
        "core.infiltrate.pattern": _enum("Infiltrate, pattern"),
        "core.infiltrate.percent": FieldLabel("Infiltrate, marrow space", format="percent"),
        "core.infiltrate.description": FieldLabel("Infiltrate, description"),
        "core.bone": FieldLabel("Bone"),
        "core.comment": FieldLabel("Core comment"),
        # -- key results -------------------------------------------------------------------
        "key_results.blasts_pct": FieldLabel("Blasts", "key results", format="percent"),
        "key_results.blasts_source": _enum("Blasts, source", words=_SOURCE_WORDS),
        "key_results.plasma_cells_pct": FieldLabel("Plasma cells", "key results", format="percent"),
        "key_results.plasma_cells_source": _enum("Plasma cells, source", words=_SOURCE_WORDS),
        # -- stains ------------------------------------------------------------------------
        "stains[]": FieldLabel("Stain"),
        "stains[].name": FieldLabel("Stain"),
        "stains[].result": _enum("Result"),
        "stains[].percent": FieldLabel("Positive (%)", format="percent"),
        "stains[].pattern": FieldLabel("Pattern"),
        "stains[].comment": FieldLabel("Comment"),
        # -- ancillary studies -------------------------------------------------------------
        "ancillary[]": FieldLabel("Study"),
        "ancillary[].kind": _enum("Study"),
        "ancillary[].status": _enum("Status", words={"pending": "PENDING", "final": "Final"}),
        "ancillary[].result": FieldLabel("Result"),
        "ancillary[].performed_by": FieldLabel("Performed by"),
        "ancillary[].reported_on": FieldLabel("Reported", format="date"),
        # -- the patient summary -----------------------------------------------------------
        "diagnosis.plain_language": FieldLabel("Explanation for the patient"),
    }
)

LISTS: Mapping[str, ListLabel] = MappingProxyType(
    {
        "diagnosis.lines": ListLabel("Diagnosis, line", "position", numbered=True),
        "diagnosis.classification": ListLabel("Classification,", "key", key="system"),
        "copy_to": ListLabel("Copy to", "key", key="name"),
        "procedure.specimens": ListLabel("Specimens received", "value"),
        "procedure.complications": ListLabel("Complications", "value"),
        "stains": ListLabel("Stain", "key", key="name"),
        "ancillary": ListLabel("", "key", key="kind"),
    }
)

SOURCE_WORDS = _SOURCE_WORDS


def field_label(path: str) -> FieldLabel:
    """The entry for a path (`stains[].percent`); a path not in the table gets its last
    name in words, so a new field never prints as a JSON path."""
    entry = FIELDS.get(path)
    if entry is not None:
        return entry
    name = path.rsplit(".", 1)[-1].replace("[]", "")
    return FieldLabel(label(name))


def label_of(path: str) -> str:
    """The words printed beside the field's value."""
    return field_label(path).label


def fields_under(prefix: str) -> list[tuple[str, FieldLabel]]:
    """The fields directly under `prefix` ("clinical.cbc."), in report order, keyed by
    their own name ("platelets_10e9_l")."""
    return [
        (path.removeprefix(prefix), entry)
        for path, entry in FIELDS.items()
        if path.startswith(prefix) and "." not in path.removeprefix(prefix)
    ]


def report_rank(path: str) -> int:
    """Where a path stands in report order (unknown paths last)."""
    try:
        return _RANK[path]
    except KeyError:
        return len(_RANK)


_RANK = {path: index for index, path in enumerate(FIELDS)}
