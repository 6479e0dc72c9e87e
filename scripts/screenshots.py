"""Screenshots of the desktop app on the demo database, for the README and for review.

Usage: `make screenshots` (or `python scripts/screenshots.py [OUT_DIR]`). Builds a fresh
demo database in a temporary folder, signs in as a pathologist and saves PNGs of the
worklist, the case editor (aspirate section), the sign-out dialog (and its busy state
while a signature is checked), the report preview and the lock screen; then signs in as
the demo hematologist and saves her worklist and a report at fit width; last, the Patient
panel of the demo's serial patient.
Runs offscreen; no display is needed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

from marrowpath.bootstrap import build
from marrowpath.demo.people import DEMO_PASSWORD
from marrowpath.launcher import desktop_services
from marrowpath.ui.dialogs.sign_out import SignOutDialog
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.patient_panel import PatientPanel
from marrowpath.ui.preview import PreviewWidget
from marrowpath.ui.tasks import TaskRunner

SIZE = (1366, 768)


def wait_until(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        QCoreApplication.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        time.sleep(0.02)
    for _ in range(20):
        QCoreApplication.processEvents()


def save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setFont(QFont("DejaVu Sans", 10))
    with tempfile.TemporaryDirectory() as folder:
        marrow = build(str(Path(folder) / "demo.db"))
        users, _empty = marrow.demo.ensure_users_and_lab()
        marrow.demo.load_showcase(users, marrow.context.clock.today())
        services = desktop_services(marrow, folder)
        user = marrow.auth.sign_in("achen", DEMO_PASSWORD)
        window = MainWindow(services, user)
        window.resize(*SIZE)
        window.show()
        wait_until(lambda: window.worklist.model.rowCount() > 0 and not window.runner.busy)
        save(window, out / "worklist.png")

        draft = next(
            window.worklist.model.row(i).accession
            for i in range(window.worklist.model.rowCount())
            if window.worklist.model.row(i).status.value == "preliminary"
        )
        window.open_case(draft)
        editor = window.current_editor()
        assert isinstance(editor, CaseEditor)
        wait_until(lambda: editor.loaded and not window.runner.busy)
        editor.show_section("aspirate")
        wait_until(lambda: not window.runner.busy)
        save(window, out / "editor-aspirate.png")

        view = marrow.cases.open(user, draft)
        dialog = SignOutDialog(
            services=services,
            runner=window.runner,
            user=user,
            accession=draft,
            row_version=view.record.row_version,
            preliminary=False,
            parent=window,
        )
        dialog.show()
        wait_until(lambda: dialog.isVisible() and dialog.view is not None and not dialog.working)
        save(dialog, out / "sign-out.png")
        signing_checked = threading.Event()
        sign = services.cases.sign

        def slow_sign(*args: Any, **kwargs: Any) -> Any:
            signing_checked.wait(30)  # held until the picture is taken
            return sign(*args, **kwargs)

        services.cases.sign = slow_sign  # type: ignore[method-assign]
        if dialog.advisories is not None:
            dialog.advisories.acknowledge.setChecked(True)
        dialog.password.setText("not the password")
        dialog.sign()
        wait_until(lambda: dialog.busy.isVisible())
        save(dialog, out / "sign-out-busy.png")
        signing_checked.set()
        wait_until(lambda: not dialog.working)
        save(dialog, out / "sign-out-wrong-password.png")
        services.cases.sign = sign  # type: ignore[method-assign]
        dialog.reject()

        final = next(
            s.accession
            for s in marrow.cases.search(user, "lukasiewicz")
            if s.status.value == "final"
        )
        window.open_preview(final)
        preview = window.tabs.currentWidget()
        assert isinstance(preview, PreviewWidget)
        wait_until(lambda: preview.pdf is not None and not window.runner.busy)
        save(window, out / "preview.png")
        window.curtains.cover()  # what the idle lock shows behind its password dialog
        save(window, out / "locked.png")
        window.curtains.lift()
        window.close()
        clinician_screens(marrow, services, out)
        patient_panel_screen(marrow, services, out)
        marrow.close()
    return 0


SERIAL_PATIENT = "MRN0081342"  # Zoë Łukasiewicz-Nguyễn: four marrows, therapy, MRD


def patient_panel_screen(marrow: Any, services: Any, out: Path) -> None:
    """The Patient panel of the demo's serial patient: the list with the measurements,
    the therapy periods, and the chart with the measurement series and therapy bands."""
    user = marrow.auth.sign_in("achen", DEMO_PASSWORD)
    runner = TaskRunner()
    panel = PatientPanel(services=services, runner=runner, user=lambda: user)
    panel.resize(1280, 760)
    panel.show()
    panel.load(SERIAL_PATIENT)
    wait_until(lambda: panel.timeline is not None and not runner.busy)
    save(panel, out / "patient-panel.png")
    panel.close()


def clinician_screens(marrow: Any, services: Any, out: Path) -> None:
    """The hematologist's worklist (her patients, New and Amended marked, the unread
    count) and one of her amended reports in the preview at fit width."""
    user = marrow.auth.sign_in("praman", DEMO_PASSWORD)
    window = MainWindow(services, user)
    window.resize(*SIZE)
    window.show()
    worklist = window.worklist
    wait_until(lambda: worklist.model.rowCount() > 0 and "unread" in window.count_label.text())
    save(window, out / "clinician-worklist.png")
    rows = [worklist.model.row(i) for i in range(worklist.model.rowCount())]
    amended = next((r for r in rows if r.amended), rows[0])
    window.open_preview(amended.accession)
    preview = window.tabs.currentWidget()
    assert isinstance(preview, PreviewWidget)
    wait_until(lambda: preview.pdf is not None and not window.runner.busy)
    preview.fit_width()
    wait_until(lambda: not window.runner.busy)
    save(window, out / "clinician-preview-fit-width.png")
    window.close()


if __name__ == "__main__":
    sys.exit(main())
