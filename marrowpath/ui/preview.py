"""Report preview inside the app (QtPdf), printing through the system dialog, Save PDF.

The page has the focus: PageUp/PageDown and the arrows move through pages, never
versions; the version is chosen by its own control, which says each version's state in
words ("version 1 of 2 - SUPERSEDED"). Zoom in and out, fit width and fit page (Ctrl+plus,
Ctrl+minus, Ctrl+0), remembered for the next preview (QSettings). Fetching or rendering
the PDF, printing (`printing`) and writing the file run on the task runner; the widget
shows a busy state meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEvent,
    QIODevice,
    QObject,
    QPointF,
    QSettings,
    QSizeF,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.errors import Refused
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.users import User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.files import write_whole
from marrowpath.services.cases import ReportChoices
from marrowpath.ui.busy import BusyIndicator
from marrowpath.ui.file_dialogs import save_file_name
from marrowpath.ui.printing import Printed, paper_name, prepare_printer, print_pdf
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message
from marrowpath.ui.when import local_time

ZOOM_MODE_KEY = "preview/zoom_mode"
ZOOM_FACTOR_KEY = "preview/zoom_factor"
ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.25, 4.0
FIT_WIDTH, FIT_PAGE, CUSTOM = "fit-width", "fit-page", "custom"

# The state a version is in, as its banner says it (report-states.md), in capitals.
CURRENT_STATE = {
    VersionKind.PRELIMINARY: "PRELIMINARY",
    VersionKind.FINAL: "FINAL",
    VersionKind.AMENDMENT: "AMENDED",
    VersionKind.ADDENDUM: "ADDENDUM",
    VersionKind.WITHDRAWAL: "WITHDRAWN",
}
CLOSED_STATE = {Status.ENTERED_IN_ERROR: "WITHDRAWN", Status.CANCELLED: "CANCELLED"}


def version_label(version: IssuedVersion, total: int, status: Status) -> str:
    """ "version 1 of 2 - SUPERSEDED": the case's state wins, then superseded, then the
    version's own banner word."""
    state = CLOSED_STATE.get(status) or (
        "SUPERSEDED" if version.number != total else CURRENT_STATE[version.kind]
    )
    return f"version {version.number} of {total} - {state}"


