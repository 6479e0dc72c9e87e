"""A workstation in its own process, driven line by line over stdin/stdout by a test.

`python -m tests.ui.workstation desktop DB USER` runs the real desktop app's main window
(signed in as USER; the platform is whatever QT_QPA_PLATFORM says, xcb under Xvfb in
CI); `... services DB USER` works through the services API only. Each command line gets
exactly one answer line (JSON), so the test can interleave workstations step by step.

Commands: `open ACCESSION`, `edit TEXT` (the diagnosis comment), `save`,
`save-pdf-dialog` (desktop: open the preview, press Save PDF..., cancel the dialog),
`sniff` (open and close the database's files read-only, as a file dialog's icon provider
does), `locks` (POSIX locks this process holds on the database, from /proc/locks),
`quit`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marrowpath.bootstrap import App, build
from tests.conftest import PASSWORD

SUFFIXES = ("", "-wal", "-shm")


def sniff(database: Path) -> list[str]:
    """Read the start of each database file and close it again: on POSIX the close drops
    every lock this process holds on that file, whatever SQLite believes it holds."""
    touched = []
    for suffix in SUFFIXES:
        path = database.with_name(database.name + suffix)
        if path.exists():
            descriptor = os.open(path, os.O_RDONLY)
            os.read(descriptor, 512)
            os.close(descriptor)
            touched.append(path.name)
    return touched


def posix_locks(database: Path) -> int:
    """How many POSIX locks this process holds on the database's files (-1: unknown)."""
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return -1
    inodes = set()
    for suffix in SUFFIXES:
        path = database.with_name(database.name + suffix)
        if path.exists():
            inodes.add(path.stat().st_ino)
    pid = str(os.getpid())
    count = 0
    for line in table.splitlines():
        fields = line.split()
        # "1: POSIX  ADVISORY  READ 1234 08:01:5678 1073741826 1073742335"
        mine = len(fields) >= 6 and fields[1] == "POSIX" and fields[4] == pid
        if mine and int(fields[5].rsplit(":", 1)[1]) in inodes:
            count += 1
    return count


class ServicesStation:
    """A second workstation that uses the services directly (as the CLI does)."""

    def __init__(self, database: Path, username: str) -> None:
        self.database = database
        self.app: App = build(str(database), with_renderer=False)
        self.user = self.app.auth.sign_in(username, PASSWORD)
        self.working: dict[str, Any] = {}
        self.row_version = 0
        self.accession = ""

    def open(self, accession: str) -> dict[str, Any]:
        record = self.app.cases.open(self.user, accession).record
        self.accession, self.working = accession, json.loads(json.dumps(record.working))
        self.row_version = record.row_version
        return {"row_version": record.row_version}

    def edit(self, text: str) -> dict[str, Any]:
        self.working["diagnosis"]["comment"] = text
        return {}

    def save(self) -> dict[str, Any]:
        try:
            result = self.app.cases.save(
                self.user, self.accession, self.working, expected_row_version=self.row_version
            )
        except Exception as error:  # the refusal is what the test looks at
            return {"saved": False, "message": str(error)}
        self.row_version = result.row_version
        return {"saved": True, "at": time.time()}

    def quit(self) -> dict[str, Any]:
        self.app.close()
        return {}


class DesktopStation:
    """The real main window: the worklist, a case editor tab, the report preview."""

    def __init__(self, database: Path, username: str) -> None:
        from PySide6.QtWidgets import QApplication

        from marrowpath.launcher import desktop_services
        from marrowpath.ui.main_window import MainWindow

        self.database = database
        self.qt = QApplication.instance() or QApplication([sys.argv[0]])
        self.app = build(str(database))
        self.user = self.app.auth.sign_in(username, PASSWORD)
        services = desktop_services(self.app, str(database.parent / f"data-{username}"))
        self.window = MainWindow(services, self.user)
        self.window.resize(1280, 800)
        self.window.show()
        self.editor: Any = None

    def _wait(self, ready: Callable[[], bool], seconds: float = 90) -> None:
        from PySide6.QtCore import QEventLoop

        deadline = time.monotonic() + seconds
        while not ready():
            self.qt.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if time.monotonic() > deadline:
                raise TimeoutError("the desktop app did not get there in time")
            time.sleep(0.005)

    def open(self, accession: str) -> dict[str, Any]:
        self.window.open_case(accession)
        self.editor = self.window.current_editor()
        self._wait(lambda: self.editor.record is not None)
        return {"row_version": self.editor.row_version}

    def edit(self, text: str) -> dict[str, Any]:
        self.editor.form.field("diagnosis.comment").input.setPlainText(text)
        return {"dirty": self.editor.is_dirty()}

    def save(self) -> dict[str, Any]:
        self.editor.save()
        self._wait(lambda: not self.editor.saving)
        return {
            "saved": not self.editor.is_dirty(),
            "state": self.editor.action_bar.state.text(),
            "message": self.editor.message_bar.message(),
        }

    def save_pdf_dialog(self) -> dict[str, Any]:
        """Preview, Save PDF..., then Cancel once the dialog has listed its folder."""
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QFileDialog

        from marrowpath.ui.preview import PreviewWidget

        self.window.open_preview(self.editor.accession)
        preview = self.window.tabs.currentWidget()
        assert isinstance(preview, PreviewWidget)
        self._wait(preview.save_button.isEnabled)
        seen: dict[str, Any] = {}

        def cancel_when_shown() -> None:
            dialog = QApplication.activeModalWidget()
            if isinstance(dialog, QFileDialog) and dialog.isVisible():
                seen["directory"] = dialog.directory().absolutePath()
                # time for the dialog's file system model to read the folder
                QTimer.singleShot(1_500, dialog.reject)
            else:
                QTimer.singleShot(50, cancel_when_shown)

        QTimer.singleShot(50, cancel_when_shown)
        preview.save_button.click()  # returns when the dialog is cancelled
        self.window.tabs.setCurrentWidget(self.editor)
        return {"dialog_directory": seen.get("directory")}

    def quit(self) -> dict[str, Any]:
        if self.editor is not None:
            self.editor.ask_unsaved = lambda: "discard"
        self.window.close()
        self.app.close()
        return {}


def main(kind: str, database: str, username: str) -> int:
    path = Path(database).resolve()
    station: Any = (DesktopStation if kind == "desktop" else ServicesStation)(path, username)
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    for line in sys.stdin:
        command, _, argument = line.rstrip("\n").partition(" ")
        try:
            if command == "sniff":
                answer: dict[str, Any] = {"touched": sniff(path)}
            elif command == "locks":
                answer = {"locks": posix_locks(path)}
            elif command == "save-pdf-dialog":
                answer = station.save_pdf_dialog()
            elif command in ("open", "edit"):
                answer = getattr(station, command)(argument)
            else:
                answer = getattr(station, command)()
        except Exception as error:  # reported to the test, which fails with it
            answer = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)
        if command == "quit":
            break
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
