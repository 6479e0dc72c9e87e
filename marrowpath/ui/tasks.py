"""One small helper to run database and PDF work off the GUI thread.

`TaskRunner.run(work, on_done=...)` runs `work()` on a pool thread and calls `on_done`
(or `on_error`) back on the GUI thread, like Anki's QueryOp. The work gets no widgets;
the callbacks may touch widgets freely. `busy_changed` drives the status bar's busy state.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from marrowpath.domain.errors import Refused

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Callbacks:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Exception], None] | None
    owner: QObject | None


class TaskRunner(QObject):
    """Runs callables on a thread pool; reports busy/idle.

    Results travel back through the runner's own signals, which the pool threads emit
    and Qt delivers queued to the GUI thread, where the callbacks run.

    Signals:
        busy_changed(bool) -- True when the first task starts, False when the last ends.
        failed(str) -- a task without its own error handler failed; the text for the user.
    """

    busy_changed = Signal(bool)
    failed = Signal(str)
    _finished = Signal(int, object, bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(4)
        self._callbacks: dict[int, _Callbacks] = {}
        self._next_id = 0
        self._finished.connect(self._on_finished)

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def run(
        self,
        work: Callable[[], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        owner: QObject | None = None,
    ) -> None:
        """Run `work()` on a pool thread; `on_done(result)` or `on_error(error)` follow on the
        GUI thread, unless `owner` (the widget that asked) was destroyed meanwhile."""
        self._next_id += 1
        task_id = self._next_id
        was_idle = not self._callbacks
        self._callbacks[task_id] = _Callbacks(on_done, on_error, owner)
        if was_idle:
            self.busy_changed.emit(True)
        finished = self._finished

        def execute() -> None:
            try:
                result: Any = work()
            except Exception as error:  # delivered to on_error on the GUI thread
                if not isinstance(error, Refused):
                    log.error("background task failed:\n%s", traceback.format_exc())
                finished.emit(task_id, error, False)
            else:
                finished.emit(task_id, result, True)

        self._pool.start(execute)

    @Slot(int, object, bool)
    def _on_finished(self, task_id: int, payload: Any, ok: bool) -> None:
        callbacks = self._callbacks.pop(task_id, None)
        if not self._callbacks:
            self.busy_changed.emit(False)
        if callbacks is None or (
            callbacks.owner is not None and not shiboken6.isValid(callbacks.owner)
        ):
            return  # the widget that asked is gone
        on_done, on_error = callbacks.on_done, callbacks.on_error
        if ok:
            if on_done is not None:
                on_done(payload)
        elif on_error is not None:
            on_error(payload)
        else:
            self.failed.emit(user_message(payload))

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
