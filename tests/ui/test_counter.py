"""The differential counter (F9) and the ring sideroblast counter (F10) driven by keys,
in a real case editor on a real database (`bench.md` section 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.counter import Keymap, Preset
from marrowpath.domain.users import User
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.choice_box import ChoiceBox
from marrowpath.ui.editor.counter import DifferentialCounter
from marrowpath.ui.editor.differential import CATEGORIES, COUNT, PERCENT
from marrowpath.ui.editor.keymap_dialog import KeymapDialog
from tests.ui.conftest import EditorFactory
from tests.ui.screens import save_screenshot

# the editor tests' fixtures, shared: a TaskRunner, the pathologist, an open editor

pytestmark = pytest.mark.ui


def key(
    qtbot: QtBot,
    editor: QWidget,
    name: str | Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """A key to whatever has the focus, as the keyboard sends it."""
    qtbot.keyClick(QApplication.focusWidget() or editor, name, modifier)


def counter_of(editor: CaseEditor) -> DifferentialCounter:
    counter = editor.counters.differential
    assert counter is not None
    return counter


def row(editor: CaseEditor, cell: str) -> tuple[str, str]:
    model = editor.form.differential.model
    number = [c.value for c in CATEGORIES].index(cell)
    return model.index(number, COUNT).data(), model.index(number, PERCENT).data()


def test_f9_then_500_keys_counts_stops_at_target_and_undoes(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    mrn = editor.form.mrn.edit
    mrn.setFocus()  # the cursor in a field: while counting, keys never reach it
    key(qtbot, editor, Qt.Key.Key_F9)
    counter = counter_of(editor)
    assert counter.running and counter.target == 500
    keys = "b" * 25 + "n" * 250 + "l" * 75 + "3" * 100 + "c" * 49 + "zz" + "c"
    flashed_at_100 = False
    for number, name in enumerate(keys, start=1):
        key(qtbot, editor, name)
        if number == 100:
            flashed_at_100 = counter.bar.state.autoFillBackground()  # no audio: it lights up
    assert flashed_at_100
    assert mrn.text() == ""
    assert row(editor, "blasts") == ("25", "5.0")
    assert row(editor, "neutrophils") == ("250", "50.0")
    assert row(editor, "lymphocytes") == ("75", "15.0")
    assert row(editor, "polychromatic_normoblasts") == ("100", "20.0")
    assert row(editor, "plasma_cells") == ("50", "10.0")
    panel = editor.form.differential
    assert panel.cells.text() == "500"
    assert panel.ratio.text().startswith("2.8:1")  # 275 myeloid : 100 erythroid
    assert "Smudge" not in " ".join(editor.document()["aspirate"]["differential"])
    assert "2 smudge cells outside the count" in counter.bar.state.text()
    assert counter.bar.notice.isVisible()
    assert "Target of 500 cells reached" in counter.bar.notice.text()
    key(qtbot, editor, "b")  # at target: ignored, and said
    assert row(editor, "blasts") == ("25", "5.0")
    assert "Blasts not counted" in counter.bar.notice.text()
    key(qtbot, editor, Qt.Key.Key_Backspace)  # takes back the last cell: a plasma cell
    assert row(editor, "plasma_cells") == ("49", "9.8")
    key(qtbot, editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # then a smudge cell
    assert "1 smudge cells outside the count" in counter.bar.state.text()
    key(qtbot, editor, Qt.Key.Key_PageUp)  # target 1,000: counting goes on
    assert counter.target == 1000
    key(qtbot, editor, "b")
    assert row(editor, "blasts") == ("26", "5.2")
    assert editor.document()["aspirate"]["differential"]["blasts"] == 26
    flags = " ".join(editor.flags.texts())
    assert "Blast equivalents 5.2 %" in flags  # the flags follow the keys
    key(qtbot, editor, Qt.Key.Key_Escape)
    assert not counter.running
    assert "Counted with the counter by Dana Park" in counter.bar.provenance.text()
    key(qtbot, editor, "b")  # stopped: the key is the grid's or the field's again
    assert row(editor, "blasts")[0] == "26"


def test_the_users_stored_keymap_counts_in_the_editor(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory
) -> None:
    mine = Keymap(Preset.LETTERS).remapped("blasts", "q")
    app.counter.save_keymap(dr, mine)
    editor = open_editor(None, dr)
    qtbot.waitUntil(lambda: editor.counters.keymap == mine)
    key(qtbot, editor, Qt.Key.Key_F9)
    counter = counter_of(editor)
    assert "Q Blasts" in counter.bar.legend.texts
    key(qtbot, editor, "q")
    key(qtbot, editor, "b")  # b counts nothing now, and says so
    assert row(editor, "blasts") == ("1", "100.0")
    assert "B counts no cell" in counter.bar.notice.text()
    key(qtbot, editor, Qt.Key.Key_F9)
    assert not counter.running


def test_remapping_in_the_keys_dialog_and_its_refusal(qtbot: QtBot) -> None:
    dialog = KeymapDialog(Keymap())
    qtbot.addWidget(dialog)
    dialog.show()
    blasts = dialog.boxes["blasts"]
    qtbot.keyClick(blasts, "n")  # already counts neutrophils
    dialog.accept()
    assert dialog.isVisible()
    assert "N already counts Neutrophils" in dialog.error.text()
    assert "Nothing was changed" in dialog.error.text()
    assert dialog.keymap == Keymap()
    qtbot.keyClick(blasts, Qt.Key.Key_F9)
    assert blasts.key == "f9"
    dialog.accept()
    assert "F9 starts and stops the counter" in dialog.error.text()
    qtbot.keyClick(blasts, "7", Qt.KeyboardModifier.KeypadModifier)
    assert blasts.text() == "Num 7"
    dialog.accept()
    assert not dialog.isVisible()
    assert dialog.keymap.cell_for("num 7") == "blasts"
    assert dialog.keymap.cell_for("b") is None


def test_keypad_preset_from_the_dialog(qtbot: QtBot) -> None:
    dialog = KeymapDialog(Keymap())
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentIndex(1)
    assert dialog.boxes["blasts"].text() == "Num 7"
    dialog.accept()
    assert dialog.keymap == Keymap(Preset.KEYPAD)


def test_ring_sideroblast_counter_fills_the_iron_section(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    key(qtbot, editor, Qt.Key.Key_F10)
    for name in "1122222222":
        key(qtbot, editor, name)
    key(qtbot, editor, "b")  # never a blast here
    iron = editor.document()["aspirate"]["iron"]
    assert iron == {"ring_sideroblasts": 2, "erythroblasts_counted": 10}
    assert "Only 1 (ring sideroblast) and 2" in editor.message_bar.text.text()
    key(qtbot, editor, Qt.Key.Key_Backspace)
    iron = editor.document()["aspirate"]["iron"]
    assert iron == {"ring_sideroblasts": 2, "erythroblasts_counted": 9}
    assert "differential" not in editor.document().get("aspirate", {})
    key(qtbot, editor, Qt.Key.Key_F10)
    assert not editor.counters.ring.active
    key(qtbot, editor, Qt.Key.Key_F10)  # goes on from the fields' values
    key(qtbot, editor, "1", Qt.KeyboardModifier.KeypadModifier)
    iron = editor.document()["aspirate"]["iron"]
    assert iron == {"ring_sideroblasts": 3, "erythroblasts_counted": 10}
    key(qtbot, editor, Qt.Key.Key_Escape)


def test_screenshot_of_the_counter_mid_count(
    qtbot: QtBot, dr: User, open_editor: EditorFactory, tmp_path: Path
) -> None:
    """The counter mid-count (into docs/screenshots with MARROWPATH_SCREENSHOTS=1; a test
    run never rewrites the repository's files otherwise)."""
    editor = open_editor(None, dr)
    editor.resize(1366, 900)
    key(qtbot, editor, Qt.Key.Key_F9)
    for name in (
        "b" * 18
        + "p" * 9
        + "m" * 30
        + "t" * 22
        + "a" * 25
        + "n" * 61
        + "e" * 6
        + "l" * 40
        + "c" * 5
        + "2" * 9
        + "3" * 33
        + "4" * 12
        + "z" * 3
    ):
        key(qtbot, editor, name)
    qtbot.wait(200)  # the layout settles (labels that grew with the count)
    saved = save_screenshot(editor, "counter.png", tmp_path)
    assert saved is not None and saved.stat().st_size > 10_000
    key(qtbot, editor, Qt.Key.Key_F9)


def test_a_drop_down_typed_into_never_changes_its_value_unseen(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    field = editor.form.field("aspirate.cellularity")
    combo = getattr(field, "combo", None)
    assert isinstance(combo, ChoiceBox)
    combo.setFocus()
    with qtbot.assertNotEmitted(field.changed):
        qtbot.keyClick(combo, "h")  # both Hypocellular and Hypercellular begin with h
        chooser = combo.chooser
        assert chooser.isVisible()
        assert chooser.texts() == ["Hypocellular", "Hypercellular"]
        assert field.value() is None
        for character in "yper":
            qtbot.keyClick(chooser.filter, character)
        assert chooser.texts() == ["Hypercellular"]
        assert field.value() is None  # still nothing chosen while the list shows
    qtbot.keyClick(chooser.filter, Qt.Key.Key_Return)
    assert not chooser.isVisible()
    assert field.value() == "hypercellular"
    assert editor.document()["aspirate"]["cellularity"] == "hypercellular"
    # Escape leaves the value as it was; a word that matches nothing lists nothing
    qtbot.keyClick(combo, "n")
    for character in "xyz":
        qtbot.keyClick(chooser.filter, character)
    assert chooser.texts() == ["No choice matches “nxyz”"]
    qtbot.keyClick(chooser.filter, Qt.Key.Key_Return)
    qtbot.keyClick(chooser.filter, Qt.Key.Key_Escape)
    assert not chooser.isVisible()
    assert field.value() == "hypercellular"


def test_clear_counts_asks_first_and_starts_afresh(
    qtbot: QtBot, dr: User, open_editor: EditorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_editor(None, dr)
    key(qtbot, editor, Qt.Key.Key_F9)
    counter = counter_of(editor)
    for name in "bbnz":
        key(qtbot, editor, name)
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: next(answers))
    counter.ask_clear()  # answered No: nothing changes
    assert row(editor, "blasts") == ("2", "66.7")
    counter.ask_clear()
    assert row(editor, "blasts") == ("", "")
    assert "differential" not in editor.document().get("aspirate", {})
    assert "smudge" not in counter.bar.state.text()
    key(qtbot, editor, "n")  # counting goes on from nothing
    assert row(editor, "neutrophils") == ("1", "100.0")
    key(qtbot, editor, Qt.Key.Key_Escape)
