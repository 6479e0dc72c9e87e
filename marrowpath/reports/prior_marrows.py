"""The report's "Prior marrows at this laboratory" (`bench.md` 5): the patient's earlier
issued marrows as snapshotted in the version at signing, newest first, with a small trend
chart of blast equivalents and plasma cells (ReportLab graphics) when there are two or
more points (the earlier marrows and this one).

Printed from the version's own `prior_marrows`, never looked up at print time, so a
reprint is the report as signed.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.styles import StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from marrowpath.domain.derived import blast_equivalents_percent, plasma_cells_percent
from marrowpath.domain.reporting import ReportRequest
from marrowpath.domain.timeline import (
    BLAST_EQUIVALENTS,
    PLASMA_CELLS,
    PRIOR_SERIES,
    PriorMarrow,
    Series,
    Value,
)
from marrowpath.reports.flowables import data_table, heading
from marrowpath.reports.formatting import date_text

TITLE = "Prior marrows at this laboratory"
BLASTS, PLASMA = colors.HexColor("#c0392b"), colors.HexColor("#8e44ad")
# the widths of the value columns (`PRIOR_SERIES`, in order): blast eq., plasma cells,
# cellularity
VALUE_WIDTHS_MM = (18, 20, 22)


def prior_marrows_story(
    request: ReportRequest, styles: StyleSheet1, width: float
) -> list[Flowable]:
    version = request.version
    priors = version.content.prior_marrows if version is not None else None
    if not priors:
        return []
    rows = [
        [
            prior.accession,
            date_text(prior.procedure_date),
            *(_printed(series, prior.value(series)) for series in PRIOR_SERIES),
            prior.diagnosis,
        ]
        for prior in priors
    ]
    value_widths = [w for _s, w in zip(PRIOR_SERIES, VALUE_WIDTHS_MM, strict=True)]
    widths = [24 * mm, 22 * mm, *(w * mm for w in value_widths)]
    widths.append(width - (24 + 22 + sum(value_widths)) * mm)
    header = ["Accession", "Date", *(series.prior or "" for series in PRIOR_SERIES), "Diagnosis"]
    story = heading(TITLE, styles, width)
    numeric = frozenset(range(2, 2 + len(PRIOR_SERIES)))
    table = data_table(header, rows, styles, widths, numeric=numeric)
    points = _points(request, priors)
    if len(points) >= 2:
        story.append(KeepTogether([table, trend_drawing(points, width)]))
    else:
        story.append(table)
    return story


def _printed(series: Series, value: Value) -> str:
    """The value and its unit as the report prints it ("12.5 %"), blank when not reported."""
    if value is None:
        return ""
    return f"{value} {series.unit}" if series.unit else str(value)


Point = tuple[date, Decimal | None, Decimal | None]


def _points(request: ReportRequest, priors: tuple[PriorMarrow, ...]) -> list[Point]:
    """Oldest first: the earlier marrows, then this one."""
    document = request.document
    blasts = blast_equivalents_percent(document)
    plasma = plasma_cells_percent(document)
    points: list[Point] = [
        (p.procedure_date, _decimal(p.value(BLAST_EQUIVALENTS)), _decimal(p.value(PLASMA_CELLS)))
        for p in reversed(priors)
    ]
    points.append(
        (
            document.procedure.date,
            blasts.value if blasts else None,
            plasma.value if plasma else None,
        )
    )
    return [p for p in points if p[1] is not None or p[2] is not None]


def _decimal(value: Value) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def trend_drawing(points: list[Point], width: float) -> Drawing:
    """Blast equivalents and plasma cells (%) against the procedure date, this marrow last."""
    height = 42 * mm
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 14 * mm, 9 * mm
    plot.width, plot.height = width - 60 * mm, height - 14 * mm
    first = points[0][0]
    series = [
        [((day - first).days, float(blasts)) for day, blasts, _ in points if blasts is not None],
        [((day - first).days, float(plasma)) for day, _, plasma in points if plasma is not None],
    ]
    plot.data = series
    for line, colour in zip(plot.lines, (BLASTS, PLASMA), strict=False):
        line.strokeColor = colour
        line.strokeWidth = 1.2
        line.symbol = makeMarker("FilledCircle", size=3, fillColor=colour, strokeColor=colour)
    highest = max((y for s in series for _x, y in s), default=10.0)
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = max(10.0, highest * 1.15)
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.labelTextFormat = "%d %%"
    span = max(1, (points[-1][0] - first).days)
    plot.xValueAxis.valueMin = -span * 0.03
    plot.xValueAxis.valueMax = span * 1.03
    plot.xValueAxis.valueSteps = [(day - first).days for day, _b, _p in points]
    plot.xValueAxis.labels.fontSize = 6.5
    plot.xValueAxis.labelTextFormat = lambda x: (first + timedelta(days=int(x))).isoformat()
    drawing.add(plot)
    legend = LineLegend()
    legend.x, legend.y = width - 42 * mm, height - 10 * mm
    legend.fontSize = 7
    legend.colorNamePairs = [(BLASTS, "Blast equivalents"), (PLASMA, "Plasma cells")]
    drawing.add(legend)
    drawing.add(String(0, height - 4, "Trend (this marrow last)", fontSize=7))
    return drawing
