"""Report preview inside the app (QtPdf), printing through the system dialog, Save PDF.

Qt cannot send a PDF to a printer as such, so printing renders each page with
`QPdfDocument.render` at the printer's resolution and paints it onto the page. Fetching
or rendering the PDF, printing and writing the file run on the task runner (Qt paints
on a printer from any thread); the widget shows a busy state meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.errors import Refused
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.files import write_whole
from marrowpath.services.cases import ReportChoices
from marrowpath.ui.busy import BusyIndicator
from marrowpath.ui.file_dialogs import save_file_name
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message

MAX_RASTER_DPI = 300


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Paint every page of a PDF onto a printer (or a PDF/print-to-file printer).

    Returns the number of pages printed.
    """
    document = QPdfDocument()
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be opened")
    try:
        # Pages are rasterised; 300 dpi prints text crisply, while a 1200 dpi raster of a
        # Letter page would need half a gigabyte. The image is scaled onto the page.
        dpi = min(printer.resolution(), MAX_RASTER_DPI)
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            size_points = document.pagePointSize(page)
            target = QSize(
                round(size_points.width() / 72 * dpi), round(size_points.height() / 72 * dpi)
            )
            image = document.render(page, target)
            area: QRect = painter.viewport()
            scaled = target.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(area.topLeft(), scaled), image)
        return document.pageCount()
    finally:
        painter.end()
        document.close()


