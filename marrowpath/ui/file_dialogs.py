"""File dialogs that never open the files they list, starting in Documents.

Why: to show a type and an icon, Qt's file dialog (and the platform's) reads the first
bytes of files whose names say nothing, such as a SQLite database's `-wal` and `-shm`
files. On Linux and macOS, closing any descriptor of a file releases every POSIX lock
the process holds on it, so merely listing the database's folder silently drops the
app's own SQLite locks: another process may then checkpoint and delete the WAL the app
still writes into, and saved work is lost (issue 9). So every file dialog of the app:

* is Qt's own dialog (a platform dialog would sniff the files itself), with an icon
  provider that answers from the name alone (`NamesOnlyIconProvider`);
* starts in the folder used last (remembered in QSettings) or the user's Documents
  folder, never the working directory, which may hold the database.

Use `save_file_name` / `open_file_name` instead of the static QFileDialog functions.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileInfo, QSettings, QStandardPaths
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QStyle, QWidget

LAST_FOLDER_KEY = "files/last-folder"

# Descriptions of the suffixes the app writes or reads; anything else is a "File".
_KINDS = {
    "pdf": "PDF document",
    "json": "JSON file",
    "csv": "CSV file",
    "hl7": "HL7 message",
    "db": "Database file",
}


class NamesOnlyIconProvider(QAbstractFileIconProvider):
    """Icons and type names from the file name and kind alone; never the contents.

    Qt calls it from the file dialog's information-gathering thread, so the icons are
    made once, on the GUI thread, and only handed out there.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setOptions(QAbstractFileIconProvider.Option.DontUseCustomDirectoryIcons)
        style = QApplication.style()
        self._folder = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._file = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self._drive = style.standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)
        self._computer = style.standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)

    def icon(self, what: object) -> QIcon:
        """Both overloads: a `QFileInfo` or an `IconType`."""
        if isinstance(what, QFileInfo):
            if what.isRoot():
                return self._drive
            return self._folder if what.isDir() else self._file
        if what == QAbstractFileIconProvider.IconType.Computer:
            return self._computer
        if what in (QAbstractFileIconProvider.IconType.Drive,):
            return self._drive
        if what == QAbstractFileIconProvider.IconType.File:
            return self._file
        return self._folder

    def type(self, info: QFileInfo) -> str:
        if info.isRoot():
            return "Drive"
        if info.isDir():
            return "Folder"
        return _KINDS.get(info.suffix().lower(), "File")


def start_folder() -> Path:
    """The folder used last, if it still exists; else Documents; else the home folder."""
    remembered = QSettings("MarrowPath", "MarrowPath").value(LAST_FOLDER_KEY)
    if isinstance(remembered, str) and remembered and Path(remembered).is_dir():
        return Path(remembered)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


def remember_folder(path: Path) -> None:
    folder = path if path.is_dir() else path.parent
    QSettings("MarrowPath", "MarrowPath").setValue(LAST_FOLDER_KEY, str(folder))


def file_dialog(
    parent: QWidget | None,
    title: str,
    *,
    name_filter: str,
    suggested_name: str = "",
    save: bool,
) -> QFileDialog:
    """A file dialog configured as the module docstring says (not yet shown)."""
    dialog = QFileDialog(parent, title, str(start_folder()), name_filter)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setOption(QFileDialog.Option.DontUseCustomDirectoryIcons, True)
    provider = NamesOnlyIconProvider()
    dialog.setIconProvider(provider)
    dialog._names_only_provider = provider  # type: ignore[attr-defined]  # keep it alive
    if save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        suffix = name_filter.partition("*.")[2].partition(")")[0].split()[0:1]
        if suffix:
            dialog.setDefaultSuffix(suffix[0])
    else:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    if suggested_name:
        dialog.selectFile(suggested_name)
    return dialog


def _ask(dialog: QFileDialog) -> Path | None:
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    path = Path(dialog.selectedFiles()[0])
    remember_folder(path.parent)
    return path


def save_file_name(
    parent: QWidget | None, title: str, suggested_name: str, name_filter: str
) -> Path | None:
    """Ask where to save (the file is not written here); None when cancelled."""
    dialog = file_dialog(
        parent, title, name_filter=name_filter, suggested_name=suggested_name, save=True
    )
    return _ask(dialog)


def open_file_name(parent: QWidget | None, title: str, name_filter: str) -> Path | None:
    """Ask for an existing file to read; None when cancelled."""
    return _ask(file_dialog(parent, title, name_filter=name_filter, save=False))
