"""Field metadata on the case model: one declaration per field, read everywhere."""

from __future__ import annotations

import pytest

from marrowpath.domain.case import Differential
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.labels import FIELDS, LISTS, fields_under, label_of, leaf, leaves
from marrowpath.domain.meta import PLACES
from marrowpath.reports import content, interface_text
from marrowpath.reports.findings import CBC_ROWS
from tests.reports.builders import SETTINGS, example_case


def test_every_leaf_of_the_model_has_a_label_in_report_order() -> None:
    paths = [found.path for found in leaves()]
    assert paths == list(FIELDS)
    assert len(paths) == len(set(paths))
    # The identification block leads, the patient summary's explanation comes last.
    assert paths[:6] == [
        "patient.family_name",
        "patient.given_names",
        "patient.mrn",
        "patient.birth_date",
        "patient.sex",
        "accession",
    ]
    assert paths[-1] == "diagnosis.plain_language"
    assert PLACES[-1] == "patient_summary"


def test_the_differential_model_has_one_field_per_category() -> None:
    assert list(Differential.model_fields) == [c.value for c in DifferentialCategory]
    other = leaf("aspirate.differential.other").label
    assert (other.label, other.entry_label, other.format) == ("Other cells", "Other", "cells")
    assert Differential.model_validate({"blasts": 3}).counts()[DifferentialCategory.BLASTS] == 3


def test_lists_say_how_their_items_are_matched() -> None:
    assert set(LISTS) == {
        "diagnosis.lines",
        "diagnosis.classification",
        "copy_to",
        "procedure.specimens",
        "procedure.complications",
        "stains",
        "ancillary",
        # `/2`
        "clinical.therapy",
        "core.infiltrate.patterns",
        "ancillary[].measurements",
        "communications",
    }
    # A copy-to recipient is a Provider, named as a recipient rather than as the
    # ordering provider.
    assert label_of("copy_to[].family_name") == "family name"
    assert label_of("ordering_provider.family_name") == "Ordering provider, family name"


def test_one_cbc_analyte_declaration_feeds_the_pdf_and_the_interface_text() -> None:
    """The PDF and the interface text render the same rows of the content model: the
    PDF's label and unit ("White blood cells", "×10⁹/L") in both (decision "One report
    content model"; the interface text used to write "WBC ... x10E9/L")."""
    analytes = [name for name, entry in fields_under("clinical.cbc.") if entry.format == "number"]
    assert CBC_ROWS is content.CBC_ROWS
    assert [row[0] for row in CBC_ROWS] == analytes
    assert ("wbc_10e9_l", "White blood cells", "×10⁹/L") in CBC_ROWS
    text = interface_text.clinical(example_case(), SETTINGS)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Complete blood count"))
    labels = [line.split(":")[0].strip() for line in lines[start + 1 : start + 1 + len(analytes)]]
    assert labels == [row[1] for row in CBC_ROWS]
    assert "White blood cells: 2.1 ×10⁹/L" in text
    assert leaf("clinical.cbc.wbc_10e9_l").label.entry_units == "× 10⁹/L"


def test_sign_out_needs_what_the_model_requires_unless_declared_otherwise() -> None:
    assert leaf("core.cellularity_pct").signout
    assert not leaf("clinical.cbc.mcv_fl").signout
    assert not leaf("patient.given_names").signout  # may be empty
    assert leaf("procedure.specimens").choices is not None
    assert leaf("core.cellularity_pct").integer


def test_a_path_not_in_the_model_is_an_error() -> None:
    with pytest.raises(KeyError, match=r"core\.cellularity: no such field"):
        leaf("core.cellularity")