def _sentence(refusal: str) -> str:
    """A service refusal ("BM26-00036: a withdrawn report ...") as a sentence."""
    text = refusal.split(": ", 1)[-1]
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class PreviewWidget(QWidget):
    """A case's report: version chooser, patient-summary toggle, Print and Save PDF.

    Signals:
        title_changed(str) -- text for the tab.
        printed(int) -- the number of pages a print sent to the printer.
        saved(Path) -- the file a Save PDF wrote.
        failed(str) -- the words shown when showing, printing or saving was refused.
    """

    title_changed = Signal(str)
    printed = Signal(int)
    saved = Signal(Path)
    failed = Signal(str)

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: Callable[[], User],
        accession: str,
        version: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.accession = accession
        self._pdf: bytes | None = None
        self._buffer: QBuffer | None = None
        self._printer: QPrinter | None = None
        self.document = QPdfDocument(self)
        self.view = QPdfView()
        self.view.setAccessibleName("Report preview")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.versions = QComboBox()
        self.versions.setAccessibleName("Report version")
        self.versions.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.summary = QCheckBox("Patient summary")
        self.summary.setToolTip("Add the plain-language pages for the patient")
        self.print_button = QPushButton("Print...")
        self.save_button = QPushButton("Save PDF...")
        self.message = QLabel()
        self.message.setAccessibleName("Preview message")
        self.error = QLabel()
        self.error.setAccessibleName("Preview error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.busy = BusyIndicator(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(f"<b>{accession}</b>"))
        bar.addWidget(QLabel("Version"))
        bar.addWidget(self.versions)
        bar.addWidget(self.summary)
        bar.addStretch(1)
        bar.addWidget(self.busy)
        bar.addWidget(self.message)
        bar.addWidget(self.print_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.view, 1)
        self.print_button.clicked.connect(self.print_dialog)
        self.save_button.clicked.connect(self.save_dialog)
        self.summary.toggled.connect(lambda _c: self.reload())
        self.versions.currentIndexChanged.connect(lambda _i: self.reload())
        self._set_enabled(False)
        self._wanted_version = version
        self._load_versions()

    @property
    def pdf(self) -> bytes | None:
        return self._pdf

    def _set_enabled(self, enabled: bool) -> None:
        self.print_button.setEnabled(enabled)
        self.save_button.setEnabled(enabled)

    def _start(self, words: str) -> None:
        self._set_enabled(False)
        self.message.setText("")
        self.error.hide()
        self.busy.start(words)

    def _stop(self) -> None:
        self.busy.stop()
        self._set_enabled(self._pdf is not None)

    def _load_versions(self) -> None:
        accession = self.accession
        self._runner.run(
            lambda: self._services.cases.report_choices(self._user(), accession),
            on_done=self._versions_arrived,
            on_error=self._failed,
            owner=self,
        )

    def _versions_arrived(self, choices: ReportChoices) -> None:
        """Fill the version chooser; a cancelled or withdrawn case offers no patient
        summary, and a case cancelled before anything was issued nothing to print."""
        versions = choices.versions
        self.versions.blockSignals(True)
        self.summary.blockSignals(True)
        self.versions.clear()
        self.summary.setEnabled(choices.no_patient_summary is None)
        if choices.no_patient_summary is not None:
            self.summary.setChecked(False)
            self.summary.setToolTip(_sentence(choices.no_patient_summary))
        self.summary.blockSignals(False)
        if choices.nothing_to_print is not None:
            self.versions.blockSignals(False)
            self.title_changed.emit(f"{self.accession} report")
            self.message.setText(_sentence(choices.nothing_to_print))
            return
        if not versions:
            self.versions.addItem("Working document (DRAFT)", None)
        latest = versions[-1].number if versions else None
        closed = {Status.ENTERED_IN_ERROR: " - withdrawn", Status.CANCELLED: " - cancelled"}
        for version in reversed(versions):
            signed = version.content.signed_at.strftime("%Y-%m-%d %H:%M")
            note = closed.get(choices.status) or (
                " - superseded" if version.number != latest else ""
            )
            self.versions.addItem(
                f"{version.number}: {version.kind.value} ({signed} UTC){note}", version.number
            )
        if self._wanted_version is not None:
            index = self.versions.findData(self._wanted_version)
            self.versions.setCurrentIndex(max(index, 0))
        self.versions.blockSignals(False)
        self.title_changed.emit(f"{self.accession} report")
        self.reload()

    def reload(self) -> None:
        """Render (or fetch the issued bytes of) the chosen version, off the GUI thread."""
        self._pdf = None
        self._start("Preparing the report...")
        accession, version = self.accession, self.versions.currentData()
        summary = self.summary.isChecked()
        self._runner.run(
            lambda: self._services.cases.report_pdf(
                self._user(), accession, version=version, patient_summary=summary, purpose="preview"
            ),
            on_done=self._show,
            on_error=self._failed,
            owner=self,
        )

    def _show(self, pdf: bytes) -> None:
        self._pdf = pdf
        self._stop()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(buffer)
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer
        self.view.pageNavigator().jump(0, QPointF(), self.view.zoomFactor())
        self.message.setText(f"{self.document.pageCount()} pages")

    def _failed(self, error: Exception) -> None:
        """Nothing is shown, printed or saved when the report is refused (the stored PDF
        is not the one signed); the reason is said in the preview's own line (no pop-up
        for work that ran meanwhile)."""
        self._stop()
        if isinstance(error, Refused):
            self._pdf = None
            self.document.close()
            self._set_enabled(False)
        self.error.setText(user_message(error))
        self.error.show()
        self.failed.emit(self.error.text())

    def print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = self.make_print_dialog(printer)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)
        dialog.deleteLater()

    def make_print_dialog(self, printer: QPrinter) -> QPrintDialog:
        """The system print dialog without "Print to file": its file chooser is one we do
        not control (it reads the files it lists, see `file_dialogs`); Save PDF... saves."""
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(f"Print {self.accession}")
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, False)
        return dialog

    def print_to(self, printer: QPrinter) -> None:
        """Print the shown version (audited as a print of it) off the GUI thread;
        `printed` follows with the number of pages."""
        version, summary = self.versions.currentData(), self.summary.isChecked()
        user, accession, cases = self._user(), self.accession, self._services.cases

        def work() -> int:
            pdf = cases.report_pdf(
                user, accession, version=version, patient_summary=summary, purpose="print"
            )
            return print_pdf(pdf, printer)

        self._start("Printing...")
        self._printer = printer  # kept alive until the work is done
        self._runner.run(work, on_done=self._printed, on_error=self._failed, owner=self)

    def _printed(self, pages: int) -> None:
        self._stop()
        self.message.setText(f"Sent {pages} page{'s' if pages != 1 else ''} to the printer")
        self.printed.emit(pages)

    def save_dialog(self) -> None:
        suggested = f"{self.accession}{'-patient-summary' if self.summary.isChecked() else ''}.pdf"
        path = save_file_name(self, "Save PDF", suggested, "PDF (*.pdf)")
        if path is not None:
            self.save_to(path)

    def save_to(self, path: Path) -> None:
        """Write the shown version to `path` (audited as a save) off the GUI thread;
        `saved` follows."""
        version, summary = self.versions.currentData(), self.summary.isChecked()
        user, accession, cases = self._user(), self.accession, self._services.cases

        def work() -> Path:
            pdf = cases.report_pdf(
                user, accession, version=version, patient_summary=summary, purpose="save"
            )
            write_whole(path, pdf, what="save")
            return path

        self._start("Saving the PDF...")
        self._runner.run(work, on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, path: Path) -> None:
        self._stop()
        self.message.setText(f"Saved {path.name}")
        self.saved.emit(path)
