"""Printing as issued (issue 16, item 4): through Qt's print path (QPrinter, PDF output)
at the report's own page size, Letter and A4, scaled only onto other paper and then said;
the text as sharp as the issued PDF's at 300 dpi, and no JPEG anywhere."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSizeF
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App, build
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.preview import PreviewWidget
from marrowpath.ui.printing import pdf_page_size, prepare_printer
from marrowpath.ui.tasks import TaskRunner
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

ACCESSION = "BM26-00042"
PDFTOPPM = ("pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-f", "1", "-l", "1")
LETTER = (612, 792)
A4 = (595, 842)


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed: PDFs rendered at signing and stored."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


def _sizes(path: Path) -> list[tuple[int, int]]:
    return [(round(p.mediabox.width), round(p.mediabox.height)) for p in PdfReader(path).pages]


def _image_filters(path: Path) -> set[str]:
    """Every filter of every image XObject in the file."""
    filters: set[str] = set()
    for page in PdfReader(path).pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for ref in xobjects.values():
            image = ref.get_object()
            if image.get("/Subtype") == "/Image":
                found = image.get("/Filter")
                filters.update([str(f) for f in found] if isinstance(found, list) else [str(found)])
    return filters


def _raster(pdf: Path, out: Path) -> QImage:
    """Page 1 at 300 dpi, grey, as a fax or copier would see it, by poppler's pdftoppm
    (`apt install poppler-utils`; CI installs it). It reads the file, not the pixels Qt
    painted. QtPdf's renderer is no stand-in: it draws the issued PDF's text without
    anti-aliasing, so the sharpness comparison would measure the renderers."""
    if not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is required in CI")
        pytest.skip("needs pdftoppm (apt install poppler-utils)")
    subprocess.run([*PDFTOPPM, str(pdf), str(out)], check=True)
    image = QImage(str(out) + ".png")
    assert not image.isNull()
    return image.convertToFormat(QImage.Format.Format_Grayscale8)


def _rows(image: QImage, x: int, y: int, w: int, h: int) -> list[bytes]:
    data = bytes(image.constBits())
    stride = image.bytesPerLine()
    return [data[row * stride + x : row * stride + x + w] for row in range(y, y + h)]


def _soft_edges(image: QImage, *region: int) -> float:
    """Grey edge pixels per black pixel in a region of text: about 0.2-0.35 for text
    rasterised at 300 dpi, over 0.5 once blurred by half a pixel, near 1 at 150 dpi."""
    greys = [grey for row in _rows(image, *region) for grey in row]
    dark = sum(1 for grey in greys if grey < 64)
    soft = sum(1 for grey in greys if 64 <= grey < 192)
    return soft / dark


def _ink(image: QImage, *region: int) -> int:
    return sum(1 for row in _rows(image, *region) for grey in row if grey < 128)


def _print(qtbot: QtBot, preview: PreviewWidget, path: Path, paper: tuple[int, int]) -> str:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    size = preview.page_size()
    assert size is not None
    prepare_printer(printer, size)  # what the print dialog proposes
    if (round(size.width()), round(size.height())) != paper:
        prepare_printer(printer, QSizeF(*paper))  # the user chose other paper
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    with qtbot.waitSignal(preview.printed, timeout=120_000):
        preview.print_to(printer)
    return preview.message.text()


@pytest.mark.parametrize(("paper", "size"), [("letter", LETTER), ("a4", A4)])
def test_a_report_prints_at_its_own_size_sharp_and_without_jpeg(
    qtbot: QtBot,
    app: App,
    team: dict[str, User],
    tmp_path: Path,
    paper: str,
    size: tuple[int, int],
) -> None:
    dr = team["drpark"]
    app.lab.set(team["admin"], "report.paper", paper)
    app.cases.import_case(dr, example_case())
    app.cases.sign(dr, ACCESSION, PASSWORD)
    issued = tmp_path / "issued.pdf"
    issued.write_bytes(app.cases.report_pdf(dr, ACCESSION))
    services = desktop_services(app, str(tmp_path))
    preview = PreviewWidget(
        services=services, runner=TaskRunner(), user=lambda: dr, accession=ACCESSION
    )
    qtbot.addWidget(preview)
    qtbot.waitUntil(lambda: preview.pdf is not None, timeout=60_000)
    assert pdf_page_size(issued.read_bytes()).toSize().width() == size[0]

    printed = tmp_path / "printed.pdf"
    message = _print(qtbot, preview, printed, size)
    assert _sizes(printed) == _sizes(issued) == [size] * len(_sizes(issued))
    assert "scaled" not in message
    assert "/DCTDecode" not in _image_filters(printed) and _image_filters(printed)
    original, copy = _raster(issued, tmp_path / "issued"), _raster(printed, tmp_path / "printed")
    # the same sheet, to the pixel (A4 is 595.28 pt in ReportLab, 595 or 596 in Qt)
    assert abs(original.width() - copy.width()) <= 2
    assert abs(original.height() - copy.height()) <= 2
    # the lab header and patient block: small text, where blur or JPEG ringing shows first
    region = (180, 180, original.width() - 360, 600)
    assert _ink(original, *region) > 2_000  # there is text to compare
    assert _soft_edges(copy, *region) < 2 * _soft_edges(original, *region)

    other = A4 if size == LETTER else LETTER
    scaled = tmp_path / "scaled.pdf"
    message = _print(qtbot, preview, scaled, other)
    assert _sizes(scaled)[0] == other
    expected = ("Letter", "A4") if size == LETTER else ("A4", "Letter")
    assert f"scaled from {expected[0]} to fit {expected[1]} paper" in message


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_selected_reports_print_in_one_job_with_progress_and_cancel(
    qtbot: QtBot, app: App, team: dict[str, User], tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QPushButton

    from marrowpath.ui.worklist import WorklistView

    dr = team["drpark"]
    for number in (1, 2, 3):
        data = example_case()
        data["accession"] = f"BM26-0000{number}"
        app.cases.import_case(dr, data)
        app.cases.sign(dr, data["accession"], PASSWORD)
    services = desktop_services(app, str(tmp_path))
    view = WorklistView(services=services, runner=TaskRunner(), user=lambda: dr)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.apply_filters()
    view.table.selectAll()
    assert view.selected_accessions() == ["BM26-00003", "BM26-00002", "BM26-00001"]
    pages = len(PdfReader(io.BytesIO(app.cases.report_pdf(dr, "BM26-00001"))).pages)

    batch = view.print_selected()
    assert batch is not None
    steps: list[int] = []
    batch.progressed.connect(lambda done, _accession: steps.append(done))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    prepare_printer(printer, QSizeF(*LETTER))
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "batch.pdf"))
    with qtbot.waitSignal(batch.finished, timeout=180_000) as finished:
        batch.start(printer)
    assert finished.args == [f"3 reports: Sent {3 * pages} pages to the printer"]
    assert steps == [0, 1, 2, 3]
    assert _sizes(tmp_path / "batch.pdf") == [LETTER] * (3 * pages)
    with app.context.uow(read_only=True) as uow:
        assert all(
            "print" in [e.action for e in uow.audit.for_case(f"BM26-0000{n}")] for n in (1, 2, 3)
        )

    again = view.print_selected()
    assert again is not None
    cancel = again.progress.findChild(QPushButton)  # the dialog's own Cancel button
    again.progressed.connect(lambda done, _a: cancel.click() if done == 1 else None)  # type: ignore[union-attr]
    printer.setOutputFileName(str(tmp_path / "cancelled.pdf"))
    with qtbot.waitSignal(again.finished, timeout=180_000) as finished:
        again.start(printer)
    assert finished.args == ["Printing cancelled; the pages already prepared were sent."]
