"""The trend chart of a patient's marrows (Qt Charts): one point per issued case.

Why this shape: a hematologist reads a course against time, so every value shares one
date axis; percentages share the left axis and M:E (a ratio, not a percentage) has its
own on the right. The ancillary measurements (MRD by flow, a variant allele fraction)
span several logs, from a diagnostic 60 % to a residual 0.01 %, so they have a
logarithmic axis of their own on the far right: on the percent axis a remission's MRD
would lie flat on zero. A measurement of 0 (not detected) sits on the floor of that axis;
its hover and the list say 0. Therapy periods are shaded bands behind the points, one
colour per kind with one legend entry per kind; hovering a band names the period and its
dates. Hovering a point shows its accession and values; clicking it opens the case.
Cancelled, withdrawn and unsigned cases are never plotted (the list beside says why they
have no values).
"""

from __future__ import annotations

import math
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
    QLogValueAxis,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QPointF, Qt, QTimeZone, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from marrowpath.domain.enums import MeasurementUnit, TherapyKind
from marrowpath.domain.timeline import (
    SERIES,
    Plot,
    Series,
    TherapyPeriod,
    Timeline,
    TimelineEntry,
    Values,
    unit_suffix,
)
from marrowpath.domain.wording import plural
from marrowpath.ui import status as status_words


@dataclass(frozen=True)
class Measure:
    """One plotted value (a `Series` with a `Plot`): its series name, its axis and colour."""

    series: Series
    plot: Plot

    @property
    def name(self) -> str:
        return self.series.words

    @property
    def right_axis(self) -> bool:
        return self.plot.right_axis

    @property
    def colour(self) -> str:
        return self.plot.colour

    def read(self, values: Values) -> Decimal | int | None:
        value = values.of(self.series)
        return value if isinstance(value, Decimal | int) else None


MEASURES = tuple(Measure(s, s.plot) for s in SERIES if s.plot is not None)
# the values only listed on hovering, after the plotted ones
WORDED = tuple(s for s in SERIES if s.plot is None)
# the ancillary measurements, in the order a patient's first report lists them
MEASUREMENT_COLOURS = ("#00897b", "#6d4c41", "#2e7d32", "#c2185b", "#b7950b", "#34495e")
# one colour per kind of therapy, translucent so that the points show through
THERAPY_COLOURS = {
    TherapyKind.CHEMOTHERAPY: QColor(243, 156, 18),
    TherapyKind.TARGETED: QColor(39, 174, 96),
    TherapyKind.IMMUNOTHERAPY: QColor(41, 128, 185),
    TherapyKind.TRANSPLANT: QColor(142, 68, 173),
    TherapyKind.RADIATION: QColor(121, 85, 72),
    TherapyKind.TRANSFUSION: QColor(231, 76, 60),
    TherapyKind.OTHER: QColor(127, 140, 141),
}
BAND_ALPHA, EDGE_ALPHA = 55, 140
EPOCH = date(1970, 1, 1)
DAY_MS = 86_400_000


def msecs(day: date) -> float:
    """A date as the chart's x value: milliseconds since the epoch at noon UTC, so that
    a point sits in the middle of its day whatever the workstation's time zone."""
    return float((day - EPOCH).days * DAY_MS + DAY_MS // 2)


def _qdatetime(day: date) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(msecs(day)), QTimeZone.utc())


def measurement_series_name(name: str, unit: MeasurementUnit) -> str:
    """ "MRD by flow %", "NPM1 VAF %" (a VAF is a percentage), "Donor ratio (ratio)"."""
    if unit in (MeasurementUnit.PERCENT, MeasurementUnit.VAF_PERCENT):
        return f"{name} %"
    return f"{name} ({unit_suffix(unit).strip()})" if unit is MeasurementUnit.RATIO else name


def kind_words(kind: TherapyKind) -> str:
    return kind.value.capitalize()


