"""The worklist model: pages from the database, sorting and filtering done by the query."""

from __future__ import annotations

import copy
from typing import Any

from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.worklist import WorklistModel, WorklistQuery, WorklistView
from tests.conftest import PASSWORD, example_case


def _cases(app: App, user: User, count: int) -> None:
    for number in range(count):
        case: dict[str, Any] = copy.deepcopy(example_case())
        case["accession"] = f"BM26-{number + 1:05d}"
        case["patient"]["mrn"] = f"MRN{number:05d}"
        case["patient"]["family_name"] = f"Patient{number:03d}"
        case["procedure"]["date"] = f"2026-{(number % 9) + 1:02d}-{(number % 27) + 1:02d}"
        app.cases.import_case(user, case)


def test_model_pages_and_passes_the_model_tester(
    qtbot: QtBot, qtmodeltester: Any, app: App, pathologist: User, services: Services
) -> None:
    _cases(app, pathologist, 45)
    runner = TaskRunner()
    model = WorklistModel(
        fetch=lambda q, after, limit: services.cases.search(
            pathologist,
            q.text,
            statuses=q.statuses,
            sort=q.sort,
            descending=q.descending,
            after=after,
            limit=limit,
        ),
        runner=runner,
        today=services.today,
        page_size=20,
    )
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(WorklistQuery())
    assert model.rowCount() == 20 and model.canFetchMore()
    for expected in (40, 45):
        with qtbot.waitSignal(model.loaded, timeout=10_000):
            model.fetchMore()
        assert model.rowCount() == expected
    assert not model.canFetchMore()
    dates = [model.row(i).procedure_date for i in range(model.rowCount())]
    known = [day for day in dates if day is not None]
    assert dates == sorted(known, reverse=True)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.sort(0)  # accession ascending
    assert model.row(0).accession == "BM26-00001"
    runner.wait()


def test_view_filters_by_search_status_and_role(
    qtbot: QtBot, app: App, team: dict[str, User], services: Services
) -> None:
    pathologist = team["drpark"]
    _cases(app, pathologist, 5)
    zoe = example_case()
    zoe["accession"] = "BM26-00100"
    zoe["patient"].update(mrn="Z1", family_name="Łukasiewicz-Nguyễn", given_names="Zoë")
    app.cases.import_case(pathologist, zoe)
    app.cases.sign(pathologist, "BM26-00100", PASSWORD)
    user = pathologist
    view = WorklistView(services=services, runner=TaskRunner(), user=lambda: user)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.apply_filters()
    assert view.model.rowCount() == 6
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.search_box.setText("lukasiewicz zoe")
    assert [view.model.row(i).accession for i in range(view.model.rowCount())] == ["BM26-00100"]
    status_index = view.model.index(0, 4)
    assert view.model.data(status_index) == "Final"
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.search_box.clear()
        view.select_filter("Awaiting sign-out")
    assert view.model.rowCount() == 5
    assert {view.model.row(i).status for i in range(5)} == {Status.DRAFT}
    user = team["clinician"]
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.quick_filter.setCurrentIndex(0)
    assert [view.model.row(i).accession for i in range(view.model.rowCount())] == ["BM26-00100"]


def test_turnaround_runs_from_procedure_to_first_issue_or_today() -> None:
    from datetime import UTC, date, datetime

    from marrowpath.services.ports import CaseSummary
    from marrowpath.ui.worklist import turnaround_days

    def case(status: Status, issued: datetime | None, procedure: date | None) -> CaseSummary:
        return CaseSummary(
            accession="BM26-00001",
            status=status,
            patient_name="",
            mrn="",
            procedure_date=procedure,
            diagnosis="",
            ordering_provider="",
            assigned_pathologist=None,
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            issued_count=1 if issued else 0,
            first_issued_at=issued,
        )

    today = date(2026, 11, 30)
    issued = datetime(2026, 11, 13, 9, tzinfo=UTC)
    assert turnaround_days(case(Status.FINAL, issued, date(2026, 11, 10)), today) == 3
    assert turnaround_days(case(Status.AMENDED, issued, date(2026, 11, 10)), today) == 3
    assert turnaround_days(case(Status.DRAFT, None, date(2026, 11, 10)), today) == 20
    assert turnaround_days(case(Status.CANCELLED, None, date(2026, 11, 10)), today) is None
    assert turnaround_days(case(Status.DRAFT, None, None), today) is None
