"""Faults are written down: one rotating log file per user, free of patient data.

Why: a fault that is only shown as "something went wrong" cannot be fixed, and a
traceback on a pathologist's screen helps nobody. Every caught internal fault is logged
here with its traceback; the person reads words and where the details went.

Why no patient data: the log is read by IT staff and travels in support tickets. Our own
log lines name cases by accession number only, and exception messages (which may carry
a patient's name, an MRN or a database row) are withheld unless the exception's kind
describes code rather than data (`PhiSafeFormatter`).

Logging is configured by the entry points (`cli.run`, the desktop launcher) through
`setup()`, never at import time and never in tests unless a test asks for it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import types
from pathlib import Path

LOG_DIR_ENV = "MARROWPATH_LOG_DIR"
LOG_FILE_NAME = "marrowpath.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d %(threadName)s] %(message)s"

# Exceptions whose messages describe code (a missing attribute, a wrong type), not data.
_CODE_FAULTS: tuple[type[BaseException], ...] = (
    AttributeError,
    NameError,
    ImportError,
    NotImplementedError,
    RecursionError,
    ZeroDivisionError,
    MemoryError,
    TimeoutError,
    AssertionError,
)
WITHHELD = "(message withheld: it may contain patient data)"

_handler: logging.Handler | None = None


def default_log_dir() -> Path:
    """`MARROWPATH_LOG_DIR`, else the platform's per-user log folder."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_log_dir

    return Path(user_log_dir("MarrowPath", appauthor=False))


def setup(log_dir: Path | None = None, *, level: int = logging.INFO) -> Path:
    """Send the program's log records to a rotating file; returns its path.

    Calling it again changes nothing (the first folder stays). The folder is private to
    the user (0700) and so is the file (0600) on POSIX systems.
    """
    global _handler
    if _handler is not None:
        return log_file() or Path(LOG_FILE_NAME)
    folder = log_dir or default_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)
    path = folder / LOG_FILE_NAME
    previous = os.umask(0o077)
    try:
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=False
        )
    finally:
        os.umask(previous)
    handler.setFormatter(PhiSafeFormatter(FORMAT))
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _handler = handler
    return path


def teardown() -> None:
    """Stop writing to the log file (tests that set logging up call this)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


def log_file() -> Path | None:
    """The file faults are written to, or None when logging was not set up."""
    if isinstance(_handler, logging.handlers.RotatingFileHandler):
        return Path(_handler.baseFilename)
    return None


def where_details_went() -> str:
    """ "Details were saved to PATH." when there is a log file, else nothing."""
    path = log_file()
    return f"Details were saved to {path}." if path is not None else ""


def fault_words(error: BaseException) -> str:
    """What a person reads about a fault of the program: words, the kind of fault for
    IT support, and where the details are. Never the exception's message."""
    text = (
        "Something went wrong and nothing was changed. Please try again; if it keeps "
        f"happening, tell your lab's IT support ({type(error).__name__})."
    )
    where = where_details_went()
    return f"{text} {where}" if where else text


def install_excepthooks() -> None:
    """Log uncaught exceptions of the main thread and of plain Python threads."""
    previous = sys.excepthook

    def hook(
        kind: type[BaseException],
        error: BaseException,
        trace: types.TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, error, trace)
            return
        logging.getLogger("marrowpath").critical(
            "uncaught exception", exc_info=(kind, error, trace)
        )

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        logging.getLogger("marrowpath").critical(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = hook
    threading.excepthook = thread_hook


# ---------------------------------------------------------------------- formatting


class PhiSafeFormatter(logging.Formatter):
    """Tracebacks with every frame (file, line, function, code) but without the
    exception messages that may carry patient data (see `safe_message`)."""

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached its own rendering (with the messages) on the
        # record; this one always renders its own.
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: object) -> str:
        if not isinstance(ei, tuple) or len(ei) != 3 or ei[1] is None:
            return super().formatException(ei)  # type: ignore[arg-type]
        return "".join(safe_traceback(ei[1])).rstrip("\n")


def safe_traceback(error: BaseException) -> list[str]:
    """Lines like `traceback.format_exception`, with each message made safe."""
    import traceback

    lines: list[str] = []
    for exception, then in reversed(_chain(error)):
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(exception.__traceback__))
        lines.append(f"{_qualified(type(exception))}: {safe_message(exception)}\n")
        if then:
            lines.append(f"\n{then}\n\n")
    return lines


def safe_message(error: BaseException) -> str:
    """The exception's message when its kind describes code; the first line of a
    database driver's message (never the SQL parameters or the row it quotes); the
    error number and reason of an OSError (never the file name); else WITHHELD."""
    if isinstance(error, _CODE_FAULTS):
        return str(error)
    if isinstance(error, OSError):
        return f"[Errno {error.errno}] {error.strerror}" if error.strerror else WITHHELD
    original = getattr(error, "orig", None)  # SQLAlchemy wraps the driver's error
    if isinstance(original, BaseException):
        first = str(original).strip().splitlines()[:1]
        return f"{_qualified(type(original))}: {first[0]}" if first else WITHHELD
    return WITHHELD


def _chain(error: BaseException) -> list[tuple[BaseException, str]]:
    """The exception and its causes, newest first, each with the sentence Python prints
    after it (before the newer one)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    then = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, then))
        if current.__cause__ is not None:
            then = "The above exception was the direct cause of the following exception:"
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            then = "During handling of the above exception, another exception occurred:"
            current = current.__context__
        else:
            current = None
    return chain


def _qualified(kind: type[BaseException]) -> str:
    module = kind.__module__
    return (
        kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    )
