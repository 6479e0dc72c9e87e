"""The trend chart of a patient's marrows (Qt Charts): one point per issued case.

Why this shape: a hematologist reads a course against time, so every value shares one
date axis; percentages share the left axis and M:E (a ratio, not a percentage) has its
own on the right. Therapy periods are shaded bands behind the points. Hovering a point
shows its accession and values; clicking it opens the case. Cancelled, withdrawn and
unsigned cases are never plotted (the list beside says why they have no values).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from PySide6.QtCharts import (
    QAbstractSeries,
    QAreaSeries,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QPointF, Qt, QTimeZone, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from marrowpath.domain.timeline import Timeline, TimelineEntry, Values
from marrowpath.domain.wording import plural


@dataclass(frozen=True)
class Measure:
    """One plotted value: its series name, how to read it, its axis and colour."""

    name: str
    read: Callable[[Values], Decimal | int | None]
    right_axis: bool
    colour: str


MEASURES = (
    Measure("Blast equivalents %", lambda v: v.blast_equivalents_pct, False, "#c0392b"),
    Measure("Plasma cells %", lambda v: v.plasma_cells_pct, False, "#8e44ad"),
    Measure("Cellularity %", lambda v: v.cellularity_pct, False, "#2c7fb8"),
    Measure("M:E", lambda v: v.me_ratio, True, "#7f8c8d"),
)
THERAPY_BAND = QColor(255, 196, 0, 60)
EPOCH = date(1970, 1, 1)
DAY_MS = 86_400_000


def msecs(day: date) -> float:
    """A date as the chart's x value: milliseconds since the epoch at noon UTC, so that
    a point sits in the middle of its day whatever the workstation's time zone."""
    return float((day - EPOCH).days * DAY_MS + DAY_MS // 2)


def _qdatetime(day: date) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(msecs(day)), QTimeZone.utc())


