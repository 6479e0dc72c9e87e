"""File dialogs never open the files they list and never start in the working directory.

The danger (issue 9): Qt's file dialog reads the first bytes of `d.db-wal` and
`d.db-shm` to guess their type; closing that descriptor releases the app's own SQLite
locks on Linux. The kernel's inotify reports every open of a file in a watched folder,
whichever thread or library does it, so it shows exactly what the dialog touched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sqlite3
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import QFileDialog, QFileSystemModel
from pytestqt.qtbot import QtBot

from marrowpath.ui.file_dialogs import file_dialog, remember_folder, start_folder

pytestmark = pytest.mark.ui

IN_OPEN = 0x20
IN_NONBLOCK = 0o4000


class OpenWatch:
    """Names of the files opened in one folder since the watch began (Linux inotify)."""

    def __init__(self, folder: Path) -> None:
        self._libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._fd = self._libc.inotify_init1(IN_NONBLOCK)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if self._libc.inotify_add_watch(self._fd, str(folder).encode(), IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch failed")

    def opened(self) -> set[str]:
        names: set[str] = set()
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return names
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16 : offset + 16 + length].rstrip(b"\0").decode()
                offset += 16 + length
                if mask & IN_OPEN and name:
                    names.add(name)

    def close(self) -> None:
        os.close(self._fd)


@pytest.fixture(autouse=True)
def _private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The remembered folder goes to a throw-away place, not the developer's settings."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config")
    )
    QSettings("MarrowPath", "MarrowPath").clear()


@pytest.fixture
def database_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder holding a SQLite database with its -wal and -shm files; the working
    directory, as when the app was started from there."""
    folder = tmp_path / "lab"
    folder.mkdir()
    connection = sqlite3.connect(folder / "d.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    # Names that say nothing about the contents: exactly what makes a dialog sniff.
    (folder / "d.db-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(60))
    (folder / "d.db-shm").write_bytes(bytes(32768))
    monkeypatch.chdir(folder)
    yield folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")
def test_listing_a_database_folder_opens_none_of_its_files(
    qtbot: QtBot, database_folder: Path
) -> None:
    watch = OpenWatch(database_folder)
    try:
        dialog = file_dialog(None, "Save PDF", name_filter="All files (*)", save=True)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.setDirectory(str(database_folder))  # the user browses to the folder
        model = dialog.findChild(QFileSystemModel)
        assert model is not None
        root = model.index(str(database_folder))
        qtbot.waitUntil(lambda: model.rowCount(root) == 3, timeout=10_000)
        # What the view shows for each file: its icon and its type.
        for row in range(model.rowCount(root)):
            index = model.index(row, 0, root)
            model.data(index, Qt.ItemDataRole.DecorationRole)
            model.type(index)
        qtbot.wait(300)  # the gatherer thread, if it were to open anything, has done so
        dialog.reject()
        assert not dialog.isVisible()
        opened = watch.opened()
    finally:
        watch.close()
    assert not opened & {"d.db", "d.db-wal", "d.db-shm"}, opened


def test_starts_in_documents_and_then_in_the_folder_used_last(
    qtbot: QtBot, database_folder: Path, tmp_path: Path
) -> None:
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    expected = Path(documents) if documents and Path(documents).is_dir() else Path.home()
    dialog = file_dialog(None, "Save PDF", name_filter="PDF (*.pdf)", save=True)
    qtbot.addWidget(dialog)
    assert Path(dialog.directory().absolutePath()) == expected
    assert Path(dialog.directory().absolutePath()) != Path.cwd()
    assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
    assert dialog.defaultSuffix() == "pdf"

    chosen = tmp_path / "reports"
    chosen.mkdir()
    remember_folder(chosen / "BM26-00042.pdf")
    assert start_folder() == chosen
    again = file_dialog(None, "Save PDF", name_filter="PDF (*.pdf)", save=True)
    qtbot.addWidget(again)
    assert Path(again.directory().absolutePath()) == chosen

    chosen.rmdir()  # a remembered folder that is gone: back to Documents
    assert start_folder() == expected


def test_every_file_dialog_of_the_app_goes_through_the_helper() -> None:
    """QFileDialog (and its static functions, which use the default icon provider) appears
    in `file_dialogs.py` only."""
    package = Path(__file__).resolve().parents[2] / "marrowpath"
    users = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "QFileDialog" in path.read_text(encoding="utf-8")
    )
    assert users == ["ui/file_dialogs.py"]
