"""How long the PDF report takes, against bare ReportLab doing the same amount of layout.

Renders the spec's example case (final, and final with the patient summary) in process
and compares the median with a plain platypus document of the same size measured in
the same run: as many pages, paragraphs and table rows, built-in Helvetica, no canvas
furniture. The ratio is the cost of what the report adds (embedded TrueType subsets,
font fallback, headers, footers, QR code, page count); the aim is 3x or less.

Run: `.venv/bin/python benchmarks/bench_report.py [--repeat N]` (or `make benchmarks`).
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Table

from marrowpath.domain.reporting import ReportRequest
from marrowpath.reports.case_report import CaseReportRenderer
from marrowpath.reports.pdf import render_report
from tests.reports import builders


@dataclass(frozen=True)
class Shape:
    """The amount of layout in a report: what the bare document reproduces."""

    pages: int
    paragraphs: list[str]  # plain text of every paragraph outside tables
    tables: list[tuple[int, int, list[str]]]  # rows, columns, plain text of each cell


def shape_of(request: ReportRequest) -> Shape:
    story = CaseReportRenderer(request)._get_story()
    paragraphs: list[str] = []
    tables: list[tuple[int, int, list[str]]] = []
    _walk(story, paragraphs, tables)
    pages = len(PdfReader(io.BytesIO(render_report(request))).pages)
    return Shape(pages, paragraphs, tables)


def _walk(
    flowables: Iterable[Flowable],
    paragraphs: list[str],
    tables: list[tuple[int, int, list[str]]],
) -> None:
    for flowable in flowables:
        if isinstance(flowable, Paragraph):
            paragraphs.append(flowable.getPlainText())
        elif isinstance(flowable, Table):
            cells = flowable._cellvalues
            texts = [_cell_text(cell) for row in cells for cell in row]
            tables.append((len(cells), len(cells[0]) if cells else 0, texts))
        elif hasattr(flowable, "_content"):  # KeepTogether and friends
            _walk(flowable._content, paragraphs, tables)


def _cell_text(cell: object) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Paragraph):
        return cell.getPlainText()
    if isinstance(cell, list | tuple):
        return " ".join(_cell_text(c) for c in cell)
    return ""


def _blocks(shape: Shape) -> list[Flowable]:
    base = getSampleStyleSheet()["BodyText"]
    body = base.clone("Body", fontSize=9.5, leading=12.5, spaceBefore=0, spaceAfter=3)
    cell = base.clone("Cell", fontSize=9, leading=11, spaceBefore=0, spaceAfter=0)
    blocks: list[Flowable] = [Paragraph(escape(text), body) for text in shape.paragraphs]
    for rows, columns, texts in shape.tables:
        grid = [
            [Paragraph(escape(texts[r * columns + c]), cell) for c in range(columns)]
            for r in range(rows)
        ]
        # the frame's width shared out, as the report does: left to itself platypus
        # gives an 11-column table of paragraphs (the prior marrows) too little width
        width = (LETTER[0] - 2 * inch) / max(columns, 1)
        blocks.append(Table(grid, repeatRows=1, colWidths=[width] * columns))
    return blocks


def bare_document(shape: Shape, breaks: frozenset[int] = frozenset()) -> bytes:
    """Platypus with the same paragraphs and table rows, and nothing else.

    `breaks` are block indices preceded by a page break (see `page_breaks`).
    """
    story: list[Flowable] = []
    for i, block in enumerate(_blocks(shape)):
        if i in breaks:
            story.append(PageBreak())
        story.append(block)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=LETTER, invariant=1).build(story)
    return buffer.getvalue()


def page_breaks(shape: Shape) -> frozenset[int]:
    """Where to break pages, evenly spread, so the bare document has as many pages."""
    count = len(shape.paragraphs) + len(shape.tables)
    breaks: frozenset[int] = frozenset()
    for extra in range(shape.pages):
        step = max(1, count // (extra + 1))
        breaks = frozenset(step * (i + 1) for i in range(extra))
        if len(PdfReader(io.BytesIO(bare_document(shape, breaks))).pages) >= shape.pages:
            break
    return breaks


def medians(
    first: Callable[[], bytes], second: Callable[[], bytes], repeat: int
) -> tuple[float, float]:
    """Median seconds of each, measured alternately so machine load affects both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for work, times in ((first, a), (second, b)):
            gc.collect()
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25, help="renders per measurement")
    repeat = parser.parse_args().repeat

    start = time.perf_counter()
    render_report(builders.final_request())
    cold = time.perf_counter() - start
    print(f"first render in this process (parses fonts): {cold * 1000:.0f} ms")

    for name, request in (
        ("example case, final", builders.final_request()),
        ("example case, final + patient summary", builders.final_request(patient_summary=True)),
    ):
        shape = shape_of(request)
        breaks = page_breaks(shape)
        bare_pages = len(PdfReader(io.BytesIO(bare_document(shape, breaks))).pages)
        report, bare = medians(
            lambda request=request: render_report(request),
            lambda shape=shape, breaks=breaks: bare_document(shape, breaks),
            repeat,
        )
        rows = sum(rows for rows, _, _ in shape.tables)
        print(f"\n{name}")
        print(
            f"  layout: {shape.pages} pages (bare: {bare_pages}), "
            f"{len(shape.paragraphs)} paragraphs, {len(shape.tables)} tables, {rows} table rows"
        )
        print(f"  MarrowPath render_report   median {report * 1000:7.1f} ms  (n={repeat})")
        print(f"  bare ReportLab platypus    median {bare * 1000:7.1f} ms  (n={repeat})")
        print(f"  ratio                      {report / bare:7.2f}x  (aim <= 3x)")

    stamping(repeat)


def stamping(repeat: int) -> None:
    """Printing a superseded version: stamping its stored PDF against rendering it anew."""
    from marrowpath.reports.stamp import stamp_report

    first, second = builders.amended_versions()
    request = ReportRequest(
        document=first.content.document,
        settings=builders.SETTINGS,
        versions=(first,),
        later=(second,),
    )
    stored = render_report(request.as_issued())
    stamp_report(stored, request)  # imports pypdf, registers the overlay fonts
    stamp, render = medians(
        lambda: stamp_report(stored, request),
        lambda: render_report(request.as_issued()),
        repeat,
    )
    print("\nsuperseded version 1 of the example case")
    print(f"  stamp the stored PDF       median {stamp * 1000:7.1f} ms  (n={repeat})")
    print(f"  render it anew (baseline)  median {render * 1000:7.1f} ms  (n={repeat})")
    print(f"  ratio                      {stamp / render:7.2f}x  (aim <= 1x)")


if __name__ == "__main__":
    main()
