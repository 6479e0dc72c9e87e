"""The Patient panel (issue 14, item 1): the list and the Qt Charts trend chart of a
patient's marrows, driven offscreen with pytest-qt against a real database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCharts import QAreaSeries, QLineSeries, QScatterSeries
from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.enums import MeasurementUnit, TherapyKind
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.timeline import Measurement, TherapyPeriod, Timeline, TimelineEntry, Values
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.patient_panel import PatientPanel
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.trend_chart import (
    DAY_MS,
    MEASURES,
    THERAPY_COLOURS,
    msecs,
    point_text,
    therapy_text,
)
from tests.conftest import PASSWORD, example_case

Team = dict[str, User]


PERCENT, VAF = MeasurementUnit.PERCENT, MeasurementUnit.VAF_PERCENT


def values(
    blasts: str, plasma: str, cellularity: int, ratio: str, *measured: Measurement
) -> Values:
    return Values(
        {
            "blast_equivalents_pct": Decimal(blasts),
            "plasma_cells_pct": Decimal(plasma),
            "cellularity_pct": cellularity,
            "cellularity_verdict": "hypercellular",
            "me_ratio": Decimal(ratio),
            "fibrosis_grade": "MF-1",
        },
        measurements=measured,
    )


def mrd(value: str) -> Measurement:
    return Measurement("MRD by flow", Decimal(value), PERCENT)


def npm1(value: str) -> Measurement:
    return Measurement("NPM1 VAF", Decimal(value), VAF)


INDUCTION = TherapyPeriod(
    "Induction (7+3)", TherapyKind.CHEMOTHERAPY, date(2025, 1, 6), date(2025, 1, 13)
)
CONSOLIDATION = TherapyPeriod(
    "HiDAC", TherapyKind.CHEMOTHERAPY, date(2025, 2, 15), date(2025, 5, 20)
)
TRANSFUSIONS = TherapyPeriod(
    "Transfusions", TherapyKind.TRANSFUSION, date(2025, 1, 10), date(2025, 1, 30)
)
MAINTENANCE = TherapyPeriod("Enasidenib", TherapyKind.TARGETED, date(2026, 4, 10), None)


TIMELINE = Timeline(
    mrn="MRN0081342",
    patient_name="ŁUKASIEWICZ-NGUYỄN, Zoë",
    entries=(
        TimelineEntry(
            "BM25-00003",
            date(2025, 1, 4),
            Status.APPENDED,
            2,
            values("62.4", "0.8", 95, "8.5", mrd("59"), npm1("41")),
        ),
        TimelineEntry(
            "BM25-00004",
            date(2025, 2, 1),
            Status.FINAL,
            1,
            values("1.8", "2.0", 25, "1.6", mrd("0.06")),
        ),
        TimelineEntry("BM25-00009", date(2025, 6, 1), Status.CANCELLED, None, None),
        TimelineEntry(
            "BM26-00013",
            date(2026, 3, 31),
            Status.FINAL,
            2,
            values("38.0", "1.2", 85, "4.3", mrd("37"), npm1("33")),
        ),
        TimelineEntry("BM26-00048", date(2026, 11, 28), Status.DRAFT, None, None),
    ),
    therapy=(INDUCTION, TRANSFUSIONS, CONSOLIDATION, MAINTENANCE),
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
    names = [m.name for m in MEASURES] + ["MRD by flow %", "NPM1 VAF %"]
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
    # cancelled and draft cases are listed, never plotted
    assert widget.table.rowCount() == 5
    assert widget.table.item(2, 2).text() == "Cancelled"  # type: ignore[union-attr]
    assert widget.table.item(2, 10).text() == "not plotted"  # type: ignore[union-attr]
    assert widget.table.item(0, 7).text() == "8.5:1"  # type: ignore[union-attr]
    # every point on the same time axis
    axis = widget.chart.time_axis
    for group in (lines, dots):
        for s in group.values():
            assert axis in s.attachedAxes()


def test_measurements_are_series_on_a_log_axis_and_therapy_periods_are_bands_by_kind(
    qtbot: QtBot, services: Services, team: Team
) -> None:
    widget = panel(qtbot, services, team["drpark"])
    widget.show()
    widget.show_timeline(TIMELINE)
    chart = widget.chart

    series = chart.chart().series()
    dots = {s.name(): s for s in series if isinstance(s, QScatterSeries)}
    # MRD by flow at each of the three issued marrows; NPM1 VAF where it was measured
    assert [(p.x(), p.y()) for p in dots["MRD by flow %"].points()] == [
        (msecs(date(2025, 1, 4)), 59.0),
        (msecs(date(2025, 2, 1)), 0.06),
        (msecs(date(2026, 3, 31)), 37.0),
    ]
    assert [(p.x(), p.y()) for p in dots["NPM1 VAF %"].points()] == [
        (msecs(date(2025, 1, 4)), 41.0),
        (msecs(date(2026, 3, 31)), 33.0),
    ]
    for name in ("MRD by flow %", "NPM1 VAF %"):
        assert chart.log_axis in dots[name].attachedAxes()
    assert chart.log_axis.isVisible()
    # whole decades around 0.06 .. 59 (labels at both ends)
    assert round(chart.log_axis.min(), 4) == 0.01 and round(chart.log_axis.max()) == 100
    row = [widget.table.item(1, c).text() for c in range(widget.table.columnCount())]  # type: ignore[union-attr]
    assert row[9] == "MRD by flow: 0.06 %"
    assert widget.table.item(0, 9).text() == "MRD by flow: 59 %; NPM1 VAF: 41 % VAF"  # type: ignore[union-attr]

    # one band per period, from the start of its first day to the end of its last, in
    # its kind's colour; an open-ended period runs to the last case listed
    bands = [s for s in series if isinstance(s, QAreaSeries)]
    assert [chart.bands[b] for b in bands] == list(TIMELINE.therapy)
    for band, period in zip(bands, TIMELINE.therapy, strict=True):
        upper = band.upperSeries()
        assert upper is not None
        end = period.end or date(2026, 11, 28)
        assert [(p.x(), p.y()) for p in upper.points()] == [
            (msecs(period.start) - DAY_MS // 2, 100.0),
            (msecs(end) + DAY_MS // 2, 100.0),
        ]
        colour = band.brush().color()
        assert colour.rgb() == THERAPY_COLOURS[period.kind].rgb() and colour.alpha() < 255
    # the legend names each kind once (its markers show once the chart is laid out)
    qtbot.wait(1)
    legend = chart.chart().legend()
    shown = [m.label() for b in bands for m in legend.markers(b) if m.isVisible()]
    assert shown == ["Chemotherapy", "Transfusion", "Targeted"]
    assert therapy_text(MAINTENANCE).splitlines() == [
        "Enasidenib",
        "Targeted: 2026-04-10 to ongoing when last reported",
    ]
    assert widget.therapy.isVisibleTo(widget)
    assert widget.therapy.text().startswith(
        "Therapy: Induction (7+3) (chemotherapy, 2025-01-06 to 2025-01-13); "
    )
    assert widget.therapy.text().endswith("Enasidenib (targeted, 2026-04-10, ongoing)")


def test_a_measurement_of_zero_sits_on_the_floor_of_the_log_axis(
    qtbot: QtBot, services: Services, team: Team
) -> None:
    widget = panel(qtbot, services, team["drpark"])
    first, second = TIMELINE.entries[0], TIMELINE.entries[1]
    assert second.values is not None
    undetected = TimelineEntry(
        second.accession,
        second.procedure_date,
        second.status,
        second.version,
        values("1.8", "2.0", 25, "1.6", mrd("0")),
    )
    widget.show_timeline(Timeline("MRN0081342", "Z", (first, undetected)))
    dots = next(
        s
        for s in widget.chart.chart().series()
        if isinstance(s, QScatterSeries) and s.name() == "MRD by flow %"
    )
    # 59 -> decades 10..100; the 0 one decade lower, at 1
    assert [p.y() for p in dots.points()] == [59.0, 1.0]
    assert "MRD by flow: 0 %" in point_text(undetected).splitlines()


def test_hovering_shows_the_accession_and_values_and_clicking_opens_the_case(
    qtbot: QtBot, services: Services, team: Team
) -> None:
    widget = panel(qtbot, services, team["drpark"])
    widget.show_timeline(TIMELINE)
    point = QPointF(msecs(date(2025, 2, 1)), 25.0)
    entry = widget.chart.entry_at(point)
    assert entry is not None
    assert point_text(entry).splitlines() == [
        "BM25-00004  2025-02-01  Final",
        "Blast equivalents %: 1.8",
        "Plasma cells %: 2.0",
        "Cellularity %: 25",
        "M:E: 1.6",
        "Cellularity for age: hypercellular",
        "Fibrosis: MF-1",
        "MRD by flow: 0.06 %",
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


def test_the_demo_serial_patients_panel_plots_her_mrd_and_shades_her_therapy(
    qtbot: QtBot, app: App, tmp_path: Path
) -> None:
    """Zoë Łukasiewicz-Nguyễn of the demo (stories/zoe.json), read by the panel from the
    database: MRD by flow 59 %, 0.06 %, 37 % at her three issued marrows, and the
    induction, transfusion and consolidation periods her issued reports give."""
    today = app.context.clock.today()
    users, _ = app.demo.ensure_users_and_lab()
    app.demo.load_showcase(users, today)
    widget = panel(qtbot, desktop_services(app, str(tmp_path)), users["achen"])
    widget.load("MRN0081342")
    qtbot.waitUntil(lambda: widget.timeline is not None, timeout=30_000)

    days = [today - timedelta(days=d) for d in (702, 674, 251)]
    series = widget.chart.chart().series()
    dots = {s.name(): s for s in series if isinstance(s, QScatterSeries)}
    assert [(p.x(), p.y()) for p in dots["MRD by flow %"].points()] == [
        (msecs(day), y) for day, y in zip(days, (59.0, 0.06, 37.0), strict=True)
    ]
    assert [p.y() for p in dots["NPM1 VAF %"].points()] == [41.0, 33.0]
    assert [p.y() for p in dots["NPM1mut/ABL1 %"].points()] == [215.0, 0.42, 96.0]
    bands = [s for s in series if isinstance(s, QAreaSeries)]
    assert [(widget.chart.bands[b].name, b.name()) for b in bands] == [
        ("Induction: cytarabine and daunorubicin (7+3)", "Chemotherapy"),
        ("Red cell and platelet transfusions", "Transfusion"),
        ("Consolidation: high-dose cytarabine, three cycles", "Chemotherapy"),
    ]
    assert widget.table.rowCount() == 4  # the draft after the transplant listed, no point


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
