"""The worklist holds a bounded number of pages: dropped pages come back by keyset,
identical, and answers to an older query are dropped (issue 15 item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, inspect, select, table, text

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.services.ports import CaseSummary
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.worklist import PLACEHOLDER, WorklistModel, WorklistQuery
from tests.ui.test_worklist import _cases

PAGE = 20
BUDGET = 3
ROWS = 2_000


def _many_cases(app: App, user: User) -> None:
    """A few real imported cases, cloned in SQL under new accessions to `ROWS` rows
    (as benchmarks/grow_cases.py does): thousands of rows in a second."""
    _cases(app, user, 10)
    columns = [c["name"] for c in inspect(app.engine).get_columns("cases") if c["name"] != "id"]
    cases = table("cases")
    with app.engine.begin() as connection:
        clone = 1
        while (connection.scalar(select(func.count()).select_from(cases)) or 0) < ROWS:
            values = [f"'C{clone}-' || accession" if c == "accession" else c for c in columns]
            connection.execute(
                text(
                    f"INSERT INTO cases ({', '.join(columns)}) "
                    f"SELECT {', '.join(values)} FROM cases WHERE accession LIKE 'BM26-%'"
                )
            )
            clone += 1


@pytest.fixture
def model(qtbot: QtBot, app: App, pathologist: User, services: Services) -> Any:
    _many_cases(app, pathologist)
    runner = TaskRunner()
    model = WorklistModel(
        fetch=lambda q, after, limit: services.cases.search(
            pathologist, q.text, sort=q.sort, descending=q.descending, after=after, limit=limit
        ),
        runner=runner,
        today=services.today,
        page_size=PAGE,
        page_budget=BUDGET,
    )
    yield model
    runner.wait()


def _scroll_to_the_end(qtbot: QtBot, model: WorklistModel) -> list[CaseSummary]:
    """Every row, read as the view reads them while scrolling down page by page."""
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(WorklistQuery())
    seen: list[CaseSummary] = []
    while True:
        seen.extend(model.row(i) for i in range(len(seen), model.rowCount()))
        assert len(model.held_pages) <= BUDGET
        if not model.canFetchMore():
            return seen
        with qtbot.waitSignal(model.loaded, timeout=10_000):
            model.fetchMore()


def test_scrolling_holds_at_most_the_budget_and_dropped_pages_come_back_identical(
    qtbot: QtBot, model: WorklistModel
) -> None:
    seen = _scroll_to_the_end(qtbot, model)
    assert model.rowCount() == len(seen) >= ROWS
    assert len({case.accession for case in seen}) == len(seen)  # keyset: no row twice
    last_page = (len(seen) - 1) // PAGE
    assert model.held_pages == [last_page - 2, last_page - 1, last_page]
    # Back to the top, as the view repaints it: a placeholder, the page fetched once
    top = model.index(0, 0)
    with qtbot.waitSignal(model.dataChanged, timeout=10_000) as arrived:
        assert model.data(top) == PLACEHOLDER
        assert model.data(model.index(5, 1)) is None
        assert model.refetching == {0}
    assert model.refetching == set()
    first, last = arrived.args[:2]  # (and the roles)
    assert (first.row(), last.row()) == (0, PAGE - 1)
    assert [model.row(i) for i in range(PAGE)] == seen[:PAGE]
    assert model.data(top) == seen[0].accession
    assert len(model.held_pages) <= BUDGET
    # A row of a dropped page asked for directly (open, print): fetched there and then
    middle = len(seen) // 2
    assert middle // PAGE not in model.held_pages
    assert model.row(middle) == seen[middle]
    assert [model.row(i) for i in range(middle - PAGE, middle + PAGE)] == seen[
        middle - PAGE : middle + PAGE
    ]
    assert len(model.held_pages) == BUDGET


def test_a_new_query_drops_the_pages_still_on_their_way(
    qtbot: QtBot, model: WorklistModel, app: App
) -> None:
    _scroll_to_the_end(qtbot, model)
    for page in (0, 10, 20):
        model.data(model.index(page * PAGE, 0))
    assert model.refetching == {0, 10, 20}
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.sort(0)  # accession ascending: a new query
    assert model.refetching == set()
    model._runner.wait()
    qtbot.wait(100)  # the old query's pages are delivered now, and dropped
    assert model.held_pages == [0]
    assert model.rowCount() == PAGE
    accessions = [model.row(i).accession for i in range(PAGE)]
    assert accessions == sorted(accessions) and accessions[0] == "BM26-00001"


def test_a_case_gone_from_a_dropped_page_is_a_lookup_error_not_another_case(
    qtbot: QtBot, model: WorklistModel, app: App
) -> None:
    seen = _scroll_to_the_end(qtbot, model)
    gone = seen[-3:]  # the last page's last three, while the page is held
    with app.engine.begin() as connection:
        for case in gone:
            connection.execute(
                text("DELETE FROM cases WHERE accession = :a"), {"a": case.accession}
            )
    assert model.row(len(seen) - 1) == gone[-1]  # held: as shown, until refreshed
    for page in range(BUDGET):
        model.row(page * PAGE)  # scrolled back up: the last page is dropped
    assert (len(seen) - 1) // PAGE not in model.held_pages
    assert model.row(len(seen) - 4) == seen[-4]
    with pytest.raises(LookupError, match="refresh"):
        model.row(len(seen) - 1)
    assert model.data(model.index(len(seen) - 1, 0)) == PLACEHOLDER
    with pytest.raises(IndexError):
        model.row(len(seen))


def test_the_view_prints_a_selection_across_dropped_pages_and_skips_a_vanished_case(
    qtbot: QtBot, app: App, pathologist: User, services: Services
) -> None:
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    from marrowpath.ui.worklist import WorklistView

    _many_cases(app, pathologist)
    view = WorklistView(
        services=services,
        runner=TaskRunner(),
        user=lambda: pathologist,
        page_size=PAGE,
        page_budget=BUDGET,
    )
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.apply_filters()
    while view.model.rowCount() < 10 * PAGE:
        with qtbot.waitSignal(view.model.loaded, timeout=10_000):
            view.model.fetchMore()
    shown = [view.model.row(i).accession for i in range(10 * PAGE)]
    assert view.model.held_pages == [7, 8, 9]
    # Shift-click from row 5 to row 150: pages 0..7, most of them dropped
    model, selection = view.model, QItemSelection()
    selection.select(model.index(5, 0), model.index(150, 0))
    flags = QItemSelectionModel.SelectionFlag
    view.table.selectionModel().select(selection, flags.ClearAndSelect | flags.Rows)
    assert view.selected_accessions() == shown[5:151]
    with app.engine.begin() as connection:
        connection.execute(text("DELETE FROM cases WHERE accession = :a"), {"a": shown[185]})
    view.table.selectionModel().select(
        QItemSelection(model.index(170, 0), model.index(10 * PAGE - 1, 0)),
        flags.ClearAndSelect | flags.Rows,
    )  # page 8 and page 9, dropped by reading the selection above
    assert 9 not in view.model.held_pages
    with qtbot.waitSignal(view.count_changed, timeout=5_000) as said:
        # the rows after the deleted case keep their cases; it is skipped, and said
        assert view.selected_accessions() == shown[170:185] + shown[186:200]
    assert "refresh" in said.args[0]
