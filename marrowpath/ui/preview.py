"""Report preview inside the app (QtPdf), printing through the system dialog, Save PDF.

Qt cannot send a PDF to a printer as such, so printing renders each page with
`QPdfDocument.render` at the printer's resolution and paints it onto the page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.errors import Refused
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.files import write_whole
from marrowpath.services.cases import ReportChoices
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
    """

    title_changed = Signal(str)

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
        bar = QHBoxLayout()
        bar.addWidget(QLabel(f"<b>{accession}</b>"))
        bar.addWidget(QLabel("Version"))
        bar.addWidget(self.versions)
        bar.addWidget(self.summary)
        bar.addStretch(1)
        bar.addWidget(self.message)
        bar.addWidget(self.print_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
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
        self._set_enabled(False)
        self.message.setText("Preparing the report...")
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
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(buffer)
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer
        self.view.pageNavigator().jump(0, QPointF(), self.view.zoomFactor())
        self.message.setText(f"{self.document.pageCount()} pages")
        self._set_enabled(True)

    def _failed(self, error: Exception) -> None:
        """Nothing is shown, printed or saved; the reason stays readable beside the buttons."""
        self._pdf = None
        self.document.close()
        self._set_enabled(False)
        self.message.setText(user_message(error) if isinstance(error, Refused) else "")
        self.message.setWordWrap(True)
        QMessageBox.warning(self, "Report", user_message(error))

    def print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(f"Print {self.accession}")
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Print the shown PDF (audited as a print of this version); 0 pages when refused
        (the stored PDF is checked again: it may have changed since the preview)."""
        version, summary = self.versions.currentData(), self.summary.isChecked()
        try:
            pdf = self._services.cases.report_pdf(
                self._user(),
                self.accession,
                version=version,
                patient_summary=summary,
                purpose="print",
            )
        except Refused as refusal:
            self._failed(refusal)
            return 0
        return print_pdf(pdf, printer)

    def save_dialog(self) -> None:
        suggested = f"{self.accession}{'-patient-summary' if self.summary.isChecked() else ''}.pdf"
        path, _filter = QFileDialog.getSaveFileName(self, "Save PDF", suggested, "PDF (*.pdf)")
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        version, summary = self.versions.currentData(), self.summary.isChecked()
        try:
            pdf = self._services.cases.report_pdf(
                self._user(),
                self.accession,
                version=version,
                patient_summary=summary,
                purpose="save",
            )
            write_whole(path, pdf, what="save")
        except Refused as refusal:
            self._failed(refusal)
            return
        self.message.setText(f"Saved {path.name}")
