"""The differential count grid: counts typed per category, percentages computed live.

Why its own widget: a 500-cell count is typed fast from the keyboard, row after row, and
the pathologist wants to see the percentages, the cells counted, the M:E ratio and the
H/L marks against the lab's reference intervals change as each number goes in. The
numbers come from `summarise_differential`, the same function the report prints with,
so the screen and the paper never disagree.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QAbstractScrollArea,
    QBoxLayout,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.case import Differential
from marrowpath.domain.derived import DifferentialSummary, summarise_differential
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.labels import leaf
from marrowpath.domain.settings import LabSettings
from marrowpath.ui.editor.fields import (
    Outline,
    error_label,
    format_number,
    parse_number,
    sentence,
)
from marrowpath.ui.editor.item_table import PROBLEM_BACKGROUND
from marrowpath.ui.editor.live import interval_lines
from marrowpath.ui.editor.steady import set_text

ModelIndex = QModelIndex | QPersistentModelIndex
CATEGORIES = list(DifferentialCategory)
KEYS = frozenset(c.value for c in CATEGORIES)
CATEGORY, COUNT, PERCENT, REFERENCE, MARK = range(5)
HEADINGS = ("Cell type", "Count", "%", "Reference %", "H/L")
MARK_COLOUR = QColor("#b35c00")


def category_name(category: DifferentialCategory) -> str:
    """The row's name, as the case model declares the category for the form."""
    return leaf(f"aspirate.differential.{category.value}").label.entry_label


def _range(low: float, high: float) -> str:
    return f"{low:g}-{high:g}"


def valid_counts(texts: dict[DifferentialCategory, str]) -> Differential:
    """The counts that are whole numbers >= 0 (the others are reported as problems and
    count as 0 until corrected)."""
    counts: dict[str, int] = {}
    for category, text in texts.items():
        value = parse_number(text)
        if isinstance(value, int) and value >= 0:
            counts[category.value] = value
    return Differential.model_validate(counts)


class DifferentialModel(QAbstractTableModel):
    """One row per category (`DifferentialCategory`); only the Count column is editable.

    Signals:
        counts_changed() -- a count was typed (the summary is already recomputed).
    """

    counts_changed = Signal()

    def __init__(self, settings: LabSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._texts: dict[DifferentialCategory, str] = dict.fromkeys(CATEGORIES, "")
        self._problems: dict[DifferentialCategory, str] = {}
        self._editable = True
        self.summary: DifferentialSummary = summarise_differential(Differential(), settings)
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------ values

    def texts(self) -> dict[DifferentialCategory, str]:
        return dict(self._texts)

    def set_texts(self, texts: dict[DifferentialCategory, str]) -> None:
        self.beginResetModel()
        self._texts = {category: texts.get(category, "") for category in CATEGORIES}
        self._recompute()
        self.endResetModel()

    def set_settings(self, settings: LabSettings) -> None:
        self.beginResetModel()
        self._settings = settings
        self._recompute()
        self.endResetModel()

    def set_problems(self, problems: dict[DifferentialCategory, str]) -> None:
        if problems == self._problems:
            return
        self._problems = problems
        self.dataChanged.emit(self.index(0, COUNT), self.index(len(CATEGORIES) - 1, COUNT))

    def set_editable(self, editable: bool) -> None:
        self._editable = editable

    @property
    def editable(self) -> bool:
        return self._editable

    def clear_counts(self) -> None:
        """Every count emptied, as a change of the user's (the counter's Clear counts)."""
        self.beginResetModel()
        self._texts = dict.fromkeys(CATEGORIES, "")
        self._recompute()
        self.endResetModel()
        self.counts_changed.emit()

    @property
    def settings(self) -> LabSettings:
        return self._settings

    def _recompute(self) -> None:
        self.summary = summarise_differential(valid_counts(self._texts), self._settings)

    # ------------------------------------------------------------ Qt model protocol

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CATEGORIES)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADINGS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADINGS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            if section == REFERENCE:
                return f"The lab's reference intervals: {self._settings.reference_source}"
            if section == MARK:
                return "H above the reference interval, L below it"
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == COUNT and self._editable:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        category = CATEGORIES[index.row()]
        row = self.summary.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == CATEGORY:
                return category_name(category)
            if column == COUNT:
                return self._texts[category]
            if column == PERCENT:
                return str(row.percent) if row.percent is not None else ""
            if column == REFERENCE:
                return _range(*row.interval) if row.interval else ""
            if column == MARK:
                if role == Qt.ItemDataRole.AccessibleTextRole:
                    return {"H": "high", "L": "low"}.get(row.mark, "")
                return row.mark
        if role == Qt.ItemDataRole.EditRole and column == COUNT:
            return self._texts[category]
        if role == Qt.ItemDataRole.TextAlignmentRole and column != CATEGORY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == MARK and row.mark:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column == MARK and row.mark:
            return MARK_COLOUR
        if column == COUNT and category in self._problems:
            if role == Qt.ItemDataRole.BackgroundRole:
                return PROBLEM_BACKGROUND
            if role == Qt.ItemDataRole.ToolTipRole:
                return sentence(self._problems[category])
        if role == Qt.ItemDataRole.ToolTipRole and column == MARK and row.mark:
            return "above the reference interval" if row.mark == "H" else "below it"
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != COUNT:
            return False
        category = CATEGORIES[index.row()]
        text = "" if value is None else str(value)
        if text == self._texts[category]:
            return True
        self._texts[category] = text
        before = self._shown()
        self._recompute()
        self.dataChanged.emit(index, index)
        # Only the cells whose words changed, one by one: a view repaints a single
        # index's rectangle but its whole viewport for a range (a counted cell changes
        # the percentages of the rows counted so far, rarely a mark, never a reference).
        for (row, column), shown in self._shown().items():
            if before.get((row, column)) != shown:
                cell = self.index(row, column)
                self.dataChanged.emit(cell, cell)
        self.counts_changed.emit()
        return True

    def _shown(self) -> dict[tuple[int, int], tuple[object, ...]]:
        """What the derived columns show, by (row, column)."""
        shown: dict[tuple[int, int], tuple[object, ...]] = {}
        for number, row in enumerate(self.summary.rows):
            shown[number, PERCENT] = (str(row.percent) if row.percent is not None else "",)
            shown[number, REFERENCE] = (row.interval,)
            shown[number, MARK] = (row.mark,)
        return shown


