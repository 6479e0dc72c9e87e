"""One small helper to run database and PDF work off the GUI thread.

`TaskRunner.run(work, on_done=...)` runs `work()` on a pool thread and calls `on_done`
(or `on_error`) back on the GUI thread, like Anki's QueryOp. The work gets no widgets;
the callbacks may touch widgets freely. `busy_changed` drives a busy state once work has
run for `BUSY_DELAY_MS` (shorter work should not make the screen flicker).

Why results travel through one long-lived relay and not through the runner's own
signals: a runner belongs to a window or a dialog and may be destroyed while its work
still runs (a tab closed, a test ending). A pool thread emitting a signal of a destroyed
object crashes or raises ("Signal source has been deleted"). The relay lives as long as
the process, so a pool thread can always emit; on the GUI thread it hands the result to
the runner if that still exists and drops it otherwise. The pool is shared for the same
reason: destroying a runner never has to wait for, or cut short, work in flight.

Why a pool thread never lets go of anything last: the work is usually a lambda that
holds a widget or a model, and its result or exception (whose traceback holds the
lambda's frame) may too. A Qt object whose last Python reference goes away in a pool
thread is destroyed there, which is unsafe and deadlocks (the pool thread holds Qt's
signal lock and waits for the GIL, the GUI thread holds the GIL and waits for the
lock). So the GUI side keeps its own reference to the work until the result is
delivered, and the pool thread drops its references to the work and the outcome before
it hands the outcome over; the last references always go on the GUI thread.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot

from marrowpath.domain.errors import Refused
from marrowpath.loggers import logger
from marrowpath.logs import fault_words

T = TypeVar("T")
log = logger(__name__)
BUSY_DELAY_MS = 100
POOL_THREADS = 4


@dataclass(frozen=True)
class _Callbacks:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Exception], None] | None
    owner: QObject | None
    work: Callable[[], Any]  # kept so that the GUI thread drops it last


class _InFlight:
    """How many works of one runner are still executing (for `TaskRunner.wait`).

    A plain Python object, so that pool threads can count down even after the runner's
    Qt object is gone."""

    def __init__(self) -> None:
        self._count = 0
        self._condition = threading.Condition()

    def add(self) -> None:
        with self._condition:
            self._count += 1

    def done(self) -> None:
        with self._condition:
            self._count -= 1
            self._condition.notify_all()

    def wait(self, seconds: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self._count == 0, timeout=seconds)


class _Relay(QObject):
    """Carries results from pool threads to the GUI thread; never destroyed.

    A pool thread puts the outcome of a task in `_outcomes` (under a lock) and emits only
    the task's number; the GUI thread takes the outcome out. `pending` maps each task to
    its runner (a strong Python reference: a runner without a parent lives until its
    last result is delivered). `pending` and the delivery are touched only on the GUI
    thread, where runners are destroyed, so checking that a runner still exists and
    calling it cannot race with its destruction.
    """

    finished = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[int, TaskRunner] = {}
        self.next_id = 0
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(POOL_THREADS)
        self._outcomes: dict[int, tuple[Any, bool]] = {}
        self._lock = threading.Lock()
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def hand_over(self, task_id: int, payload: Any, ok: bool) -> None:
        """On a pool thread: the outcome of a task, for the GUI thread to take."""
        with self._lock:
            self._outcomes[task_id] = (payload, ok)

    @Slot(int)
    def _deliver(self, task_id: int) -> None:
        with self._lock:
            payload, ok = self._outcomes.pop(task_id)
        runner = self.pending.pop(task_id, None)
        if runner is not None and shiboken6.isValid(runner):
            runner._deliver(task_id, payload, ok)


_relay: _Relay | None = None


def _the_relay() -> _Relay:
    """The relay, made on first use by a runner (on the GUI thread, where it must live)."""
    global _relay
    if _relay is None or not shiboken6.isValid(_relay):
        _relay = _Relay()
    return _relay


class TaskRunner(QObject):
    """Runs callables on a thread pool; reports busy/idle.

    Signals:
        busy_changed(bool) -- True once work has been running for BUSY_DELAY_MS, False
            when the last work has ended (never True for work shorter than that).
        failed(str) -- a task without its own error handler failed; the text for the user.
    """

    busy_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _the_relay()
        self._callbacks: dict[int, _Callbacks] = {}
        self._in_flight = _InFlight()
        self._busy_shown = False
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)

    @property
    def busy(self) -> bool:
        """Whether any result is still to come (at once, unlike `busy_changed`)."""
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
        GUI thread, unless this runner or `owner` (the widget that asked) was destroyed
        meanwhile: then the result is dropped."""
        relay = self._relay
        relay.next_id += 1
        task_id = relay.next_id
        if not self._callbacks:
            self._busy_timer.start()
        self._callbacks[task_id] = _Callbacks(on_done, on_error, owner, work)
        relay.pending[task_id] = self
        in_flight = self._in_flight
        in_flight.add()
        box = [work]  # the pool thread's only way to the work: emptied as it starts

        def execute() -> None:
            call = box.pop()
            payload: Any
            try:
                payload, ok = call(), True
            except Exception as error:  # delivered to on_error on the GUI thread
                if not isinstance(error, Refused):
                    log.exception("background task failed")
                payload, ok = error, False
            call = None  # type: ignore[assignment]  # let go before handing over
            relay.hand_over(task_id, payload, ok)
            payload = None
            in_flight.done()
            relay.finished.emit(task_id)

        relay.pool.start(execute)

    def _deliver(self, task_id: int, payload: Any, ok: bool) -> None:
        """On the GUI thread: the result of one task (called by the relay)."""
        callbacks = self._callbacks.pop(task_id, None)
        if not self._callbacks:
            self._busy_timer.stop()
            if self._busy_shown:
                self._busy_shown = False
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

    def _show_busy(self) -> None:
        if self._callbacks and not self._busy_shown:
            self._busy_shown = True
            self.busy_changed.emit(True)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until this runner's work has finished executing (tests and shutdown
        only); the callbacks follow when the event loop runs."""
        return self._in_flight.wait(msecs / 1000)


def user_message(error: BaseException) -> str:
    """What a person reads: a refusal as is; anything else without exception jargon."""
    if isinstance(error, Refused):
        return str(error)
    return fault_words(error)


def collect_garbage() -> None:
    """Collect Python's reference cycles now, on the GUI thread.

    Called when a tab closes: a closed editor leaves cycles (its signals connected to
    lambdas that hold it) that hold Qt objects. Left to the automatic collector, they could
    be collected on a pool thread that happens to allocate, and a Qt object destroyed there
    can deadlock against the GUI thread (see the module's docstring). Collecting here
    leaves nothing of the kind for a pool thread to find."""
    global _collection_scheduled
    _collection_scheduled = False
    gc.collect()


_collection_scheduled = False


def collect_garbage_soon() -> None:
    """`collect_garbage` once the event loop next runs, once however many tabs closed
    meanwhile: closing ten previews at once costs one collection, not ten."""
    global _collection_scheduled
    if not _collection_scheduled:
        _collection_scheduled = True
        QTimer.singleShot(0, collect_garbage)


def freeze_start_up_objects() -> None:
    """Exempt what start-up made (the imported libraries, the services, the window) from
    every later collection.

    Why: a full collection walks every object the process holds, about 150,000 after
    start-up, and cost 75-130 ms of the GUI thread at each closed tab, against under 1 ms
    for what the session made since (measured; `gc.freeze`). Those objects live as long
    as the process anyway; the garbage of closed tabs is still collected. No collection
    first: it would hold the window's first paint for as long, to free a few start-up
    leftovers."""
    gc.freeze()
