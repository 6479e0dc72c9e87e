"""Print the reports selected in the worklist in one go, with progress and Cancel.

One print job (the reports come out together, in the worklist's order), each report's
current version fetched as issued and audited as a print of it, on the task runner; the
progress dialog follows each report and Cancel stops between pages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import QProgressDialog, QWidget

from marrowpath.domain.users import User
from marrowpath.ui.printing import PrintCancelled, Printed, print_many
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message


class BatchPrint(QObject):
    """One batch print.

    Signals:
        progressed(int, str) -- reports done so far, and the one printing now (any thread).
        finished(str) -- what happened, in words for the status bar.
    """

    progressed = Signal(int, str)
    finished = Signal(str)

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: Callable[[], User],
        accessions: list[str],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.accessions = accessions
        self.cancelled = threading.Event()
        self._printer: QPrinter | None = None
        self.progress = QProgressDialog(
            "Preparing...", "Cancel", 0, len(accessions), parent, Qt.WindowType.Dialog
        )
        self.progress.setWindowTitle(f"Printing {len(accessions)} reports")
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self.cancelled.set)
        self.progressed.connect(self._show_progress)

    def ask_and_start(self) -> None:
        """The system print dialog (no "Print to file"), then the batch."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.progress.parentWidget())
        dialog.setWindowTitle(f"Print {len(self.accessions)} reports")
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, False)
        accepted = dialog.exec() == QPrintDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self.start(printer)
        else:
            self.progress.close()
            self.deleteLater()

    def start(self, printer: QPrinter) -> None:
        user, cases, accessions = self._user(), self._services.cases, list(self.accessions)
        self._printer = printer  # kept alive until the work is done

        def fetch(accession: str) -> bytes:
            return cases.report_pdf(user, accession, purpose="print")

        self.progress.show()
        self._runner.run(
            lambda: print_many(
                accessions,
                fetch,
                printer,
                progress=self.progressed.emit,
                cancelled=self.cancelled,
            ),
            on_done=self._done,
            on_error=self._failed,
            owner=self,
        )

    def _show_progress(self, done: int, accession: str) -> None:
        self.progress.setValue(done)
        self.progress.setLabelText(
            f"Printing {accession} ({done + 1} of {len(self.accessions)})..."
            if accession
            else "Sending to the printer..."
        )

    def _done(self, result: Printed) -> None:
        self.progress.close()
        self.finished.emit(f"{len(self.accessions)} reports: {result.words()}")

    def _failed(self, error: Exception) -> None:
        self.progress.close()
        if isinstance(error, PrintCancelled):
            self.finished.emit("Printing cancelled; the pages already prepared were sent.")
        else:
            self.finished.emit(f"Printing stopped: {user_message(error)}")