class _LiveCountDelegate(QStyledItemDelegate):
    """A count editor that commits every keystroke, so the percentages follow the typing."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        editor.setAccessibleName(f"{index.model().index(index.row(), CATEGORY).data()} count")
        editor.textEdited.connect(lambda _t, e=editor: self.commitData.emit(e))
        return editor

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex) -> None:
        assert isinstance(editor, QLineEdit)
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class DifferentialTable(QTableView):
    """Arrow keys move between categories; typing a number starts (and replaces) a count;
    Enter moves down to the next category, as on a counting sheet."""

    def __init__(self, model: DifferentialModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName("Differential counts")
        self.setItemDelegateForColumn(COUNT, _LiveCountDelegate(self))
        self.setTabKeyNavigation(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.verticalHeader().setVisible(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("00000") + 12)
        self.setCurrentIndex(model.index(0, COUNT))

    def count_index(self, row: int) -> QModelIndex:
        return self.model().index(row, COUNT)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:
            self._move_down()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # While editing, the delegate closes the editor (queued) and closeEditor moves
            # down; the same key bubbling up here must not move a second time.
            if self.state() != QAbstractItemView.State.EditingState:
                self._move_down()
            return
        if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            return  # one editable column: left and right stay on the count
        super().keyPressEvent(event)

    def _move_down(self) -> None:
        row = min(self.currentIndex().row() + 1, self.model().rowCount() - 1)
        self.setCurrentIndex(self.count_index(row))

    def focusInEvent(self, event: Any) -> None:
        super().focusInEvent(event)
        if self.currentIndex().column() != COUNT:
            self.setCurrentIndex(self.count_index(max(self.currentIndex().row(), 0)))


class DifferentialPanel(QWidget):
    """The grid with its live summary: cells counted, myeloid, erythroid, M:E ratio.

    Signals:
        changed() -- a count was typed.
    """

    changed = Signal()

    def __init__(self, settings: LabSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = "aspirate.differential"
        self.label = "Differential"
        self.section = "Aspirate"
        self._loading = False
        self.model = DifferentialModel(settings, self)
        self.table = DifferentialTable(self.model)
        self.outline = Outline(self.table)
        self.cells = self._value_label("Cells counted")
        self.myeloid = self._value_label("Myeloid cells")
        self.erythroid = self._value_label("Erythroid cells")
        self.ratio = self._value_label("M:E ratio")
        self.rule = QLabel()
        self.rule.setWordWrap(True)
        # 95 % intervals of blasts, blast equivalents and plasma cells, live while counting
        self.intervals = self._value_label("Counting error (95 % CI)")
        self.error = error_label()
        totals = QFormLayout()
        totals.setContentsMargins(0, 0, 0, 0)
        totals.addRow("Cells counted:", self.cells)
        totals.addRow("Myeloid cells:", self.myeloid)
        totals.addRow("Erythroid cells:", self.erythroid)
        totals.addRow("M:E ratio:", self.ratio)
        totals.addRow("95 % CI:", self.intervals)
        summary = QWidget()
        summary.setLayout(totals)
        under = QHBoxLayout()
        under.setContentsMargins(0, 0, 0, 0)
        under.addWidget(summary)
        under.addStretch(1)
        # the grid, and beside it what other modules add (the counter's keys); under it
        # when the editor is too narrow for both (1366 px screens, 200 % scaling), so that
        # the form never needs a horizontal scroll bar
        self.beside_box = QWidget()
        self.beside = QVBoxLayout(self.beside_box)
        self.beside.setContentsMargins(0, 0, 0, 0)
        self.top = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.top.setContentsMargins(0, 0, 0, 0)
        self.top.addWidget(self.outline, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.top.addWidget(self.beside_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self.top)
        layout.addWidget(self.error)
        layout.addLayout(under)
        layout.addWidget(self.rule)
        self.model.counts_changed.connect(self._on_counts)
        self.model.modelReset.connect(self._show_summary)
        self._show_summary()

    def _side_by_side_width(self) -> int:
        """The width the grid and what is beside it need next to each other."""
        return (
            self.outline.sizeHint().width()
            + self.top.spacing()
            + self.beside_box.minimumSizeHint().width()
        )

    def minimumSizeHint(self) -> QSize:
        """As narrow as the wider of the grid and its neighbour (stacked), not their sum:
        the panel stacks them rather than push the form wider than the screen."""
        hint = super().minimumSizeHint()
        stacked = max(
            self.outline.minimumSizeHint().width(), self.beside_box.minimumSizeHint().width()
        )
        return QSize(min(hint.width(), stacked), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(event.size().width())
        super().resizeEvent(event)

    def _arrange(self, width: int) -> None:
        wide = width >= self._side_by_side_width()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.top.direction() != direction:
            self.top.setDirection(direction)

    @property
    def stacked(self) -> bool:
        """True when what is beside the grid is shown under it (a narrow editor)."""
        return self.top.direction() is QBoxLayout.Direction.TopToBottom

    @staticmethod
    def _value_label(name: str) -> QLabel:
        label = QLabel()
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    @property
    def title(self) -> str:
        return f"{self.section} › {self.label}"

    def add_beside(self, widget: QWidget) -> None:
        """Show a widget to the right of the grid (the counter's keys and state)."""
        self.beside.addWidget(widget)

    def summary_labels(self) -> tuple[QLabel, ...]:
        """The labels under the grid that follow every count."""
        return (self.cells, self.myeloid, self.erythroid, self.ratio, self.rule, self.intervals)

    def _on_counts(self) -> None:
        self._show_summary()
        if not self._loading:
            self.changed.emit()

    def _show_summary(self) -> None:
        summary = self.model.summary
        set_text(self.cells, f"{summary.cells_counted:,}")
        set_text(self.myeloid, f"{summary.myeloid:,}")
        erythroid = f"{summary.erythroid:,}"
        if summary.erythroid_percent is not None:
            erythroid += f" ({summary.erythroid_percent} %"
            interval = self.model.settings.interval("erythroid")
            if summary.erythroid_mark:
                erythroid += f", {summary.erythroid_mark}"
            if interval:
                erythroid += f"; reference {_range(interval.low, interval.high)} %"
            erythroid += ")"
        set_text(self.erythroid, erythroid)
        ratio = summary.me_ratio_text
        interval = self.model.settings.interval("me_ratio")
        if summary.me_ratio is not None:
            if summary.me_ratio_mark:
                ratio += f" {summary.me_ratio_mark}"
            if interval:
                ratio += f" (reference {interval.low:.1f}-{interval.high:.1f})"
        set_text(self.ratio, ratio)
        set_text(self.rule, f"M:E ratio = {summary.me_rule}.")
        lines = interval_lines(summary)
        set_text(self.intervals, "\n".join(lines) + ("\n(counting error only)" if lines else ""))

    # ------------------------------------------------------------ binding

    def value(self) -> dict[str, Any] | None:
        counts = {
            category.value: parse_number(text)
            for category, text in self.model.texts().items()
            if text.strip()
        }
        return counts or None

    def set_value(self, value: Any) -> None:
        data = value if isinstance(value, dict) else {}
        self._loading = True
        try:
            self.model.set_texts({c: format_number(data.get(c.value)) for c in CATEGORIES})
        finally:
            self._loading = False

    def set_settings(self, settings: LabSettings) -> None:
        self.model.set_settings(settings)

    def set_editable(self, editable: bool) -> None:
        self.model.set_editable(editable)

    def show_problems(self, problems: list[tuple[str | None, str]]) -> None:
        """Problems by category key (None: about the differential as a whole)."""
        by_category: dict[DifferentialCategory, str] = {}
        lines: list[str] = []
        for key, message in problems:
            if key in KEYS:
                category = DifferentialCategory(key)
                by_category[category] = message
                lines.append(f"{category_name(category)}: {message}")
            else:
                lines.append(f"{key}: {message}" if key else sentence(message))
        self.model.set_problems(by_category)
        self.outline.set_invalid(bool(lines))
        self.error.setText("\n".join(lines))
        self.error.setVisible(bool(lines))
        self.table.setAccessibleDescription("\n".join(lines))

    def focus_category(self, key: str | None) -> None:
        row = 0
        if key in KEYS:
            row = CATEGORIES.index(DifferentialCategory(key))
        self.table.setCurrentIndex(self.table.count_index(row))
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
