"""The differential counter in the aspirate grid (F9; `bench.md` section 1).

Why inside the grid: the counts, percentages, H/L marks, M:E ratio and advisory flags the
pathologist watches grow are the grid's own, recomputed by the same path as a typed
count; the counter only adds one to a row per key. No database work happens per key:
the keymap is read once, in the background, when the editor opens.

The rules (which key counts which cell, the target, undo) are `domain/counter.py`; this
module turns key presses into those rules' calls and shows what they answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.counter import (
    DEFAULT_TARGET,
    SMUDGE,
    TARGETS,
    DifferentialCount,
    Keymap,
    Outcome,
    cell_name,
    key_label,
)
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.ui.editor.chime import Chime
from marrowpath.ui.editor.differential import (
    CATEGORIES,
    COUNT,
    DifferentialPanel,
    valid_counts,
)
from marrowpath.ui.editor.key_capture import KeyCapture
from marrowpath.ui.editor.steady import hold, pin, release, set_text

NOTICE_STYLE = "QLabel { background: #fff3cd; color: #5c3c00; padding: 2px 6px; }"
FLASH_MS = 350
FLASH_COLOUR = "#fff3cd"


@dataclass
class CountRecord:
    """How the differential in the grid was counted with the counter: what
    `aspirate.count` of `marrowpath.case/2` holds once the count finishes
    (`count_provenance.py` writes it into the form)."""

    counted_by: str
    started_at: datetime
    target: int
    finished_at: datetime | None = None
    smudge_cells: int = 0
    second: bool = False  # a second observer's count (`aspirate.second_count`)
    # the counter's display name, shown where the username is kept (`counted_by`)
    counter_name: str = ""

    def words(self) -> str:
        when = self.started_at.astimezone().strftime("%H:%M")
        text = f"Counted with the counter by {self.counter_name or self.counted_by} from {when}"
        if self.finished_at is not None:
            text += f" to {self.finished_at.astimezone().strftime('%H:%M')}"
        if self.smudge_cells:
            text += f"; {self.smudge_cells} smudge cells seen, not in the count"
        return text + "."


class SecondCountTarget(Protocol):
    """Where "Count again as second observer" counts: the second count's fields, never
    the reported differential (`bench.md` section 1)."""

    def counts(self) -> dict[str, int]: ...
    def show(self, cell: str, number: int) -> None: ...
    def say(self, text: str) -> None: ...
    def clear(self) -> None: ...


class KeymapLegend(QWidget):
    """The map in force, beside the grid: "B  Blasts" in three columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Counter keys")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(0)
        self.texts: list[str] = []

    def show_keymap(self, keymap: Keymap) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        entries = list(keymap.keys().items())
        rows = (len(entries) + 2) // 3
        self.texts = []
        for i, (cell, key) in enumerate(entries):
            shown = key_label(key) if key else "—"
            key_box = QLabel(f"<b>{shown}</b>")
            name = QLabel(cell_name(cell))
            self.texts.append(f"{shown} {cell_name(cell)}")
            row, column = i % rows, (i // rows) * 2
            self._grid.addWidget(key_box, row, column)
            self._grid.addWidget(name, row, column + 1)
        # the columns keep to their text; the space left over stays at the right
        self._grid.setColumnStretch(((len(entries) + rows - 1) // max(rows, 1)) * 2, 1)
        self.setToolTip(
            "Counter keys: F9 or Escape stops, Backspace or Ctrl+Z takes back the last "
            "cell, Page Up and Page Down change the target"
        )


class CounterBar(QWidget):
    """Above the keymap: the state line, the target, the keys and Clear counts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel()
        self.state.setAccessibleName("Counter")
        palette = self.state.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(FLASH_COLOUR))
        self.state.setPalette(palette)
        self.state.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setAccessibleName("Counter notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.notice.hide()
        self.target = QComboBox()
        self.target.setAccessibleName("Counter target")
        for target in TARGETS:
            self.target.addItem(f"{target:,} cells", target)
        self.target.setCurrentIndex(TARGETS.index(DEFAULT_TARGET))
        self.start = QPushButton("Count (F9)")
        self.keys = QPushButton("Keys...")
        self.keys.setToolTip("Change your counter keys (kept with your user name)")
        self.clear = QPushButton("Clear counts...")
        self.provenance = QLabel()
        self.provenance.setAccessibleName("How the differential was counted")
        self.provenance.setWordWrap(True)
        self.legend = KeymapLegend()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(QLabel("Target:"))
        buttons.addWidget(self.target)
        buttons.addWidget(self.start)
        buttons.addWidget(self.keys)
        buttons.addWidget(self.clear)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.state)
        layout.addWidget(self.notice)
        layout.addWidget(self.legend)
        layout.addWidget(self.provenance)
        layout.addStretch(1)

    def flash(self, text: str) -> None:
        """A visible notice (also what stands in for a sound where none can play)."""
        self.notice.setText(text)
        self.notice.show()


class DifferentialCounter(KeyCapture):
    """F9 starts and stops; while counting every key of the editor is a cell.

    Signals:
        running_changed(bool) -- counting started (True) or stopped (False).
        finished(object) -- a count that added cells reached its target or was
            stopped: its `CountRecord` (the document's `aspirate.count`).
    """

    running_changed = Signal(bool)
    finished = Signal(object)

    def __init__(
        self,
        panel: DifferentialPanel,
        *,
        username: Callable[[], str],
        now: Callable[[], datetime],
        full_name: Callable[[], str] | None = None,
        edit_keys: Callable[[], None] | None = None,
        smudge: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(panel)
        self.panel = panel
        self._username = username
        self._full_name = full_name or username
        self._now = now
        self._smudge_recorded = smudge
        self.keymap = Keymap()
        self.count: DifferentialCount | None = None
        self.record: CountRecord | None = None
        self.smudge = 0
        self.second: SecondCountTarget | None = None  # counting a second count into it
        self.bar = CounterBar()
        self.chime = Chime(self._flash_sound, self)
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(lambda: self.bar.state.setAutoFillBackground(False))
        panel.add_beside(self.bar)
        self.bar.start.clicked.connect(self.toggle)
        self.bar.target.currentIndexChanged.connect(self._target_chosen)
        self.bar.clear.clicked.connect(self.ask_clear)
        if edit_keys is not None:
            self.bar.keys.clicked.connect(edit_keys)
        else:
            self.bar.keys.hide()
        self.bar.legend.show_keymap(self.keymap)
        self._show_state()

    # ------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        return self.active

    @property
    def target(self) -> int:
        return int(self.bar.target.currentData())

    def set_keymap(self, keymap: Keymap) -> None:
        self.keymap = keymap
        self.bar.legend.show_keymap(keymap)

    def toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self, second: SecondCountTarget | None = None) -> None:
        """Count into the grid, or with `second` into a second observer's count (which
        keeps no smudge cells: the format has none for it)."""
        if self.running or not self.panel.model.editable:
            return
        self.second = second
        if second is not None:
            counts = second.counts()
            smudge = 0
        else:
            grid = valid_counts(self.panel.model.texts()).counts()
            counts = {c.value: n for c, n in grid.items()}
            if self._smudge_recorded is not None:  # counting on: the smudge cells seen before
                self.smudge = self._smudge_recorded() if counts else 0
            smudge = self.smudge
        self.count = DifferentialCount(counts, target=self.target, smudge=smudge)
        self.record = CountRecord(
            self._username(),
            self._now(),
            self.target,
            None,
            smudge,
            second is not None,
            counter_name=self._full_name(),
        )
        self.bar.notice.hide()
        # The columns keep their widths while counting: sizing them to their contents on
        # every key reads every cell of the grid (a count grows within its column).
        self.panel.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._hold(True)
        QTimer.singleShot(0, self.chime.prepare)  # after F9's paint, before the 100th cell
        self.start_capture()
        self.bar.start.setText("Stop (F9)")
        self._show_state()
        self.running_changed.emit(True)

    def stop(self) -> None:
        if not self.running:
            return
        self.stop_capture()
        self._hold(False)
        header = self.panel.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._finish()
        if self.second is not None and self.count is not None:
            self.second.say(f"Second count stopped: {self.count.total:,} cells.")
        self.second = None
        self.bar.start.setText("Count (F9)")
        self._show_state()
        self.running_changed.emit(False)

    def _finish(self) -> None:
        """The count so far is the document's count: at the target and at every stop,
        when this count added cells (starting and stopping alone counts nothing)."""
        record, count = self.record, self.count
        if record is None or count is None:
            return
        record.finished_at = self._now()
        if not record.second:
            record.smudge_cells = count.smudge
            self.bar.provenance.setText(record.words())
        if count.history:
            self.finished.emit(record)

    def _hold(self, held: bool) -> None:
        """The labels a counted cell rewords keep their sizes while counting (`steady`)."""
        for label in (*self.panel.summary_labels(), self.bar.state):
            hold(label, held)
        if held:
            pin(self.panel.table)
        else:
            release(self.panel.table)

    # ------------------------------------------------------------ keys

    def handle(self, name: str) -> None:
        count = self.count
        assert count is not None
        if name in ("f9", "escape"):
            self.stop()
            return
        if name in ("backspace", "ctrl+z"):
            outcome, cell = count.undo()
            if cell is not None:
                self._apply(cell)
            self._say(None if outcome is Outcome.UNDONE else "Nothing left to take back.")
            return
        if name in ("page up", "page down"):
            target = count.raise_target() if name == "page up" else count.lower_target()
            self._choose_target(target)
            return
        cell = self.keymap.cell_for(name)
        if cell is None:
            self._say(f"{key_label(name)} counts no cell (keys are listed beside the grid).")
            return
        outcome = count.press(cell)
        if outcome is Outcome.AT_TARGET:
            self._say(
                f"Target of {count.target:,} cells reached: {cell_name(cell)} not counted. "
                "Raise the target (Page Up) to go on."
            )
            return
        self._apply(cell)
        if outcome is Outcome.TICK:
            self.chime.tick()
        elif outcome is Outcome.TARGET:
            self.chime.target()
            self._say(f"Target of {count.target:,} cells reached. Counting stopped.")
            self._finish()
        else:
            self._say(None)

    def _apply(self, cell: str) -> None:
        """The grid shows the count's number for the cell (the summary, flags and
        percentages follow the grid's own change signal)."""
        count = self.count
        assert count is not None
        if self.second is not None:
            if cell != SMUDGE:
                self.second.show(cell, count.counts[cell])
        elif cell == SMUDGE:
            self.smudge = count.smudge
            if self.record is not None:
                self.record.smudge_cells = count.smudge
        else:
            row = CATEGORIES.index(DifferentialCategory(cell))
            model = self.panel.model
            model.setData(model.index(row, COUNT), str(count.counts[cell]))
        self._show_state()

    def _say(self, text: str | None) -> None:
        if text is None:
            if self.bar.notice.isVisible() and not (self.count and self.count.at_target):
                self.bar.notice.hide()
            return
        self.bar.flash(text)
        if self.second is not None:
            self.second.say(text)  # beside the second count, where the eyes come back to

    def _flash_sound(self, kind: str) -> None:
        """Where no sound plays: the counter's line lights up for a moment instead."""
        self.bar.state.setAutoFillBackground(True)  # a palette, not a style sheet: no re-polish
        self._flash_timer.start()

    def _show_state(self) -> None:
        total = self.count.total if self.count else self.panel.model.summary.cells_counted
        smudge = f"; {self.smudge} smudge cells outside the count" if self.smudge else ""
        if self.running and self.second is not None:
            text = (
                f"Counting the second observer's count: {total:,} of {self.target:,} cells. "
                "F9 or Escape stops."
            )
            self.second.say(text)
        elif self.running:
            text = f"Counting: {total:,} of {self.target:,} cells{smudge}. F9 or Escape stops."
        else:
            text = f"Counter stopped: {total:,} cells{smudge}. F9 counts with the keys below."
        set_text(self.bar.state, text)

    # ------------------------------------------------------------ target, clearing

    def _choose_target(self, target: int) -> None:
        self.bar.target.setCurrentIndex(TARGETS.index(target) if target in TARGETS else -1)

    def _target_chosen(self, _index: int) -> None:
        if self.count is not None:
            self.count.set_target(self.target)
            if self.record is not None:
                self.record.target = self.target
            if not self.count.at_target:
                self.bar.notice.hide()
        self._show_state()

    def ask_clear(self) -> None:
        """Clear counts, after a confirmation: every row empty, smudge cells to 0."""
        answer = QMessageBox.question(
            self.panel,
            "Clear counts",
            "Clear every count of the second observer's count and start afresh?"
            if self.second is not None
            else "Clear every count of the differential and start afresh?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.clear()

    def clear(self) -> None:
        """Start afresh: the count being counted (a second observer's, while one is
        counted, never then the reported differential)."""
        if self.second is not None:
            self.second.clear()
        else:
            self.panel.model.clear_counts()
            self.smudge = 0
        if self.count is not None:
            self.count = DifferentialCount({}, target=self.target)
        self.bar.notice.hide()
        self._show_state()
