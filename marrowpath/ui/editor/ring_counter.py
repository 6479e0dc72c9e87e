"""F10: the ring sideroblast counter of the iron stain (`bench.md` section 1).

Why digits: `1` a ring sideroblast, `2` another erythroblast, so that a slip from the
differential counter's letters never adds a blast equivalent here, nor a ring
sideroblast there. It fills the iron section's ring sideroblasts and erythroblasts
counted (`marrowpath.case/2`) and clears a typed percentage: the percentage is derived
from the counts, so a typed one that disagrees cannot linger beside them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from marrowpath.domain.counter import Outcome, RingSideroblastCount
from marrowpath.domain.types import whole_count
from marrowpath.ui.editor.fields import Field
from marrowpath.ui.editor.key_capture import KeyCapture

RING = "aspirate.iron.ring_sideroblasts"
ERYTHROBLASTS = "aspirate.iron.erythroblasts_counted"
PERCENT = "aspirate.iron.ring_sideroblasts_pct"


def resumed(erythroblasts: object, percent: object, ring: object = None) -> RingSideroblastCount:
    """A count going on from the iron fields' values (the ring sideroblasts counted, or
    recovered from a typed percentage), or from zero."""
    total = whole_count(erythroblasts)
    if total is None:
        return RingSideroblastCount()
    counted = whole_count(ring)
    if counted is None:
        if not isinstance(percent, int | float) or isinstance(percent, bool):
            percent = 0
        counted = round(percent * total / 100)
    counted = min(total, max(0, counted))
    return RingSideroblastCount(ring=counted, other=total - counted)


class RingSideroblastCounter(KeyCapture):
    """While running: 1 and 2 count, Backspace/Ctrl+Z undo, F10 or Escape stop."""

    def __init__(
        self,
        owner: QWidget,
        *,
        field: Callable[[str], Field],
        say: Callable[[str], None],
    ) -> None:
        super().__init__(owner)
        self._field = field
        self._say = say
        self.count = RingSideroblastCount()

    def toggle(self) -> None:
        if self.active:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        erythroblasts = self._field(ERYTHROBLASTS)
        self.count = resumed(
            erythroblasts.value(), self._field(PERCENT).value(), self._field(RING).value()
        )
        erythroblasts.focus()
        self.start_capture()
        self._say(self._state("Counting ring sideroblasts"))

    def stop(self) -> None:
        self.stop_capture()
        self._say(self._state("Ring sideroblast counter stopped"))

    def handle(self, name: str) -> None:
        if name in ("f10", "escape"):
            self.stop()
            return
        if name in ("backspace", "ctrl+z"):
            outcome = self.count.undo()
        else:
            outcome = self.count.press(name.removeprefix("num "))
        if outcome is Outcome.NOTHING:
            self._say(
                self._state("Only 1 (ring sideroblast) and 2 (other erythroblast) count here")
            )
            return
        self._fill()
        self._say(self._state("Counting ring sideroblasts"))

    def _fill(self) -> None:
        for path, value in (
            (RING, self.count.ring if self.count.erythroblasts else None),
            (ERYTHROBLASTS, self.count.erythroblasts or None),
            (PERCENT, None),
        ):
            field = self._field(path)
            field.set_value(value)
            field.changed.emit()

    def _state(self, lead: str) -> str:
        c = self.count
        share = f" ({c.percent} %)" if c.percent is not None else ""
        return (
            f"{lead}: {c.ring} ring sideroblasts of {c.erythroblasts} erythroblasts{share}. "
            "1 ring sideroblast, 2 other erythroblast, Backspace takes back, F10 or Escape stops."
        )
