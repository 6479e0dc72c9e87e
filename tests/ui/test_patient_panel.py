"""The Patient panel (issue 14, item 1): the list and the Qt Charts trend chart of a
patient's marrows, driven offscreen with pytest-qt against a real database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCharts import QAreaSeries, QLineSeries, QScatterSeries
from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.timeline import TherapyPeriod, Timeline, TimelineEntry, Values
from marrowpath.domain.users import User
from marrowpath.ui.patient_panel import PatientPanel
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.trend_chart import MEASURES, msecs, point_text
from tests.conftest import PASSWORD, example_case

Team = dict[str, User]


def values(blasts: str, plasma: str, cellularity: int, ratio: str) -> Values:
    return Values(
        blast_equivalents_pct=Decimal(blasts),
        plasma_cells_pct=Decimal(plasma),
        cellularity_pct=cellularity,
        cellularity_verdict="hypercellular",
        me_ratio=Decimal(ratio),
        fibrosis_grade="MF-1",
    )


TIMELINE = Timeline(
    mrn="MRN0081342",
    patient_name="ŁUKASIEWICZ-NGUYỄN, Zoë",
    entries=(
        TimelineEntry(
            "BM25-00003", date(2025, 1, 4), Status.APPENDED, 2, values("62.4", "0.8", 95, "8.5")
        ),
        TimelineEntry(
            "BM25-00004", date(2025, 2, 1), Status.FINAL, 1, values("1.8", "2.0", 25, "1.6")
        ),
        TimelineEntry("BM25-00009", date(2025, 6, 1), Status.CANCELLED, None, None),
        TimelineEntry(
            "BM26-00013", date(2026, 3, 31), Status.FINAL, 2, values("38.0", "1.2", 85, "4.3")
        ),
        TimelineEntry("BM26-00048", date(2026, 11, 28), Status.DRAFT, None, None),
    ),
    therapy=(TherapyPeriod("Induction (7+3)", date(2025, 1, 6), date(2025, 1, 13)),),
)
PLOTTED = [date(2025, 1, 4), date(2025, 2, 1), date(2026, 3, 31)]


def panel(qtbot: QtBot, services: Services, user: User) -> PatientPanel:
    runner = TaskRunner()
    widget = PatientPanel(services=services, runner=runner, user=lambda: user)
    widget.runner = runner  # type: ignore[attr-defined]  # kept alive with the widget
    qtbot.addWidget(widget)
    return widget


def test_the_chart_has_one_series_per_value_with_one_point_per_issued_case(
    qtbot: QtBot, services: Services, team: Team
) -> None:
    widget = panel(qtbot, services, team["drpark"])
    widget.show_timeline(TIMELINE)

    series = widget.chart.chart().series()
    lines = {s.name(): s for s in series if type(s) is QLineSeries}
    dots = {s.name(): s for s in series if isinstance(s, QScatterSeries)}
    bands = [s for s in series if isinstance(s, QAreaSeries)]
    names = [m.name for m in MEASURES]
    assert list(lines) == names and list(dots) == names
    expected = {
        "Blast equivalents %": [62.4, 1.8, 38.0],
        "Plasma cells %": [0.8, 2.0, 1.2],
        "Cellularity %": [95, 25, 85],
        "M:E": [8.5, 1.6, 4.3],
    }
    for name, ys in expected.items():
        for group in (lines, dots):
            points = group[name].points()
            assert [(p.x(), p.y()) for p in points] == [
                (msecs(day), y)
                for day, y in zip(PLOTTED, ys, strict=True)  # type: ignore[call-overload]
            ], name
    # cancelled and draft cases are listed, never plotted; the therapy period is a band
    assert [band.name() for band in bands] == ["Induction (7+3)"]
    assert widget.table.rowCount() == 5
    assert widget.table.item(2, 2).text() == "Cancelled"  # type: ignore[union-attr]
    assert widget.table.item(2, 9).text() == "not plotted"  # type: ignore[union-attr]
    assert widget.table.item(0, 7).text() == "8.5:1"  # type: ignore[union-attr]
    # every point on the same time axis
    axis = widget.chart.time_axis
    for group in (lines, dots):
        for s in group.values():
            assert axis in s.attachedAxes()


def test_hovering_shows_the_accession_and_values_and_clicking_opens_the_case(
    qtbot: QtBot, services: Services, team: Team
) -> None:
    widget = panel(qtbot, services, team["drpark"])
    widget.show_timeline(TIMELINE)
    point = QPointF(msecs(date(2025, 2, 1)), 25.0)
    entry = widget.chart.entry_at(point)
    assert entry is not None
    assert point_text(entry).splitlines() == [
        "BM25-00004  2025-02-01",
        "Blast equivalents %: 1.8",
        "Plasma cells %: 2.0",
        "Cellularity %: 25",
        "M:E: 1.6",
        "Cellularity for age: hypercellular",
        "Fibrosis: MF-1",
    ]
    dots = next(s for s in widget.chart.chart().series() if isinstance(s, QScatterSeries))
    with qtbot.waitSignal(widget.open_requested) as opened:
        dots.clicked.emit(point)
    assert opened.args == ["BM25-00004"]
    with qtbot.waitSignal(widget.open_requested) as opened:
        widget.table.doubleClicked.emit(widget.table.model().index(3, 0))
    assert opened.args == ["BM26-00013"]


def test_the_panel_reads_the_patients_timeline_in_the_background(
    qtbot: QtBot, app: App, services: Services, team: Team
) -> None:
    first, second = example_case(), example_case()
    second["accession"] = "BM26-00043"
    second["procedure"]["date"] = "2026-11-25"
    second["received_at"] = "2026-11-25T15:00:00Z"
    for data in (first, second):
        app.cases.import_case(team["drpark"], data)
    app.cases.sign(team["drpark"], "BM26-00042", PASSWORD)

    for reader, rows in (("drpark", 2), ("clinician", 1)):
        widget = panel(qtbot, services, team[reader])
        widget.load("MRN0012345")
        qtbot.waitUntil(lambda w=widget: w.timeline is not None, timeout=10_000)  # type: ignore[misc]
        assert widget.table.rowCount() == rows
        assert widget.header.text().startswith("DELGADO, Tomás · MRN0012345")
        dots = [s for s in widget.chart.chart().series() if isinstance(s, QScatterSeries)]
        assert {len(s.points()) for s in dots} == {1}  # the signed case only


def test_one_marrow_is_counted_in_the_singular_and_its_row_is_not_hidden(
    qtbot: QtBot, services: Services, team: Team
) -> None:
    """ "1 marrow", not "1 marrows"; a long diagnosis is elided in the width the other
    columns leave instead of scrolling sideways and covering the only row."""
    one = Timeline(
        mrn="MRN0095872",
        patient_name="AL-SAYED, Mohammed",
        entries=(
            TimelineEntry(
                "BM26-00052",
                date(2026, 12, 4),
                Status.PRELIMINARY,
                1,
                values("54.0", "1.0", 90, "6.5"),
                diagnosis="Acute myeloid leukemia: 54.0% blasts on a 500-cell differential; "
                "hypercellular marrow (90%). " * 4,
            ),
        ),
    )
    widget = panel(qtbot, services, team["drpark"])
    widget.resize(820, 600)  # about the width the Patient course gets in the editor
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_timeline(one)
    qtbot.wait(20)
    assert widget.header.text().endswith("· 1 marrow, 1 with issued values")
    assert widget.chart.chart().title() == "AL-SAYED, Mohammed: 1 marrow plotted"
    table = widget.table
    assert table.horizontalScrollBar().maximum() == 0
    assert table.viewport().height() >= table.rowHeight(0)
    last = table.item(0, table.columnCount() - 1)
    assert last is not None and last.toolTip() == last.text()
