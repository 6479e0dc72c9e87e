"""Python's garbage collector, run on the GUI thread only.

Why: the cyclic collector runs in whichever thread happens to allocate when a threshold
is crossed. When that is a task-runner thread and the garbage holds Qt objects (a closed
editor, a dialog), their C++ destructor runs there: `QObject::~QObject` takes Qt's
connection lock and then waits for the GIL, while the GUI thread holds the GIL and waits
for that lock in `QObject::connect`. The app froze like this once in the test suite
(seen with py-spy). qutebrowser answers the same way: automatic collection off, and a
timer on the GUI thread collects the generations whose thresholds were crossed.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects from a timer on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    @staticmethod
    def collect_due() -> int:
        """Collect the oldest generation whose threshold was crossed (as the automatic
        collector would); the number of objects collected."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return 0
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 1
            if counts[2] > thresholds[2]:
                generation = 2
        return gc.collect(generation)


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector for the application's lifetime (call on the GUI thread)."""
    return GuiThreadCollector(app)
