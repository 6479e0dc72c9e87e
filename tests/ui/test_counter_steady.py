"""What the counter's speed-ups keep exactly as before (issue 13): the grid repaints only
the cells whose words changed, labels held steady while counting still show every word
and take the room they need, the flags' rows are reused, and the checks run after the
paint still follow every key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from marrowpath.domain.flags import Flag
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import User
from marrowpath.ui.editor import steady
from marrowpath.ui.editor.counter import DifferentialCounter
from marrowpath.ui.editor.differential import REFERENCE, DifferentialModel, DifferentialPanel
from marrowpath.ui.editor.flags_panel import FlagsPanel, editor_flags
from marrowpath.ui.services import Services
from tests.ui.conftest import EditorFactory

pytestmark = pytest.mark.ui

ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.ToolTipRole,
)


def counting_panel(qtbot: QtBot) -> tuple[DifferentialPanel, DifferentialCounter]:
    panel = DifferentialPanel(LabSettings())
    qtbot.addWidget(panel)
    counter = DifferentialCounter(panel, username=lambda: "drpark", now=lambda: datetime.now(UTC))
    panel.show()
    qtbot.waitExposed(panel)
    counter.start()
    return panel, counter


def test_the_grid_after_counted_keys_equals_a_grid_made_afresh(qtbot: QtBot) -> None:
    panel, counter = counting_panel(qtbot)
    changed: list[tuple[int, int, int, int]] = []
    panel.model.dataChanged.connect(
        lambda first, last: changed.append((first.row(), first.column(), last.row(), last.column()))
    )
    keys = "bbpmmmtaannnnnell" * 6 + "c3334212zo"
    for name in keys:
        qtbot.keyClick(panel.table, name)
    # one index at a time (a range repaints the whole view), and never the references
    assert changed
    assert all(
        (row, column) == (last_row, last_column) for row, column, last_row, last_column in changed
    )
    assert REFERENCE not in {column for _row, column, _last_row, _last_column in changed}
    fresh = DifferentialModel(LabSettings())
    fresh.set_texts(panel.model.texts())
    for row in range(fresh.rowCount()):
        for column in range(fresh.columnCount()):
            for role in ROLES:
                ours = panel.model.index(row, column).data(role)
                assert ours == fresh.index(row, column).data(role), (row, column, role)
    counter.stop()


def test_held_labels_show_every_word_and_are_given_back_when_counting_stops(
    qtbot: QtBot,
) -> None:
    panel, counter = counting_panel(qtbot)
    for _ in range(3):
        qtbot.keyClick(panel.table, "b")
    QApplication.processEvents()
    qtbot.keyClick(panel.table, "b")  # held now: its size was fixed by the change
    state = counter.bar.state
    assert state.minimumSize() == state.maximumSize()
    assert state.text().startswith("Counting: 4 of 500 cells")
    assert panel.cells.text() == "4"
    # words that need more room than the held size: the label is given back its layout
    intervals = panel.intervals
    steady.set_text(intervals, "\n".join(["a line"] * 12))
    assert intervals.text().count("\n") == 11
    assert intervals.minimumSize() != intervals.maximumSize()
    qtbot.waitUntil(lambda: intervals.height() >= intervals.sizeHint().height())
    counter.stop()
    for label in (*panel.summary_labels(), state):
        assert label.minimumSize().width() == 0
        assert label.maximumSize().width() == steady.MAX_SIZE
    assert panel.table.maximumSize().width() == steady.MAX_SIZE


def test_a_steady_label_in_a_layout_grows_and_shrinks_with_its_words(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    label = QLabel("one line")
    label.setWordWrap(True)
    QVBoxLayout(window).addWidget(label)
    window.resize(200, 300)
    window.show()
    qtbot.waitExposed(window)
    steady.hold(label, True)
    steady.set_text(label, "two words")  # same room: held at its size
    assert label.minimumSize() == label.maximumSize()
    long = "many words that wrap over several lines in a narrow window " * 3
    steady.set_text(label, long)
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))
    steady.set_text(label, "short again")
    qtbot.waitUntil(lambda: label.height() == label.heightForWidth(label.width()))
    steady.hold(label, False)
    assert label.maximumSize().height() == steady.MAX_SIZE


def test_flag_rows_are_reused_as_their_number_changes(qtbot: QtBot) -> None:
    panel = FlagsPanel()
    qtbot.addWidget(panel)

    def flags(*messages: str) -> list[Flag]:
        return [Flag(code=f"r{i}", severity="advisory", message=m) for i, m in enumerate(messages)]

    panel.set_flags(flags("one", "two", "three"))
    first = shown(panel)
    panel.set_flags(flags("one b", "two b"))
    assert panel.texts() == ["one b", "two b"]
    assert [label.text() for label in shown(panel)] == ["one b", "two b"]
    assert shown(panel) == first[:2]  # the first two rows took the new words
    panel.set_flags(flags("x", "y", "z", "w"))
    assert [label.text() for label in shown(panel)] == ["x", "y", "z", "w"]
    assert shown(panel)[:2] == first[:2]
    panel.set_flags([])
    assert panel.texts() == []
    assert shown(panel) == []
    panel.set_flags(flags("again"))
    assert [label.text() for label in shown(panel)] == ["again"]


def shown(panel: FlagsPanel) -> list[QLabel]:
    """The flags' words in the panel's rows, top to bottom (rows let go are not)."""
    rows = [row for row in panel.findChildren(QWidget) if row.parentWidget() is panel]
    labels = []
    for row in sorted(rows, key=lambda row: row.y()):
        label = row.findChild(QLabel, "flag text")
        if label is not None:
            labels.append(label)
    return labels


def test_checks_run_after_the_paint_follow_every_counted_key(
    qtbot: QtBot, dr: User, services: Services, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    qtbot.keyClick(QApplication.focusWidget() or editor, Qt.Key.Key_F9)
    counter = editor.counters.differential
    assert counter is not None and counter.running
    for name in "bbbnnnnnnlll":
        qtbot.keyClick(QApplication.focusWidget() or editor, name)
        # the flags and intervals within the frame: at once, from the document as typed
        document = editor.document()
        today = services.today()
        expected = editor_flags(document, today=today, final_sign_out=True)
        assert editor.flags.texts() == [flag.message for flag in expected]
        assert editor.form.live.blasts.text().startswith("differential: ")
    # the checks after the paint: once the event loop ran, as a refresh of everything
    QApplication.processEvents()
    shown = (editor.missing.texts(), editor.problems.texts(), editor.side.findings.texts())
    editor._refresh()  # what the same document shows when everything runs at once
    assert (editor.missing.texts(), editor.problems.texts(), editor.side.findings.texts()) == shown
    assert editor.tab_title().endswith("*")
    assert "Only 12 cells counted" in " ".join(editor.flags.texts())
    qtbot.keyClick(QApplication.focusWidget() or editor, Qt.Key.Key_F9)
    assert not counter.running


def test_labels_held_while_counting_follow_a_resized_window(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    qtbot.keyClick(QApplication.focusWidget() or editor, Qt.Key.Key_F9)
    panel = editor.form.differential
    for name in "nnnn":
        qtbot.keyClick(QApplication.focusWidget() or editor, name)
        QApplication.processEvents()  # as the event loop does between keys
    held = panel.cells
    assert held.minimumSize() == held.maximumSize()  # held at its size while counting
    editor.resize(editor.width() - 200, editor.height())
    qtbot.waitUntil(lambda: held.maximumWidth() == steady.MAX_SIZE)  # given back
    qtbot.keyClick(QApplication.focusWidget() or editor, "3")
    assert held.text() == "5"
    assert panel.erythroid.text().startswith("1 (20.0 %")
    qtbot.keyClick(QApplication.focusWidget() or editor, Qt.Key.Key_F9)
    assert held.maximumWidth() == steady.MAX_SIZE
