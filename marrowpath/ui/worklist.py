"""The worklist: a thin table model over pages of cases that the database sorts and filters.

The model never holds more than the rows the user has scrolled to: it asks for the next
page when the view reaches the end (`canFetchMore`/`fetchMore`), off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import Permission, User
from marrowpath.services.ports import CaseSummary, SortKey
from marrowpath.ui import status as status_words
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

ModelIndex = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200


@dataclass(frozen=True)
class WorklistQuery:
    text: str = ""
    statuses: tuple[Status, ...] = ()
    mine: bool = False
    date_from: date | None = None
    date_to: date | None = None
    sort: SortKey = "procedure_date"
    descending: bool = True


@dataclass(frozen=True)
class Column:
    title: str
    sort: SortKey


COLUMNS = (
    Column("Accession", "accession"),
    Column("Patient", "patient"),
    Column("MRN", "mrn"),
    Column("Procedure date", "procedure_date"),
    Column("Status", "status"),
    Column("Ordering provider", "provider"),
    Column("Diagnosis", "diagnosis"),
    Column("Pathologist", "pathologist"),
    Column("Age (days)", "created_at"),
)

QUICK_FILTERS: tuple[tuple[str, tuple[Status, ...], bool], ...] = (
    ("All cases", (), False),
    ("My cases", (), True),
    ("Awaiting sign-out", (Status.DRAFT, Status.PRELIMINARY), False),
    ("Preliminary", (Status.PRELIMINARY,), False),
    ("Final", (Status.FINAL,), False),
    ("Amended", (Status.AMENDED, Status.APPENDED), False),
    ("Cancelled or withdrawn", (Status.CANCELLED, Status.ENTERED_IN_ERROR), False),
)

Fetch = Callable[[WorklistQuery, int, int], list[CaseSummary]]


def _status_icon(colour: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(colour)
    painter.setPen(colour.darker(130))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class WorklistModel(QAbstractTableModel):
    """Rows of `CaseSummary`, fetched a page at a time.

    Signals:
        loaded(int) -- a page arrived; the number of rows now held.
        failed(str) -- a page could not be fetched; the text for the user.
    """

    loaded = Signal(int)
    failed = Signal(str)

    def __init__(
        self,
        *,
        fetch: Fetch,
        runner: TaskRunner,
        today: Callable[[], date],
        page_size: int = PAGE_SIZE,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._runner = runner
        self._today = today
        self._page_size = page_size
        self._rows: list[CaseSummary] = []
        self._query = WorklistQuery()
        self._generation = 0
        self._loading = False
        self._exhausted = True
        self._icons: dict[Status, QIcon] = {}

    @property
    def query(self) -> WorklistQuery:
        return self._query

    @property
    def loading(self) -> bool:
        return self._loading

    def row(self, index: int) -> CaseSummary:
        return self._rows[index]

    def set_query(self, query: WorklistQuery) -> None:
        """Start over with a new query (the first page loads in the background)."""
        self.beginResetModel()
        self._query = query
        self._rows = []
        self._generation += 1
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        self._load_page()

    def refresh(self) -> None:
        self.set_query(self._query)

    def clear(self) -> None:
        """No rows and no query (another user is signing in); pages still on their way
        are dropped."""
        self.beginResetModel()
        self._query = WorklistQuery(sort=self._query.sort, descending=self._query.descending)
        self._rows = []
        self._generation += 1
        self._exhausted = True
        self._loading = False
        self.endResetModel()

    # Qt's lazy-loading protocol.
    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._load_page()

    def _load_page(self) -> None:
        self._loading = True
        generation, query, offset = self._generation, self._query, len(self._rows)
        size = self._page_size
        self._runner.run(
            lambda: self._fetch(query, offset, size),
            on_done=lambda rows: self._page_arrived(generation, rows),
            on_error=lambda error: self._page_failed(generation, error),
            owner=self,
        )

    def _page_arrived(self, generation: int, rows: list[CaseSummary]) -> None:
        if generation != self._generation:
            return  # an answer to a query the user has already replaced
        self._loading = False
        if len(rows) < self._page_size:
            self._exhausted = True
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.loaded.emit(len(self._rows))

    def _page_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        from marrowpath.ui.tasks import user_message

        self._loading = False
        self._exhausted = True
        self.failed.emit(user_message(error))

    # Qt's table-model protocol.
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        case = self._rows[index.row()]
        column = COLUMNS[index.column()].sort
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(case, column, tooltip=role == Qt.ItemDataRole.ToolTipRole)
        if role == Qt.ItemDataRole.DecorationRole and column == "status":
            if case.status not in self._icons:
                self._icons[case.status] = _status_icon(status_words.colour(case.status))
            return self._icons[case.status]
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return status_words.colour(case.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "created_at":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text(case, column, tooltip=False)
        return None

    def _text(self, case: CaseSummary, column: str, *, tooltip: bool) -> str:
        if column == "accession":
            return case.accession
        if column == "patient":
            return case.patient_name
        if column == "mrn":
            return case.mrn
        if column == "procedure_date":
            return case.procedure_date.isoformat() if case.procedure_date else ""
        if column == "status":
            return status_words.word(case.status)
        if column == "provider":
            return case.ordering_provider
        if column == "diagnosis":
            return (
                case.diagnosis
                if tooltip or len(case.diagnosis) < 90
                else case.diagnosis[:87] + "..."
            )
        if column == "pathologist":
            return case.assigned_pathologist or ""
        return str(max(0, (self._today() - case.created_at.date()).days))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort
        descending = order == Qt.SortOrder.DescendingOrder
        if key == "created_at":
            descending = not descending  # age in days grows as the creation date falls
        if (key, descending) != (self._query.sort, self._query.descending):
            self.set_query(replace(self._query, sort=key, descending=descending))


class WorklistView(QWidget):
    """Quick filters, search box, date range and the table.

    Signals:
        open_requested(str) -- the user opened a case (Enter or double-click): accession.
        patient_requested(str) -- the patient's course from the context menu: MRN.
        count_changed(str) -- a line for the status bar ("200 of 1,234 cases").
    """

    open_requested = Signal(str)
    patient_requested = Signal(str)
    count_changed = Signal(str)

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
        self.model = WorklistModel(
            fetch=self._fetch, runner=runner, today=services.today, parent=self
        )
        self.quick_filter = QComboBox()
        self.quick_filter.setAccessibleName("Quick filter")
        for label, _statuses, _mine in QUICK_FILTERS:
            self.quick_filter.addItem(label)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search name, MRN, accession or diagnosis (Ctrl+F)")
        self.search_box.setAccessibleName("Search cases")
        self.search_box.setClearButtonEnabled(True)
        self.use_dates = QCheckBox("Procedure from")
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit, name in (
            (self.date_from, "Procedure date from"),
            (self.date_to, "Procedure date to"),
        ):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.setEnabled(False)
        today = services.today()
        self.date_from.setDate(QDate(today.year - 1, today.month, min(today.day, 28)))
        self.date_to.setDate(QDate(today.year, today.month, today.day))
        self.table = QTableView()
        self.table.setAccessibleName("Worklist")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setIconSize(QSize(12, 12))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSortIndicator(3, Qt.SortOrder.DescendingOrder)
        for column, width in enumerate((110, 200, 110, 110, 110, 160, 380, 110, 80)):
            self.table.setColumnWidth(column, width)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show"))
        filters.addWidget(self.quick_filter)
        filters.addWidget(self.search_box, 1)
        filters.addWidget(self.use_dates)
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.date_to)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filters)
        self.search_box.textChanged.connect(lambda _t: self._debounce.start())
        self.search_box.returnPressed.connect(self.apply_filters)
        self.quick_filter.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.use_dates.toggled.connect(self._on_use_dates_toggled)
        self.date_from.dateChanged.connect(lambda _d: self._debounce.start())
        self.date_to.dateChanged.connect(lambda _d: self._debounce.start())
        self.table.doubleClicked.connect(self._on_table_activated)
        self.table.activated.connect(self._on_table_activated)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(self._on_failed)

    def _fetch(self, query: WorklistQuery, offset: int, limit: int) -> list[CaseSummary]:
        return self._services.cases.search(
            self._user(),
            query.text,
            statuses=query.statuses,
            date_from=query.date_from,
            date_to=query.date_to,
            mine=query.mine,
            sort=query.sort,
            descending=query.descending,
            offset=offset,
            limit=limit,
        )

    def apply_filters(self) -> None:
        _label, statuses, mine = QUICK_FILTERS[self.quick_filter.currentIndex()]
        dated = self.use_dates.isChecked()
        current = self.model.query
        self.model.set_query(
            WorklistQuery(
                text=self.search_box.text().strip(),
                statuses=statuses,
                mine=mine,
                date_from=self.date_from.date().toPython() if dated else None,  # type: ignore[arg-type]
                date_to=self.date_to.date().toPython() if dated else None,  # type: ignore[arg-type]
                sort=current.sort,
                descending=current.descending,
            )
        )

    def _on_use_dates_toggled(self, checked: bool) -> None:
        self.date_from.setEnabled(checked)
        self.date_to.setEnabled(checked)
        self.apply_filters()

    def selected_accession(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()).accession if rows else None

    def _on_table_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(self.model.row(index.row()).accession)

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        row = self.model.row(index.row())
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_requested.emit(row.accession))
        course = menu.addAction("Patient course", lambda: self.patient_requested.emit(row.mrn))
        course.setEnabled(bool(row.mrn))
        menu.exec(self.table.viewport().mapToGlobal(position))
        menu.deleteLater()

    def _on_loaded(self, count: int) -> None:
        more = "+" if self.model.canFetchMore() else ""
        self.count_changed.emit(f"{count:,}{more} cases")
        empty = count == 0
        self.empty_label.setVisible(empty)
        if empty:
            issued_only = not self._user().can(Permission.SEE_WORKING)
            self.empty_label.setText(
                "No cases match." + (" Clinicians see issued reports only." if issued_only else "")
            )

    def _on_failed(self, message: str) -> None:
        self.empty_label.setText(message)
        self.empty_label.show()

    def clear_session(self) -> None:
        """Forget what the previous user searched for and saw: the search text, the
        filters and the rows (Switch user). `apply_filters` loads the next user's list."""
        self._debounce.stop()
        widgets = (self.search_box, self.quick_filter, self.use_dates, self.date_from, self.date_to)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.search_box.clear()
            self.quick_filter.setCurrentIndex(0)
            self.use_dates.setChecked(False)
            self.date_from.setEnabled(False)
            self.date_to.setEnabled(False)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.model.clear()
        self.empty_label.hide()
        self.count_changed.emit("")
