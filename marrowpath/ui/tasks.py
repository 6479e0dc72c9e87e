"""One small helper to run database and PDF work off the GUI thread.

`TaskRunner.run(work, on_done=...)` runs `work()` on a pool thread and calls `on_done`
(or `on_error`) back on the GUI thread, like Anki's QueryOp. The work gets no widgets;
the callbacks may touch widgets freely. `busy_changed` drives the status bar's busy state.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from marrowpath.domain.errors import Refused

T = TypeVar("T")
log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives in the GUI thread; its signals carry results back there (queued)."""

    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as error:  # delivered to on_error on the GUI thread
            if not isinstance(error, Refused):
                log.error("background task failed:\n%s", traceback.format_exc())
            self._relay.failed.emit(error)
        else:
            self._relay.done.emit(result)


class TaskRunner(QObject):
    """Runs callables on a thread pool; reports busy/idle.

    Signals:
        busy_changed(bool) -- True when the first task starts, False when the last ends.
        failed(str) -- a task without its own error handler failed; the text for the user.
    """

    busy_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(4)
        self._relays: set[_Relay] = set()

    @property
    def busy(self) -> bool:
        return bool(self._relays)

    def run(
        self,
        work: Callable[[], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        relay = _Relay(self)
        was_idle = not self._relays
        self._relays.add(relay)

        @Slot(object)
        def finished(result: Any) -> None:
            self._finish(relay)
            if on_done is not None:
                on_done(result)

        @Slot(object)
        def failed(error: Any) -> None:
            self._finish(relay)
            if on_error is not None:
                on_error(error)
            else:
                self.failed.emit(user_message(error))

        relay.done.connect(finished)
        relay.failed.connect(failed)
        if was_idle:
            self.busy_changed.emit(True)
        self._pool.start(_Job(work, relay))

    def _finish(self, relay: _Relay) -> None:
        self._relays.discard(relay)
        relay.deleteLater()
        if not self._relays:
            self.busy_changed.emit(False)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (tests and shutdown only)."""
        return self._pool.waitForDone(msecs)


def user_message(error: BaseException) -> str:
    """What a person reads: a refusal as is; anything else without exception jargon."""
    if isinstance(error, Refused):
        return str(error)
    return (
        "Something went wrong and nothing was changed. Please try again; if it keeps "
        f"happening, tell your lab's IT support ({type(error).__name__})."
    )
