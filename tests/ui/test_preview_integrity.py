"""The desktop preview, print and save refuse a stored PDF that is not the one signed
(issue 10): the reason is shown in words, nothing is printed or written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import build
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.preview import PreviewWidget
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER
from tests.tamper import tamper

ACCESSION = "BM26-00042"
REFUSAL = (
    f"{ACCESSION} version 1: the stored PDF does not match the one signed; it was not "
    "{done}. Tell the laboratory's administrator."
)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_swapped_pdf_is_refused_in_the_preview_print_and_save(
    qtbot: QtBot,
    database_url: str,
    pathologist: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = build(database_url, hasher=TEST_HASHER)  # with the renderer: the PDF is stored at signing
    app.cases.import_case(pathologist, example_case())
    app.cases.sign(pathologist, ACCESSION, PASSWORD)
    window = MainWindow(desktop_services(app, str(tmp_path)), pathologist, idle_minutes=60)
    qtbot.addWidget(window)
    window.open_preview(ACCESSION)
    preview = window.tabs.currentWidget()
    assert isinstance(preview, PreviewWidget)
    qtbot.waitUntil(lambda: preview.pdf is not None, timeout=20_000)
    assert preview.print_button.isEnabled()

    forged = app.cases.report_pdf(pathologist, ACCESSION, patient_summary=True)
    tamper(
        app.engine,
        "UPDATE report_versions SET pdf = :pdf, pdf_sha256 = :sha",
        pdf=forged,
        sha=hashlib.sha256(forged).hexdigest(),
    )
    # printing or saving what is on screen checks the stored PDF again
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    with qtbot.waitSignal(preview.failed, timeout=20_000) as refused:
        preview.print_to(printer)
    assert refused.args == [REFUSAL.format(done="printed")]
    assert not (tmp_path / "printed.pdf").exists()
    with qtbot.waitSignal(preview.failed, timeout=20_000) as refused:
        preview.save_to(tmp_path / "saved.pdf")
    assert refused.args == [REFUSAL.format(done="saved")]
    assert not (tmp_path / "saved.pdf").exists()
    assert preview.pdf is None and not preview.print_button.isEnabled()

    with qtbot.waitSignal(preview.failed, timeout=20_000) as refused:
        preview.reload()
    assert refused.args == [REFUSAL.format(done="shown")]
    assert preview.error.text() == REFUSAL.format(done="shown")
    assert preview.document.pageCount() == 0
    preview.grab().save(str(tmp_path / "refused-preview.png"))
    window.close()
    app.close()
