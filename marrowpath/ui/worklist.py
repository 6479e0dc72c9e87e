"""The worklist: a thin table model over pages of cases that the database sorts and filters.

The model discovers rows as the user scrolls: it asks for the next page when the view
reaches the end (`canFetchMore`/`fetchMore`), off the GUI thread, by keyset (the sort
value and id of the last row discovered), so that the thousandth page costs what the
first does. It holds the rows of a bounded number of pages only (the ones most recently
shown), and for every page the keyset where it starts: a page dropped from memory is
fetched again by its keyset when the view comes back to it. A million-case list scrolled
to the end costs the memory of a few pages, not of a million rows.

A clinician's default view is "My patients": the issued reports that name her provider
id, with New and Amended marks in words and colour, and the number unread in the status
bar.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon, QKeyEvent, QPainter, QPixmap
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
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import Permission, User
from marrowpath.services.ports import CaseSummary, SortKey
from marrowpath.ui import status as status_words
from marrowpath.ui.batch_print import BatchPrint
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

ModelIndex = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200
# pages of row data held at once: 16 x 200 rows is many screens, and a few MiB
PAGE_BUDGET = 16
# what a row of a page on its way back from the database shows meanwhile
PLACEHOLDER = "\u2026"


@dataclass(frozen=True)
class WorklistQuery:
    text: str = ""
    statuses: tuple[Status, ...] = ()
    mine: bool = False
    my_patients: bool = False
    unread_only: bool = False
    awaiting_signature: bool = False
    date_from: date | None = None
    date_to: date | None = None
    sort: SortKey = "procedure_date"
    descending: bool = True


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    # the query's sort key; None: the column cannot be sorted by the database
    sort: SortKey | None


COLUMNS = (
    Column("Accession", "accession", "accession"),
    Column("Patient", "patient", "patient"),
    Column("MRN", "mrn", "mrn"),
    Column("Procedure date", "procedure_date", "procedure_date"),
    Column("Status", "status", "status"),
    Column("Ordering provider", "provider", "provider"),
    Column("Diagnosis", "diagnosis", "diagnosis"),
    Column("Pathologist", "pathologist", "pathologist"),
    Column("Turnaround (days)", "turnaround", None),
    # shown first, for clinicians only (the view moves it; the model keeps it last)
    Column("Unread", "marks", None),
)
MARKS_COLUMN = len(COLUMNS) - 1
DIAGNOSIS_COLUMN = 6
DEFAULT_SORT_COLUMN = 3
COLUMN_WIDTHS = (110, 200, 110, 110, 110, 160, 380, 110, 0, 110)


def stretch_diagnosis(header: QHeaderView) -> None:
    """The diagnosis column takes the width the others leave (also after a saved header
    state is restored): the worklist never scrolls sideways on a 1366 px screen, and a
    wider window shows more of the diagnosis."""
    header.setSectionResizeMode(DIAGNOSIS_COLUMN, QHeaderView.ResizeMode.Stretch)


# Marks are words first; the colour repeats them (look-and-feel: never colour alone).
NEW_COLOUR = QColor("#a14a00")
AMENDED_COLOUR = QColor("#1f4e9e")


@dataclass(frozen=True)
class QuickFilter:
    label: str
    statuses: tuple[Status, ...] = ()
    mine: bool = False
    my_patients: bool = False
    unread_only: bool = False
    awaiting_signature: bool = False


# The sign-out queue (bench.md section 3): cases assigned to me, complete enough to sign
# or sent to me for review; Ctrl+Shift+N opens them one after the other.
AWAITING_MY_SIGNATURE = "Awaiting my signature"
STAFF_FILTERS: tuple[QuickFilter, ...] = (
    QuickFilter("All cases"),
    QuickFilter("My cases", mine=True),
    QuickFilter("Awaiting sign-out", (Status.DRAFT, Status.PRELIMINARY)),
    QuickFilter("Preliminary", (Status.PRELIMINARY,)),
    QuickFilter("Final", (Status.FINAL,)),
    QuickFilter("Amended", (Status.AMENDED, Status.APPENDED)),
    QuickFilter("Cancelled or withdrawn", (Status.CANCELLED, Status.ENTERED_IN_ERROR)),
)
CLINICIAN_FILTERS: tuple[QuickFilter, ...] = (
    QuickFilter("My patients", my_patients=True),
    QuickFilter("Unread", my_patients=True, unread_only=True),
    QuickFilter("All issued reports"),
    QuickFilter("Amended", (Status.AMENDED, Status.APPENDED)),
    QuickFilter("Cancelled or withdrawn", (Status.CANCELLED, Status.ENTERED_IN_ERROR)),
)
SIGNER_FILTERS: tuple[QuickFilter, ...] = (
    *STAFF_FILTERS[:2],
    QuickFilter(AWAITING_MY_SIGNATURE, awaiting_signature=True),
    *STAFF_FILTERS[2:],
)
ALL_ISSUED = 2


def quick_filters(user: User) -> tuple[QuickFilter, ...]:
    """Clinicians read issued reports of their own patients; everyone else works cases,
    and those who sign have their queue."""
    if not user.can(Permission.SEE_WORKING):
        return CLINICIAN_FILTERS
    return SIGNER_FILTERS if user.can(Permission.SIGN) else STAFF_FILTERS


def marks_text(case: CaseSummary) -> str:
    return ", ".join(word for word, on in (("New", case.new), ("Amended", case.amended)) if on)


def turnaround_days(case: CaseSummary, today: date) -> int | None:
    """Days from the procedure to the first issued report, or to today while nothing is
    issued; None without a procedure date, or for a case closed before any issue."""
    if case.procedure_date is None:
        return None
    if case.first_issued_at is not None:
        end = case.first_issued_at.date()
    elif case.status in (Status.CANCELLED, Status.ENTERED_IN_ERROR):
        return None
    else:
        end = today
    return max(0, (end - case.procedure_date).days)


Fetch = Callable[[WorklistQuery, "tuple[Any, int] | None", int], list[CaseSummary]]


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


Position = tuple[Any, int]


class _Pages:
    """Where every page discovered starts, which case each row is, and the rows of the few
    pages held.

    Page k holds rows k*size .. k*size+size-1. `starts[k]` is the keyset after which page
    k begins (the position of the last row of page k-1; None for the first page), which
    is all it takes to fetch page k again. `ids` is the case id of every row discovered
    (8 bytes a row): a page fetched again is matched to its rows by id, so a case deleted
    or moved meanwhile leaves a hole (None), never another case under a row the user
    saw and selected. Rows are held for at most `budget` pages, the least recently used
    dropped first; `budget` None holds every page.
    """

    def __init__(self, size: int, budget: int | None) -> None:
        self.size = size
        self.budget = budget
        self.starts: list[Position | None] = []
        self.ids = array("q")
        self.held: OrderedDict[int, list[CaseSummary | None]] = OrderedDict()
        self.end: Position | None = None  # where the next page to discover starts

    @property
    def count(self) -> int:
        """Rows discovered."""
        return len(self.ids)

    def rows(self, page: int) -> list[CaseSummary | None] | None:
        """The page's rows if held (and now the most recently used), else None."""
        rows = self.held.get(page)
        if rows is not None:
            self.held.move_to_end(page)
        return rows

    def hold(self, page: int, rows: list[CaseSummary]) -> None:
        """Hold `rows`, fetched after `starts[page]`, each under the row it was first
        seen at; rows the page did not have when discovered are left for a refresh."""
        by_id = {_case_id(case): case for case in rows}
        first = page * self.size
        expected = self.ids[first : first + self.size]
        self.held[page] = [by_id.get(case_id) for case_id in expected]
        self.held.move_to_end(page)
        while self.budget is not None and len(self.held) > self.budget:
            self.held.popitem(last=False)

    def discover(self, rows: list[CaseSummary]) -> None:
        """The next page, fetched after `end`: its rows are now counted and held."""
        page = len(self.starts)
        self.starts.append(self.end)
        self.ids.extend(_case_id(case) for case in rows)
        self.end = rows[-1].position
        self.hold(page, rows)