def _sentence(refusal: str) -> str:
    """A service refusal ("BM26-00036: a withdrawn report ...") as a sentence."""
    text = refusal.split(": ", 1)[-1]
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class PreviewWidget(QWidget):
    """A case's report: version chooser, patient-summary toggle, zoom, Print and Save PDF.

    Signals:
        title_changed(str) -- text for the tab.
        printed(int) -- the number of pages a print sent to the printer.
        saved(Path) -- the file a Save PDF wrote.
        failed(str) -- the words shown when showing, printing or saving was refused.
        report_read(str, bool, bool) -- accession; the shown version was the current one
            (its New mark is cleared); it was the latest amendment (its changes table was
            shown: the Amended mark is cleared).
    """

    title_changed = Signal(str)
    printed = Signal(int)
    saved = Signal(Path)
    failed = Signal(str)
    report_read = Signal(str, bool, bool)

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
        self._latest: int | None = None
        self._latest_amendment: int | None = None
        self.document = QPdfDocument(self)
        self.view = QPdfView()
        self.view.setAccessibleName("Report preview")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.installEventFilter(self)
        self.versions = QComboBox()
        self.versions.setAccessibleName("Report version")
        self.versions.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # chosen on purpose only: never by the wheel or keys meant for the page
        self.versions.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.summary = QCheckBox("Patient summary")
        self.summary.setToolTip("Add the plain-language pages for the patient")
        self.zoom_out_button = self._tool("-", "Zoom out (Ctrl+minus)", self.zoom_out)
        self.zoom_label = QLabel()
        self.zoom_label.setAccessibleName("Zoom")
        self.zoom_in_button = self._tool("+", "Zoom in (Ctrl+plus)", self.zoom_in)
        self.fit_width_button = self._tool(
            "Fit width", "Fit the page width (Ctrl+0)", self.fit_width
        )
        self.fit_page_button = self._tool("Fit page", "Show whole pages", self.fit_page)
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
        version_label_widget = QLabel("&Version")
        version_label_widget.setBuddy(self.versions)
        bar.addWidget(version_label_widget)
        bar.addWidget(self.versions)
        bar.addWidget(self.summary)
        bar.addStretch(1)
        bar.addWidget(self.busy)
        bar.addWidget(self.message)
        for widget in (
            self.zoom_out_button,
            self.zoom_label,
            self.zoom_in_button,
            self.fit_width_button,
            self.fit_page_button,
            self.print_button,
            self.save_button,
        ):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.view, 1)
        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, self.zoom_in),
            ("Ctrl+=", self.zoom_in),
            (QKeySequence.StandardKey.ZoomOut, self.zoom_out),
            ("Ctrl+0", self.fit_width),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.print_button.clicked.connect(self.print_dialog)
        self.save_button.clicked.connect(self.save_dialog)
        self.summary.toggled.connect(lambda _c: self.reload())
        self.versions.currentIndexChanged.connect(lambda _i: self.reload())
        self._set_enabled(False)
        self._wanted_version = version
        self._restore_zoom()
        self.setFocusProxy(self.view)
        self._load_versions()

    def _tool(self, text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setCheckable(text.startswith("Fit"))  # shows the fit in use
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------ pages and zoom

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """PageUp/PageDown, Left/Right, Home/End move through pages; Up/Down scroll
        within them (QPdfView's own)."""
        if watched is self.view and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            step = {
                Qt.Key.Key_PageDown: 1,
                Qt.Key.Key_Right: 1,
                Qt.Key.Key_PageUp: -1,
                Qt.Key.Key_Left: -1,
            }.get(Qt.Key(event.key()))
            if step is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                self.go_to_page(self.current_page() + step)
                return True
            if event.key() in (Qt.Key.Key_Home, Qt.Key.Key_End):
                last = max(self.document.pageCount() - 1, 0)
                self.go_to_page(0 if event.key() == Qt.Key.Key_Home else last)
                return True
        return super().eventFilter(watched, event)

    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage()

    def go_to_page(self, page: int) -> None:
        count = self.document.pageCount()
        if count:
            page = min(max(page, 0), count - 1)
            self.view.pageNavigator().jump(page, QPointF(), self.view.zoomFactor())

    def zoom_in(self) -> None:
        self._set_zoom(CUSTOM, self._shown_factor() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._set_zoom(CUSTOM, self._shown_factor() / ZOOM_STEP)

    def fit_width(self) -> None:
        self._set_zoom(FIT_WIDTH, self.view.zoomFactor())

    def fit_page(self) -> None:
        self._set_zoom(FIT_PAGE, self.view.zoomFactor())

    @property
    def zoom_mode(self) -> str:
        mode = self.view.zoomMode()
        if mode == QPdfView.ZoomMode.FitToWidth:
            return FIT_WIDTH
        return FIT_PAGE if mode == QPdfView.ZoomMode.FitInView else CUSTOM

    def _shown_factor(self) -> float:
        """The scale the page is shown at now, also in a fit mode (where QPdfView keeps
        its custom factor aside): zooming starts from what the user sees."""
        if self.zoom_mode == CUSTOM or self.document.pageCount() == 0:
            return self.view.zoomFactor()
        page = self.document.pagePointSize(self.current_page())
        viewport = self.view.viewport().size()
        shown_dpi = self.logicalDpiX() / 72
        width = viewport.width() / (page.width() * shown_dpi)
        if self.zoom_mode == FIT_WIDTH:
            return width
        return min(width, viewport.height() / (page.height() * shown_dpi))

    def _set_zoom(self, mode: str, factor: float, *, remember: bool = True) -> None:
        factor = min(max(factor, ZOOM_MIN), ZOOM_MAX)
        if mode == FIT_WIDTH:
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        elif mode == FIT_PAGE:
            self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        else:
            self.view.setZoomMode(QPdfView.ZoomMode.Custom)
            self.view.setZoomFactor(factor)
        self.zoom_label.setText("" if mode != CUSTOM else f"{factor:.0%}")
        self.fit_width_button.setChecked(mode == FIT_WIDTH)
        self.fit_page_button.setChecked(mode == FIT_PAGE)
        self.zoom_out_button.setEnabled(mode != CUSTOM or factor > ZOOM_MIN)
        self.zoom_in_button.setEnabled(mode != CUSTOM or factor < ZOOM_MAX)
        if remember:
            settings = QSettings("MarrowPath", "MarrowPath")
            settings.setValue(ZOOM_MODE_KEY, mode)
            settings.setValue(ZOOM_FACTOR_KEY, factor)

    def _restore_zoom(self) -> None:
        """The zoom the user chose last (fit width the first time)."""
        settings = QSettings("MarrowPath", "MarrowPath")
        mode = settings.value(ZOOM_MODE_KEY, FIT_WIDTH)
        try:
            factor = float(settings.value(ZOOM_FACTOR_KEY, 1.0))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            factor = 1.0
        if mode not in (FIT_WIDTH, FIT_PAGE, CUSTOM):
            mode = FIT_WIDTH
        self._set_zoom(str(mode), factor, remember=False)

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
            self.versions.addItem("working document - DRAFT", None)
        total = versions[-1].number if versions else 0
        self._latest = total or None
        amendments = [v.number for v in versions if v.kind is VersionKind.AMENDMENT]
        self._latest_amendment = amendments[-1] if amendments else None
        for version in reversed(versions):
            signed = local_time(version.content.signed_at)
            self.versions.addItem(version_label(version, total, choices.status), version.number)
            self.versions.setItemData(
                self.versions.count() - 1,
                f"{version.kind.value.capitalize()}, signed {signed} by "
                f"{version.content.signer_name}",
                Qt.ItemDataRole.ToolTipRole,
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
        if self.isVisible() and not self.versions.view().isVisible():
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)  # keys move pages
        shown = self.versions.currentData()
        if self._latest is not None:
            self.report_read.emit(
                self.accession,
                shown == self._latest,
                shown is not None and shown == self._latest_amendment,
            )

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

    def page_size(self) -> QSizeF | None:
        """The shown report's page size in points (None before it is shown)."""
        return self.document.pagePointSize(0) if self.document.pageCount() else None

    def make_print_dialog(self, printer: QPrinter) -> QPrintDialog:
        """The system print dialog, on the report's own paper, saying that other paper
        scales the pages to fit; without "Print to file": its file chooser is one we do
        not control (it reads the files it lists, see `file_dialogs`); Save PDF... saves."""
        size = self.page_size()
        if size is not None:
            prepare_printer(printer, size)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(f"Print {self.accession}")
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, False)
        if size is not None:
            note = QLabel(
                f"The report's pages are {paper_name(size)}. They print at that size on "
                f"{paper_name(size)} paper; on other paper they are scaled to fit, and "
                "the preview says so."
            )
            note.setWordWrap(True)
            note.setWindowTitle("Paper")
            dialog.setOptionTabs([note])
        return dialog

    def print_to(self, printer: QPrinter) -> None:
        """Print the shown version (audited as a print of it) off the GUI thread;
        `printed` follows with the number of pages."""
        version, summary = self.versions.currentData(), self.summary.isChecked()
        user, accession, cases = self._user(), self.accession, self._services.cases

        def work() -> Printed:
            pdf = cases.report_pdf(
                user, accession, version=version, patient_summary=summary, purpose="print"
            )
            return print_pdf(pdf, printer)

        self._start("Printing...")
        self._printer = printer  # kept alive until the work is done
        self._runner.run(work, on_done=self._printed, on_error=self._failed, owner=self)

    def _printed(self, result: Printed) -> None:
        self._stop()
        self.message.setText(result.words())
        self.printed.emit(result.pages)

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
