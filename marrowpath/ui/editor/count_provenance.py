"""How the differential was obtained, kept in the document (`aspirate.count`, `bench.md` 1).

Why a module of its own: the grid does not know who changed it, and the counter does not
know the form. This keeps the provenance fields in step with the grid's changes: a count
finished with the counter (its target reached, or stopped) records method `counter`,
who counted, when, the target and the smudge cells; a count typed in by hand records
`typed` and drops the counter's times (they no longer describe these numbers); an
emptied grid has no provenance. A loaded document is shown as it was stored, so an
imported count keeps what it had until someone changes the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from marrowpath.domain.enums import CountMethod, DifferentialCategory
from marrowpath.domain.types import whole_count
from marrowpath.ui.editor.counter import CountRecord, DifferentialCounter
from marrowpath.ui.editor.fields import Field
from marrowpath.ui.editor.form import CaseForm

COUNT = "aspirate.count"
SECOND = "aspirate.second_count"
KEYS = ("method", "counted_by", "started_at", "finished_at", "target", "smudge_cells")


def iso(moment: datetime) -> str:
    """A time as the document stores it: local, to the second, with its offset."""
    return moment.astimezone().isoformat(timespec="seconds")


class CountProvenanceWriter(QObject):
    """Writes `aspirate.count` into the form's fields as the grid's numbers come in."""

    def __init__(
        self, form: CaseForm, counter: DifferentialCounter, *, username: Callable[[], str]
    ) -> None:
        super().__init__(counter)
        self._form = form
        self._counter = counter
        self._username = username
        form.differential.changed.connect(self._grid_changed)
        counter.finished.connect(self._counted)

    def value(self, key: str) -> Any:
        return self._form.field(f"{COUNT}.{key}").value()

    def recorded_smudge(self) -> int:
        """The smudge cells the document already records (a count carried on adds to
        them)."""
        smudge = self.value("smudge_cells")
        return smudge if isinstance(smudge, int) and not isinstance(smudge, bool) else 0

    def _grid_changed(self) -> None:
        if self._counter.running:
            return  # the counter's own keys: recorded when the count finishes
        if self._form.differential.value() is None:
            self._set(dict.fromkeys(KEYS))
            return
        self._set(
            {
                "method": CountMethod.TYPED.value,
                "counted_by": self._username(),
                "started_at": None,
                "finished_at": None,
            }
        )

    def _counted(self, record: CountRecord) -> None:
        if record.second:
            self._second_counted(record)
            return
        started = iso(record.started_at)
        if self.value("method") == CountMethod.COUNTER.value and self.value("started_at"):
            started = self.value("started_at")  # counting on: the count began earlier
        self._set(
            {
                "method": CountMethod.COUNTER.value,
                "counted_by": record.counted_by,
                "started_at": started,
                "finished_at": iso(record.finished_at or record.started_at),
                "target": record.target,
                "smudge_cells": record.smudge_cells or None,
            }
        )

    def _second_counted(self, record: CountRecord) -> None:
        """A second count made with the counter: its method, and who counted when no
        one is named yet (the observer may count at a colleague's workstation)."""
        values: dict[str, Any] = {"method": CountMethod.COUNTER.value}
        if not self._form.field(f"{SECOND}.counted_by").value():
            values["counted_by"] = record.counted_by
        self._set(values, under=SECOND)

    def _set(self, values: dict[str, Any], *, under: str = COUNT) -> None:
        """Show the values; one change signal when any of them differs (typing on in a
        typed count changes nothing here)."""
        changed = None
        for key, value in values.items():
            field = self._form.field(f"{under}.{key}")
            if field.value() != value:
                field.set_value(value)
                changed = field
        if changed is not None:
            changed.changed.emit()


class SecondCountFields:
    """The second count's fields as the counter's target ("Count again as second
    observer"): each key shows the category's new number and is a change of the form,
    so the concordance follows the keys as the grid's summary does."""

    def __init__(self, form: CaseForm, state: QLabel) -> None:
        self._form = form
        self._state = state

    def _field(self, cell: str) -> Field:
        return self._form.field(f"{SECOND}.differential.{cell}")

    def counts(self) -> dict[str, int]:
        """The whole counts >= 0 already typed (counting adds to them)."""
        counts: dict[str, int] = {}
        for category in DifferentialCategory:
            value = whole_count(self._field(category.value).value())
            if value is not None:
                counts[category.value] = value
        return counts

    def show(self, cell: str, number: int) -> None:
        field = self._field(cell)
        field.set_value(number or None)
        field.changed.emit()

    def clear(self) -> None:
        """Every category of the second count emptied (one change of the form)."""
        for category in DifferentialCategory:
            self._field(category.value).set_value(None)
        self._field(DifferentialCategory.BLASTS.value).changed.emit()

    def say(self, text: str) -> None:
        self._state.setText(text)
