"""The editor labels a field as the printed report does, so that what the pathologist
fills in is found on paper under the same words: the stains' "Positive (%)", the
ancillary studies' "Reported", the procedure's "Performed by"."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from marrowpath.reports import content
from marrowpath.reports.content import Table
from marrowpath.ui.editor.item_table import column
from marrowpath.ui.editor.sections import build_sections
from tests.reports import builders as b

pytestmark = pytest.mark.ui


def printed_headers(table_key: str) -> list[str]:
    document = b.example_case()
    sections = content.findings(document, b.SETTINGS)
    for section in sections:
        for part in section.parts:
            if isinstance(part, Table) and part.key == table_key:
                return [c.header for c in part.columns]
    raise AssertionError(f"no {table_key} table printed")


def test_list_columns_read_as_the_reports_headers(qtbot: QtBot) -> None:
    assert column("stains", "percent").title == "Positive (%)"
    assert "Positive (%)" in printed_headers("stains")
    assert column("ancillary", "reported_on").title == "Reported"
    assert "Reported" in printed_headers("ancillary")


def test_procedure_and_smear_fields_use_the_printed_labels(qtbot: QtBot) -> None:
    built = build_sections(b.SETTINGS)
    for section in built.sections:
        section.build()
    labels = {f.path: f.label for s in built.sections for f in s.fields}
    assert labels["procedure.operator"] == "Performed by"
    assert labels["clinical.blood_smear"] == "Peripheral blood smear"