def log_range(values: list[Decimal]) -> tuple[float, float]:
    """Whole decades around the values; a value of 0 or less (not detected) needs one
    decade below the smallest measured value, where it is drawn."""
    positive = [float(v) for v in values if v > 0]
    if not positive:
        return 0.01, 1.0
    low = 10 ** math.floor(math.log10(min(positive)))
    high = 10 ** math.ceil(math.log10(max(positive)))
    if any(v <= 0 for v in values):
        low /= 10
    if high <= low:
        high = low * 10
    return low, high


class TrendChart(QChartView):
    """The chart; `show_timeline` draws a timeline.

    Attributes:
        bands -- the therapy period of each band drawn, for its hover text.

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
        # on the right, one entry a line: a row at the bottom would make the chart as wide
        # as all the series names together (nine for a patient with three measurements)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
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
        self.log_axis = QLogValueAxis()
        self.log_axis.setBase(10)
        self.log_axis.setLabelFormat("%g")
        self.log_axis.setTitleText("Measurements (log)")
        self.log_axis.setGridLineVisible(False)  # the percent axis draws the grid
        self.log_axis.setMinorTickCount(0)
        chart.addAxis(self.time_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.percent_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.ratio_axis, Qt.AlignmentFlag.AlignRight)
        chart.addAxis(self.log_axis, Qt.AlignmentFlag.AlignRight)
        self.log_axis.setVisible(False)
        self._entries: dict[float, TimelineEntry] = {}
        self.bands: dict[QAreaSeries, TherapyPeriod] = {}

    # ------------------------------------------------------------------ drawing

    def show_timeline(self, timeline: Timeline) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        self.bands = {}
        points = timeline.points
        self._entries = {msecs(e.procedure_date): e for e in points if e.procedure_date}
        self._set_time_range(timeline)
        shown_kinds: set[TherapyKind] = set()
        for period in timeline.therapy:
            self._add_band(period, self._last_day(timeline), period.kind not in shown_kinds)
            shown_kinds.add(period.kind)
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
        self._add_measurements(points)
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
        """Where a period without an end stops: the last case listed (or the last date
        a period reports, if later)."""
        days = [e.procedure_date for e in timeline.entries if e.procedure_date]
        days += [p.end or p.start for p in timeline.therapy]
        return max(days) if days else date.today()

    def _attach(self, series: QAbstractSeries, y_axis: QValueAxis | QLogValueAxis) -> None:
        self.chart().addSeries(series)
        series.attachAxis(self.time_axis)
        series.attachAxis(y_axis)

    def _add_measure(
        self, measure: Measure, plotted: list[tuple[TimelineEntry, Decimal | int]]
    ) -> None:
        points = []
        for entry, value in plotted:
            assert entry.procedure_date is not None
            points.append(QPointF(msecs(entry.procedure_date), float(value)))
        self._add_series(
            measure.name,
            QColor(measure.colour),
            Qt.PenStyle.DashLine if measure.right_axis else Qt.PenStyle.SolidLine,
            QScatterSeries.MarkerShape.MarkerShapeCircle,
            points,
            self.ratio_axis if measure.right_axis else self.percent_axis,
        )

    def _add_measurements(self, points: tuple[TimelineEntry, ...]) -> None:
        """One series per measurement (name and unit) on the logarithmic axis, which is
        shown only when there is one."""
        series: dict[tuple[str, MeasurementUnit], list[tuple[float, Decimal]]] = {}
        for entry in points:
            if entry.values is None or entry.procedure_date is None:
                continue
            seen: set[tuple[str, MeasurementUnit]] = set()
            for m in entry.values.measurements:
                key = (m.name, m.unit)
                if key not in seen:  # the first of a name in one report
                    seen.add(key)
                    series.setdefault(key, []).append((msecs(entry.procedure_date), m.value))
        self.log_axis.setVisible(bool(series))
        if not series:
            return
        low, high = log_range([value for values in series.values() for _x, value in values])
        # a hair beyond the decades, so that both end decades get their label
        self.log_axis.setRange(low * 0.999, high * 1.001)
        for index, ((name, unit), values) in enumerate(series.items()):
            self._add_series(
                measurement_series_name(name, unit),
                QColor(MEASUREMENT_COLOURS[index % len(MEASUREMENT_COLOURS)]),
                Qt.PenStyle.DotLine,
                QScatterSeries.MarkerShape.MarkerShapeRectangle,
                [QPointF(x, float(value) if value > 0 else low) for x, value in values],
                self.log_axis,
            )

    def _add_series(
        self,
        name: str,
        colour: QColor,
        style: Qt.PenStyle,
        shape: QScatterSeries.MarkerShape,
        points: list[QPointF],
        y_axis: QValueAxis | QLogValueAxis,
    ) -> None:
        """A line through the points and a marker on each (the markers hover and click;
        one legend entry, the line's)."""
        line = QLineSeries()
        line.setName(name)
        line.setPen(QPen(colour, 2, style))
        dots = QScatterSeries()
        dots.setName(name)
        dots.setMarkerShape(shape)
        dots.setMarkerSize(9)
        dots.setColor(colour)
        dots.setBorderColor(colour)
        line.append(points)
        dots.append(points)
        self._attach(line, y_axis)
        self._attach(dots, y_axis)
        for marker in self.chart().legend().markers(dots):
            marker.setVisible(False)
        dots.hovered.connect(self._hovered)
        dots.clicked.connect(self._clicked)

    def _add_band(self, period: TherapyPeriod, last_day: date, in_legend: bool) -> None:
        """A therapy period: a band over the whole height of the percent axis, from the
        start of its first day to the end of its last (a one-day transplant is a thin
        band), named by its kind so that the legend lists each kind once."""
        end = period.end or max(last_day, period.start)
        left, right = msecs(period.start) - DAY_MS // 2, msecs(end) + DAY_MS // 2
        lower, upper = QLineSeries(), QLineSeries()
        for x in (left, right):
            lower.append(x, 0)
            upper.append(x, 100)
        band = QAreaSeries(upper, lower)
        for edge in (upper, lower):  # the band owns its edges (Qt does not take them)
            edge.setParent(band)
        colour = THERAPY_COLOURS[period.kind]
        band.setName(kind_words(period.kind))
        band.setBrush(QBrush(QColor(colour.red(), colour.green(), colour.blue(), BAND_ALPHA)))
        band.setPen(QPen(QColor(colour.red(), colour.green(), colour.blue(), EDGE_ALPHA), 1))
        self._attach(band, self.percent_axis)
        for marker in self.chart().legend().markers(band):
            marker.setVisible(in_legend)
        self.bands[band] = period
        band.hovered.connect(
            lambda _point, state, p=period: self._show_tip(therapy_text(p) if state else None)
        )

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
        self._show_tip(point_text(entry) if state and entry is not None else None)

    def _show_tip(self, text: str | None) -> None:
        if text is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(self.cursor().pos(), text, self)

    def _clicked(self, point: QPointF) -> None:
        entry = self.entry_at(point)
        if entry is not None:
            self.point_clicked.emit(entry.accession)


def point_text(entry: TimelineEntry) -> str:
    """What hovering a point shows: accession, date, status and every value, the
    measurements with the units the report prints."""
    lines = [f"{entry.accession}  {entry.procedure_date}  {status_words.word(entry.status)}"]
    values = entry.values
    if values is not None:
        for measure in MEASURES:
            value = measure.read(values)
            if value is not None:
                lines.append(f"{measure.name}: {value}")
        for series in WORDED:
            if words := values.of(series):
                lines.append(f"{series.words}: {words}")
        lines += [m.words for m in values.measurements]
    return "\n".join(lines)


def therapy_text(period: TherapyPeriod) -> str:
    """What hovering a band shows: the period's name, kind and dates."""
    end = period.end.isoformat() if period.end else "ongoing when last reported"
    return f"{period.name}\n{kind_words(period.kind)}: {period.start.isoformat()} to {end}"