def _case_id(case: CaseSummary) -> int:
    """The case's database id, the tie-breaker of its keyset position."""
    if case.position is None:
        raise ValueError(f"{case.accession}: worklist rows come from a keyset query")
    return int(case.position[1])


class WorklistModel(QAbstractTableModel):
    """Rows of `CaseSummary`, fetched a page at a time; only `page_budget` pages held.

    Signals:
        loaded(int) -- a page arrived; the number of rows now discovered.
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
        page_budget: int | None = PAGE_BUDGET,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        if page_budget is not None and page_budget < 2:
            raise ValueError("the worklist must hold at least two pages (one screen)")
        self._fetch = fetch
        self._runner = runner
        self._today = today
        self._page_size = page_size
        self._page_budget = page_budget
        self._pages = _Pages(page_size, page_budget)
        self._refetching: set[int] = set()  # pages on their way back, this query
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

    @property
    def held_pages(self) -> list[int]:
        """The pages whose rows are in memory, least recently used first."""
        return list(self._pages.held)

    @property
    def refetching(self) -> set[int]:
        """The dropped pages being fetched again for the current query."""
        return set(self._refetching)

    def row(self, index: int) -> CaseSummary:
        """The case at row `index`.

        When its page has been dropped, the page is fetched again at once, on this
        thread: a rare last resort (the rows a user opens or right-clicks are on screen,
        so held; a selection spanning thousands of rows costs one query per page).

        Raises:
            IndexError: no such row.
            LookupError: the case has left the list since it was shown (refresh).
        """
        if not 0 <= index < self._pages.count:
            raise IndexError(f"no row {index} in the worklist")
        page, offset = divmod(index, self._page_size)
        rows = self._pages.rows(page)
        if rows is None:
            fetched = self._fetch(self._query, self._pages.starts[page], self._page_size)
            self._pages.hold(page, fetched)
            rows = self._pages.rows(page) or []
        case = rows[offset]
        if case is None:
            raise LookupError("This case is no longer in the list: refresh the worklist (F5).")
        return case

    def set_query(self, query: WorklistQuery) -> None:
        """Start over with a new query (the first page loads in the background)."""
        self.beginResetModel()
        self._query = query
        self._forget()
        self._exhausted = False
        self.endResetModel()
        self._load_page()

    def refresh(self) -> None:
        self.set_query(self._query)

    def clear(self) -> None:
        """No rows and no query (another user is signing in); pages still on their way
        are dropped."""
        self.beginResetModel()
        self._query = WorklistQuery(sort=self._query.sort, descending=self._query.descending)
        self._forget()
        self._exhausted = True
        self.endResetModel()

    def _forget(self) -> None:
        """No rows; answers still on their way belong to an older generation."""
        self._pages = _Pages(self._page_size, self._page_budget)
        self._refetching = set()
        self._generation += 1
        self._loading = False

    # Qt's lazy-loading protocol.
    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._load_page()

    def _load_page(self) -> None:
        self._loading = True
        generation, query = self._generation, self._query
        after = self._pages.end
        size = self._page_size
        self._runner.run(
            lambda: self._fetch(query, after, size),
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
            first = self._pages.count
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._pages.discover(rows)
            self.endInsertRows()
        self.loaded.emit(self._pages.count)

    def _page_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        from marrowpath.ui.tasks import user_message

        self._loading = False
        self._exhausted = True
        self.failed.emit(user_message(error))

    def _refetch(self, page: int) -> None:
        """Fetch a dropped page again by its keyset, once, off the GUI thread."""
        if page in self._refetching:
            return
        self._refetching.add(page)
        generation, query = self._generation, self._query
        after, size = self._pages.starts[page], self._page_size
        self._runner.run(
            lambda: self._fetch(query, after, size),
            on_done=lambda rows: self._page_refetched(generation, page, rows),
            on_error=lambda error: self._refetch_failed(generation, page, error),
            owner=self,
        )

    def _page_refetched(self, generation: int, page: int, rows: list[CaseSummary]) -> None:
        if generation != self._generation:
            return  # the list was replaced meanwhile: these rows belong to no row now
        self._refetching.discard(page)
        self._pages.hold(page, rows)
        first = page * self._page_size
        last = min(first + self._page_size, self._pages.count) - 1
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def _refetch_failed(self, generation: int, page: int, error: Exception) -> None:
        if generation != self._generation:
            return
        from marrowpath.ui.tasks import user_message

        self._refetching.discard(page)  # the next repaint asks again
        self.failed.emit(user_message(error))

    def _held_case(self, index: int) -> CaseSummary | None:
        """The case at row `index` if its page is held; else None, and the page is on
        its way (a case that has left the list since it was shown stays None)."""
        page, offset = divmod(index, self._page_size)
        rows = self._pages.rows(page)
        if rows is None:
            self._refetch(page)
            return None
        return rows[offset]

    # Qt's table-model protocol.
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._pages.count

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._pages.count:
            return None
        case = self._held_case(index.row())
        column = COLUMNS[index.column()].key
        if case is None:
            shown = role == Qt.ItemDataRole.DisplayRole and column == "accession"
            return PLACEHOLDER if shown else None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(case, column, tooltip=role == Qt.ItemDataRole.ToolTipRole)
        if role == Qt.ItemDataRole.DecorationRole and column == "status":
            if case.status not in self._icons:
                self._icons[case.status] = _status_icon(status_words.colour(case.status))
            return self._icons[case.status]
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return status_words.colour(case.status)
        if role == Qt.ItemDataRole.ForegroundRole and column == "marks":
            return NEW_COLOUR if case.new else AMENDED_COLOUR
        if role == Qt.ItemDataRole.FontRole and (case.new or case.amended):
            font = QFont()
            font.setBold(True)  # unread rows stand out, as in a mail client
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "turnaround":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text(case, column, tooltip=False)
        return None

    def mark_read(self, accession: str, *, new: bool, amended: bool) -> None:
        """Clear the marks the preview has just cleared in the database, in place (the
        row stays where it is, even under "Unread", until the list is refreshed). Only
        held pages need it: a dropped page comes back from the database, marks cleared."""
        for page, rows in self._pages.held.items():
            for offset, case in enumerate(rows):
                if case is None or case.accession != accession:
                    continue
                updated = replace(
                    case, new=case.new and not new, amended=case.amended and not amended
                )
                if updated != case:
                    rows[offset] = updated
                    number = page * self._page_size + offset
                    self.dataChanged.emit(
                        self.index(number, 0), self.index(number, len(COLUMNS) - 1)
                    )

    def _text(self, case: CaseSummary, column: str, *, tooltip: bool) -> str:
        if column == "marks":
            return marks_text(case)
        if column == "accession":
            return case.accession
        if column == "patient":
            return case.patient_name
        if column == "mrn":
            return case.mrn
        if column == "procedure_date":
            return case.procedure_date.isoformat() if case.procedure_date else ""
        if column == "status":
            word = status_words.word(case.status)
            if case.review_from:  # a resident's draft in the attending's queue
                return (
                    f"{word}, sent for review by {case.review_from}"
                    if tooltip
                    else f"{word}, review"
                )
            return word
        if column == "provider":
            return case.ordering_provider
        if column == "diagnosis":
            return (
                case.diagnosis
                if tooltip or len(case.diagnosis) < 90
                else case.diagnosis[:87] + "..."
            )
        if column == "pathologist":
            return case.pathologist_name or case.assigned_pathologist or ""
        days = turnaround_days(case, self._today())
        return "" if days is None else str(days)

    def sort_column(self) -> int:
        """The column the current query sorts by."""
        found = (i for i, c in enumerate(COLUMNS) if c.sort == self._query.sort)
        return next(found, DEFAULT_SORT_COLUMN)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort
        if key is None:
            return  # computed per row: the view puts the indicator back
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) != (self._query.sort, self._query.descending):
            self.set_query(replace(self._query, sort=key, descending=descending))


class WorklistView(QWidget):
    """Quick filters, search box, date range and the table.

    Keys: Down in the search box moves to the results; Enter there opens the selected
    case.

    Signals:
        open_requested(str) -- the user opened a case (Enter or double-click): accession.
        patient_requested(str) -- the patient's course from the context menu: MRN.
        count_changed(str) -- a line for the status bar ("200 cases, 3 unread").
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
        page_size: int = PAGE_SIZE,
        page_budget: int | None = PAGE_BUDGET,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.model = WorklistModel(
            fetch=self._fetch,
            runner=runner,
            today=services.today,
            page_size=page_size,
            page_budget=page_budget,
            parent=self,
        )
        self.quick_filter = QComboBox()
        self.quick_filter.setAccessibleName("Quick filter")
        self._filters: tuple[QuickFilter, ...] = ()
        self._unread: int | None = None
        self._count_generation = 0
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
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        # several rows: to print them in one go (Shift or Ctrl with a click or arrows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setIconSize(QSize(12, 12))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSortIndicator(DEFAULT_SORT_COLUMN, Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._keep_sort_indicator)
        padding = 2 * self.style().pixelMetric(self.style().PixelMetric.PM_HeaderMargin) + 24
        for column, width in enumerate(COLUMN_WIDTHS):
            # every header fits, with room for the sort arrow
            title = header.fontMetrics().horizontalAdvance(COLUMNS[column].title) + padding
            self.table.setColumnWidth(column, max(width, title))
        stretch_diagnosis(header)
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
        self.print_button = QPushButton("Print selected...")
        self.print_button.setToolTip("Print the selected reports in one go")
        self.print_button.clicked.connect(self._ask_print_selected)
        filters.addWidget(self.print_button)
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
        self.search_box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search box moves to the results (the first row when none is
        selected); Enter there opens the selected case once the results have focus."""
        if (
            watched is self.search_box
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount() > 0
        ):
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            if not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)
            self.table.setCurrentIndex(self.model.index(self.table.currentIndex().row(), 1))
            return True
        return super().eventFilter(watched, event)

    def _keep_sort_indicator(self, column: int, _order: Qt.SortOrder) -> None:
        """A click on a column the database cannot sort puts the indicator back."""
        if COLUMNS[column].sort is None:
            header = self.table.horizontalHeader()
            order = (
                Qt.SortOrder.DescendingOrder
                if self.model.query.descending
                else Qt.SortOrder.AscendingOrder
            )
            header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column(), order)
            header.blockSignals(False)

    def _fetch(
        self, query: WorklistQuery, after: tuple[Any, int] | None, limit: int
    ) -> list[CaseSummary]:
        return self._services.cases.search(
            self._user(),
            query.text,
            statuses=query.statuses,
            date_from=query.date_from,
            date_to=query.date_to,
            mine=query.mine,
            my_patients=query.my_patients,
            unread_only=query.unread_only,
            awaiting_signature=query.awaiting_signature,
            sort=query.sort,
            descending=query.descending,
            after=after,
            limit=limit,
        )

    def _fill_filters(self) -> None:
        """The quick filters of the signed-in user's role, on her default view: a
        clinician linked to a provider id starts on "My patients", one not (yet) linked on
        all issued reports rather than on an empty list."""
        user = self._user()
        filters = quick_filters(user)
        if filters == self._filters:
            return
        self._filters = filters
        default = 0 if filters is not CLINICIAN_FILTERS or user.provider_id else ALL_ISSUED
        self.quick_filter.blockSignals(True)
        self.quick_filter.clear()
        for item in filters:
            self.quick_filter.addItem(item.label)
        self.quick_filter.setCurrentIndex(default)
        self.quick_filter.blockSignals(False)
        reader = filters is CLINICIAN_FILTERS
        self.table.setColumnHidden(MARKS_COLUMN, not reader)
        header = self.table.horizontalHeader()
        header.moveSection(header.visualIndex(MARKS_COLUMN), 0 if reader else MARKS_COLUMN)

    @property
    def is_reader(self) -> bool:
        """Whether the user reads issued reports with New and Amended marks (clinicians)."""
        return self._filters is CLINICIAN_FILTERS

    def select_filter(self, label: str) -> None:
        self.quick_filter.setCurrentIndex(self.quick_filter.findText(label))

    def apply_filters(self) -> None:
        self._debounce.stop()  # this query supersedes one still waiting for typing to stop
        self._fill_filters()
        chosen = self._filters[max(self.quick_filter.currentIndex(), 0)]
        dated = self.use_dates.isChecked()
        current = self.model.query
        self.model.set_query(
            WorklistQuery(
                text=self.search_box.text().strip(),
                statuses=chosen.statuses,
                mine=chosen.mine,
                my_patients=chosen.my_patients,
                unread_only=chosen.unread_only,
                awaiting_signature=chosen.awaiting_signature,
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

    def _case_at(self, row: int) -> CaseSummary | None:
        """The case at `row`, or None with the reason on the status bar line: its page
        was dropped and could not be fetched again, or the case has left the list."""
        try:
            return self.model.row(row)
        except Exception as error:  # a database fault or a vanished row: words, not a trace
            from marrowpath.ui.tasks import user_message

            self.count_changed.emit(
                str(error) if isinstance(error, LookupError) else user_message(error)
            )
            return None

    def selected_accession(self) -> str | None:
        """The current row's case when it is selected, else the first selected one."""
        current = self.table.currentIndex()
        if current.isValid() and self.table.selectionModel().isRowSelected(current.row()):
            case = self._case_at(current.row())
            return case.accession if case is not None else None
        selected = self.selected_accessions()
        return selected[0] if selected else None

    def selected_accessions(self) -> list[str]:
        """The selected cases, in the worklist's order (any that left the list since it
        was shown are skipped, and the status bar line says so)."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        cases = (self._case_at(row) for row in rows)
        return [case.accession for case in cases if case is not None]

    def _ask_print_selected(self) -> None:
        batch = self.print_selected()
        if batch is not None:
            batch.ask_and_start()

    def print_selected(self) -> BatchPrint | None:
        """Print the selected cases' reports in one job, with progress and Cancel; the
        outcome goes to the status bar line."""
        accessions = self.selected_accessions()
        if not accessions:
            self.count_changed.emit("Select the reports to print first.")
            return None
        batch = BatchPrint(
            services=self._services,
            runner=self._runner,
            user=self._user,
            accessions=accessions,
            parent=self,
        )
        batch.finished.connect(self.count_changed.emit)
        return batch

    def _on_table_activated(self, index: QModelIndex) -> None:
        case = self._case_at(index.row()) if index.isValid() else None
        if case is not None:
            self.open_requested.emit(case.accession)

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        row = self._case_at(index.row())
        if row is None:
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_requested.emit(row.accession))
        course = menu.addAction("Patient course", lambda: self.patient_requested.emit(row.mrn))
        course.setEnabled(bool(row.mrn))
        menu.exec(self.table.viewport().mapToGlobal(position))
        menu.deleteLater()

    def _on_loaded(self, count: int) -> None:
        self._emit_count()
        if self.is_reader:
            self.count_unread()
        empty = count == 0
        self.empty_label.setVisible(empty)
        if empty:
            self.empty_label.setText(
                "No cases match."
                + (" Clinicians see issued reports only." if self.is_reader else "")
            )
            query = self.model.query
            narrowed = query.text.strip() or query.statuses or query.date_from or query.date_to
            # the reason a whole "My patients" list is empty; a search that finds
            # nothing among her patients is "No cases match."
            if self.is_reader and query.my_patients and not narrowed:
                self._explain_empty()

    def _emit_count(self) -> None:
        count = self.model.rowCount()
        more = "+" if self.model.canFetchMore() else ""
        unread = f", {self._unread:,} unread" if self._unread is not None else ""
        self.count_changed.emit(f"{count:,}{more} cases{unread}")

    def count_unread(self) -> None:
        """How many of her patients' reports are New or Amended, for the status bar."""
        user, cases = self._user(), self._services.cases
        self._count_generation += 1
        generation = self._count_generation

        def counted(unread: int) -> None:
            if generation == self._count_generation:
                self._unread = unread
                self._emit_count()

        self._runner.run(
            lambda: cases.count(user, my_patients=True, unread_only=True),
            on_done=counted,
            on_error=lambda _e: None,
            owner=self,
        )

    def _explain_empty(self) -> None:
        """An empty "My patients" most often means the user is not linked to a provider."""
        user, cases = self._user(), self._services.cases
        query = self.model.query

        def explain(link: str | None) -> None:
            if not query.my_patients or query is not self.model.query:
                return
            if link is None:
                self.empty_label.setText(
                    "No reports: your user is not linked to an ordering provider. An "
                    "administrator links it in Administration, Users (Provider id)."
                )
            else:
                self.empty_label.setText(
                    "No unread reports of your patients."
                    if query.unread_only
                    else "No issued reports name you as ordering provider or copy recipient."
                )

        self._runner.run(
            lambda: cases.provider_link(user), on_done=explain, on_error=lambda _e: None, owner=self
        )

    def report_read(self, accession: str, *, new: bool, amended: bool) -> None:
        """The preview cleared marks of `accession`: show it here and recount."""
        self.model.mark_read(accession, new=new, amended=amended)
        if self.is_reader:
            self.count_unread()

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
            self._filters = ()  # the next user's role decides the filters
            self.use_dates.setChecked(False)
            self.date_from.setEnabled(False)
            self.date_to.setEnabled(False)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.model.clear()
        self._unread = None
        self._count_generation += 1
        self.empty_label.hide()
        self.count_changed.emit("")
