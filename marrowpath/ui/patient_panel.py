"""The Patient panel: a patient's marrows as a list and a trend chart, at a glance.

Shown in the case editor (the case's patient) and as a tab of its own from the
worklist's context menu. The timeline is read on the task runner, never on the GUI
thread; double-clicking a row or clicking a point opens that case. The list carries the
ancillary measurements of each case; the therapy periods are listed under the header
(the chart shades them).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.timeline import (
    SERIES,
    Series,
    TherapyPeriod,
    Timeline,
    TimelineEntry,
    Value,
)
from marrowpath.domain.users import User
from marrowpath.domain.wording import plural
from marrowpath.ui import status as status_words
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message
from marrowpath.ui.trend_chart import TrendChart, kind_words

COLUMNS = (
    "Accession",
    "Procedure date",
    "Status",
    *(series.heading for series in SERIES),
    "Measurements",
    "Diagnosis",
)
MEASUREMENTS_COLUMN = COLUMNS.index("Measurements")


def row_texts(entry: TimelineEntry) -> list[str]:
    """One list row; a case without values says why in its status."""
    values = entry.values
    head = [
        entry.accession,
        entry.procedure_date.isoformat() if entry.procedure_date else "",
        status_words.word(entry.status),
    ]
    if values is None:
        return [*head, *([""] * len(SERIES)), "", "not plotted"]
    return [
        *head,
        *(_shown(series, values.of(series)) for series in SERIES),
        "; ".join(m.words for m in values.measurements),
        entry.diagnosis,
    ]


def therapy_line(periods: tuple[TherapyPeriod, ...]) -> str:
    """The therapy periods in one line, oldest first: what, its kind, from and to."""
    return "Therapy: " + "; ".join(
        f"{p.name} ({kind_words(p.kind).lower()}, {p.start.isoformat()}"
        + (f" to {p.end.isoformat()})" if p.end else ", ongoing)")
        for p in periods
    )


def _shown(series: Series, value: Value) -> str:
    return "" if value is None else series.shown(value)


class PatientPanel(QWidget):
    """Header, list and chart of one patient's timeline.

    Signals:
        open_requested(str) -- the accession of a case to open.
    """

    open_requested = Signal(str)

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: Callable[[], User],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.mrn: str | None = None
        self.timeline: Timeline | None = None
        self.header = QLabel("No patient")
        self.header.setAccessibleName("Patient")
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Marrows of this patient")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        # sized once after filling (resizing to contents on every item costs ms per cell)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)  # Stretch mode, set below
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.activated.connect(lambda index: self._open_row(index.row()))
        self.chart = TrendChart()
        self.chart.point_clicked.connect(self.open_requested)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.therapy = QLabel()
        self.therapy.setAccessibleName("Therapy periods")
        self.therapy.setWordWrap(True)
        self.therapy.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.therapy.hide()
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.header)
        layout.addWidget(self.message)
        layout.addWidget(self.therapy)
        layout.addWidget(splitter, 1)

    def load(self, mrn: str) -> None:
        """Read the patient's timeline in the background and show it."""
        self.mrn = mrn
        self.header.setText(f"{mrn}: reading the patient's marrows...")
        user = self._user()
        service = self._services.timeline
        if service is None:
            self._failed(RuntimeError("the timeline is not available in this installation"))
            return
        self._runner.run(
            lambda: service.timeline(user, mrn),
            on_done=self.show_timeline,
            on_error=self._failed,
            owner=self,
        )

    def show_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.mrn = timeline.mrn
        self.message.hide()
        plotted = len(timeline.points)
        self.header.setText(
            f"{timeline.patient_name} · {timeline.mrn} · "
            f"{plural(len(timeline.entries), 'marrow')}, {plotted} with issued values"
        )
        self.table.setRowCount(len(timeline.entries))
        for row, entry in enumerate(timeline.entries):
            for column, text in enumerate(row_texts(entry)):
                item = QTableWidgetItem(text)
                if column >= MEASUREMENTS_COLUMN:  # long texts: the whole of it on hover
                    item.setToolTip(text)
                if not entry.plotted:
                    item.setForeground(self.palette().placeholderText())
                if text:
                    item.setToolTip(text)  # the diagnosis is elided to the width left
                self.table.setItem(row, column, item)
        self.therapy.setText(therapy_line(timeline.therapy))
        self.therapy.setVisible(bool(timeline.therapy))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()
        # measurements: shown when a marrow has some, elided (whole on hover) so that the
        # diagnosis keeps room in the editor's width
        measured = any(entry.values and entry.values.measurements for entry in timeline.entries)
        self.table.setColumnHidden(MEASUREMENTS_COLUMN, not measured)
        widest = self.fontMetrics().averageCharWidth() * 28
        if self.table.columnWidth(MEASUREMENTS_COLUMN) > widest:
            self.table.setColumnWidth(MEASUREMENTS_COLUMN, widest)
        # the diagnosis (last) takes the width the other columns leave, elided, so that
        # the list never scrolls sideways nor hides its rows behind a scroll bar
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self._fit_table(len(timeline.entries))
        self.chart.show_timeline(timeline)

    def _fit_table(self, rows: int) -> None:
        """Room for every row up to eight (a longer list scrolls), the chart below."""
        shown = max(1, min(rows, 8))
        height = self.table.horizontalHeader().height() + 2 * self.table.frameWidth() + 4
        height += shown * self.table.verticalHeader().defaultSectionSize()
        if self.table.horizontalScrollBar().maximum() > 0:  # columns wider than the screen
            height += self.table.horizontalScrollBar().sizeHint().height()
        self.table.setMinimumHeight(height)
        self.splitter.setSizes([height, max(self.height() - height, 260)])

    def _failed(self, error: Exception) -> None:
        self.header.setText(self.mrn or "No patient")
        self.message.setText(user_message(error))
        self.message.show()

    def _open_row(self, row: int) -> None:
        if self.timeline is not None and 0 <= row < len(self.timeline.entries):
            self.open_requested.emit(self.timeline.entries[row].accession)
