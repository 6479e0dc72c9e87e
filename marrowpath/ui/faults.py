"""The desktop app's fault handlers: Qt's messages and uncaught exceptions go to the log.

Why: an exception in a slot or a Qt warning otherwise goes to a console nobody sees. The
launcher installs these once the QApplication exists (never at import, never in tests
unless a test asks): Qt's messages are logged under "qt", and an uncaught exception is
logged with its traceback and told to the person in words, with where the details went.
"""

from __future__ import annotations

import logging
import sys
import threading
import types

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from marrowpath.loggers import logger
from marrowpath.logs import fault_words

log = logger("marrowpath.ui")
qt_log = logging.getLogger("qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's warnings and errors, as log records (category and source when Qt has them)."""
    category = context.category if context is not None and context.category else "default"
    where = f" ({context.file}:{context.line})" if context is not None and context.file else ""
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "[%s] %s%s", category, message, where)


class _ExceptHook:
    """Log, then tell the person (once at a time: a fault while telling is only logged)."""

    def __init__(self) -> None:
        self.previous = sys.excepthook
        self.telling = False

    def __call__(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: types.TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self.previous(kind, error, trace)
            return
        log.critical("uncaught exception", exc_info=(kind, error, trace))
        app = QApplication.instance()
        on_gui_thread = threading.current_thread() is threading.main_thread()
        if self.telling or not isinstance(app, QApplication) or not on_gui_thread:
            return
        self.telling = True
        try:
            QMessageBox.critical(app.activeWindow(), "MarrowPath", fault_words(error))
        finally:
            self.telling = False


def install() -> None:
    """Route Qt's messages and uncaught exceptions of the desktop app to the log."""
    qInstallMessageHandler(qt_message)
    sys.excepthook = _ExceptHook()
