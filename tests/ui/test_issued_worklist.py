"""The desktop app shows clinicians only what was signed (issue 10, item 2): the worklist
searches and shows the latest issued version, and a case with nothing issued is answered
like no case at all."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.ui.preview import PreviewWidget
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.worklist import WorklistView
from tests.conftest import PASSWORD, example_case

ACCESSION = "BM26-00042"
UNSIGNED = "Patient has metastatic disease (draft, not reviewed)."


def _rows(view: WorklistView) -> list[list[str]]:
    model = view.model
    return [
        [str(model.data(model.index(row, column))) for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def test_the_clinicians_worklist_shows_and_finds_only_issued_text(
    qtbot: QtBot, app: App, team: dict[str, User], services: Services
) -> None:
    pathologist = team["drpark"]
    app.cases.import_case(pathologist, example_case())
    app.cases.sign(pathologist, ACCESSION, PASSWORD, preliminary=True)
    edited = example_case()
    edited["diagnosis"]["lines"] = [UNSIGNED]
    app.cases.import_case(pathologist, edited)
    user = team["clinician"]
    runner = TaskRunner()
    view = WorklistView(services=services, runner=runner, user=lambda: user)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.apply_filters()
    assert [r[0] for r in _rows(view)] == [ACCESSION]
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.search_box.setText("metastatic")
    assert view.model.rowCount() == 0
    assert "Clinicians see issued reports only" in view.empty_label.text()
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.search_box.setText("multilineage dysplasia")
    (row,) = _rows(view)
    issued_line = example_case()["diagnosis"]["lines"][0]
    assert row[:5] == [ACCESSION, "DELGADO, Tomás", "MRN0012345", "2026-11-18", "Preliminary"]
    assert row[6] == issued_line[:87] + "..."
    assert view.model.data(view.model.index(0, 6), 3) == issued_line  # the tooltip, whole
    user = pathologist  # the same view for staff: the working text
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        view.search_box.setText("metastatic")
    assert [r[6] for r in _rows(view)] == [UNSIGNED]
    runner.wait()


@pytest.mark.parametrize("accession", [ACCESSION, "BM26-99999"])
def test_a_clinician_opening_a_draft_or_nothing_gets_the_same_answer(
    qtbot: QtBot,
    app: App,
    team: dict[str, User],
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    accession: str,
) -> None:
    app.cases.import_case(team["drpark"], example_case())  # a draft
    user = team["clinician"]
    runner = TaskRunner()
    preview = PreviewWidget(
        services=services, runner=runner, user=lambda: user, accession=accession
    )
    qtbot.addWidget(preview)
    qtbot.waitUntil(lambda: bool(preview.error.text()), timeout=10_000)
    runner.wait()
    assert preview.error.text() == f"{accession}: no issued report"
    assert preview.pdf is None
