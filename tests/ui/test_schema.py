"""The form and the case model name the same fields.

Every leaf of the case document has an input in the editor and a printed label, and
every path the editor binds exists in the model: a field added to the model without a
widget, or a widget left behind by a renamed field, fails here.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.labels import leaf, leaves
from marrowpath.domain.settings import LabSettings
from marrowpath.ui.editor.sections import all_fields, all_tables, build_sections


def _editor_paths() -> set[str]:
    built = build_sections(LabSettings())
    for section in built.sections:
        section.build()
    paths = {field.path for field in all_fields(built.sections)}
    for table in all_tables(built.sections):
        paths.add(f"{table.path}[]")
        paths |= {f"{table.path}[].{column.key}" for column in table.columns}
    assert built.differential is not None
    paths |= {
        f"aspirate.differential.{row.value}" for row in list(built.differential.model.texts())
    }
    return paths


def test_every_leaf_has_an_editor_widget_and_a_printed_label(qtbot: QtBot) -> None:
    bound = {leaf(path).path for path in _editor_paths()}
    model = {found.path for found in leaves()}
    assert sorted(model - bound) == []
    for found in leaves():
        # An unnamed label is meant only for items named by their key (a recipient's name,
        # a classification's term); everything else prints with words beside it.
        assert found.label.label or found.path in {
            "copy_to[].name",
            "diagnosis.classification[].term",
        }, found.path


def test_every_editor_path_exists_in_the_model(qtbot: QtBot) -> None:
    for path in _editor_paths():
        assert leaf(path).path.removesuffix("[]") == path.removesuffix("[]")


def test_the_differential_grid_has_a_row_per_category(qtbot: QtBot) -> None:
    built = build_sections(LabSettings())
    for section in built.sections:
        section.build()
    assert built.differential is not None
    assert list(built.differential.model.texts()) == list(DifferentialCategory)