class TrendChart(QChartView):
    """The chart; `show_timeline` draws a timeline.

    Signals:
        point_clicked(str) -- the accession of a clicked point.
    """

    point_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName("Trend chart")
        self.setMinimumHeight(220)
        chart = QChart()
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(chart.margins().__class__(4, 4, 4, 4))
        self.setChart(chart)
        self.time_axis = QDateTimeAxis()
        self.time_axis.setFormat("yyyy-MM-dd")
        self.time_axis.setTitleText("Procedure date")
        self.percent_axis = QValueAxis()
        self.percent_axis.setRange(0, 100)
        self.percent_axis.setLabelFormat("%d")
        self.percent_axis.setTickCount(5)
        self.percent_axis.setTitleText("%")
        self.ratio_axis = QValueAxis()
        self.ratio_axis.setLabelFormat("%d")
        self.ratio_axis.setTickCount(5)
        self.ratio_axis.setTitleText("M:E")
        chart.addAxis(self.time_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.percent_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.ratio_axis, Qt.AlignmentFlag.AlignRight)
        self._entries: dict[float, TimelineEntry] = {}

    # ------------------------------------------------------------------ drawing

    def show_timeline(self, timeline: Timeline) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        points = timeline.points
        self._entries = {msecs(e.procedure_date): e for e in points if e.procedure_date}
        self._set_time_range(timeline)
        for period in timeline.therapy:
            self._add_band(period.name, period.start, period.end or self._last_day(timeline))
        highest_ratio = Decimal(1)
        for measure in MEASURES:
            values = [
                (entry, measure.read(entry.values))
                for entry in points
                if entry.values is not None and entry.procedure_date is not None
            ]
            plotted = [(entry, value) for entry, value in values if value is not None]
            if not plotted:
                continue
            if measure.right_axis:
                highest_ratio = max(highest_ratio, *(Decimal(value) for _e, value in plotted))
            self._add_measure(measure, plotted)
        # four intervals on both axes, so the grid lines of % and M:E coincide
        step = max(1, math.ceil(float(highest_ratio) * 1.1 / 4))
        self.ratio_axis.setRange(0, 4 * step)
        chart.setTitle(f"{timeline.patient_name}: {plural(len(points), 'marrow')} plotted")

    def _set_time_range(self, timeline: Timeline) -> None:
        # every listed case, plotted or not: the course runs up to the case in hand
        days = [e.procedure_date for e in timeline.entries if e.procedure_date]
        days += [p.start for p in timeline.therapy] + [p.end for p in timeline.therapy if p.end]
        if not days:
            today = date.today()
            days = [today - timedelta(days=30), today]
        first, last = min(days), max(days)
        margin = timedelta(days=max(7, (last - first).days // 20))
        self.time_axis.setRange(_qdatetime(first - margin), _qdatetime(last + margin))
        self.time_axis.setTickCount(6)

    def _last_day(self, timeline: Timeline) -> date:
        days = [e.procedure_date for e in timeline.entries if e.procedure_date]
        return max(days) if days else date.today()

    def _attach(self, series: QAbstractSeries, right: bool) -> None:
        self.chart().addSeries(series)
        series.attachAxis(self.time_axis)
        series.attachAxis(self.ratio_axis if right else self.percent_axis)

    def _add_measure(
        self, measure: Measure, plotted: list[tuple[TimelineEntry, Decimal | int]]
    ) -> None:
        colour = QColor(measure.colour)
        line = QLineSeries()
        line.setName(measure.name)
        line.setPen(
            QPen(colour, 2, Qt.PenStyle.DashLine if measure.right_axis else Qt.PenStyle.SolidLine)
        )
        dots = QScatterSeries()
        dots.setName(measure.name)
        dots.setMarkerSize(9)
        dots.setColor(colour)
        dots.setBorderColor(colour)
        for entry, value in plotted:
            assert entry.procedure_date is not None
            point = QPointF(msecs(entry.procedure_date), float(value))
            line.append(point)
            dots.append(point)
        self._attach(line, measure.right_axis)
        self._attach(dots, measure.right_axis)
        for marker in self.chart().legend().markers(dots):
            marker.setVisible(False)  # one legend entry per measure: the line's
        dots.hovered.connect(self._hovered)
        dots.clicked.connect(self._clicked)

    def _add_band(self, name: str, start: date, end: date) -> None:
        """A therapy period: a band over the whole height of the percent axis."""
        lower, upper = QLineSeries(), QLineSeries()
        for day in (start, end):
            lower.append(msecs(day), 0)
            upper.append(msecs(day), 100)
        band = QAreaSeries(upper, lower)
        for edge in (upper, lower):  # the band owns its edges (Qt does not take them)
            edge.setParent(band)
        band.setName(name)
        band.setBrush(QBrush(THERAPY_BAND))
        band.setPen(QPen(Qt.PenStyle.NoPen))
        self._attach(band, right=False)

    # ------------------------------------------------------------------ interaction

    def entry_at(self, point: QPointF) -> TimelineEntry | None:
        return self._entries.get(point.x()) or self._nearest(point.x())

    def _nearest(self, x: float) -> TimelineEntry | None:
        if not self._entries:
            return None
        key = min(self._entries, key=lambda k: abs(k - x))
        return self._entries[key] if abs(key - x) < DAY_MS // 2 else None

    def _hovered(self, point: QPointF, state: bool) -> None:
        entry = self.entry_at(point)
        if not state or entry is None:
            QToolTip.hideText()
            return
        QToolTip.showText(self.cursor().pos(), point_text(entry), self)

    def _clicked(self, point: QPointF) -> None:
        entry = self.entry_at(point)
        if entry is not None:
            self.point_clicked.emit(entry.accession)


def point_text(entry: TimelineEntry) -> str:
    """What hovering a point shows: accession, date and every value."""
    lines = [f"{entry.accession}  {entry.procedure_date}"]
    values = entry.values
    if values is not None:
        for measure in MEASURES:
            value = measure.read(values)
            if value is not None:
                lines.append(f"{measure.name}: {value}")
        if values.cellularity_verdict:
            lines.append(f"Cellularity for age: {values.cellularity_verdict}")
        if values.fibrosis_grade:
            lines.append(f"Fibrosis: {values.fibrosis_grade}")
        lines += [m.text for m in values.measurements]
    return "\n".join(lines)
