"""The whole case form: builds the document as typed and routes problems back to fields.

Why here and not in the editor: reading the widgets into a JSON document, loading a
document into the widgets and finding the widget behind a path such as
`stains[1].percent` or `aspirate.differential.blasts` are one concern (the binding)
that the tests and the editor both use; the editor only decides when to do them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from marrowpath.domain.case import FORMAT
from marrowpath.domain.draft import put_value, value_at
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.errors import Problem
from marrowpath.domain.settings import LabSettings
from marrowpath.ui.editor.differential import DifferentialPanel, category_name
from marrowpath.ui.editor.fields import (
    AccessionField,
    Field,
    LinesField,
    TextField,
)
from marrowpath.ui.editor.item_table import ItemTable
from marrowpath.ui.editor.layout import Section
from marrowpath.ui.editor.sections import SecondCountControls, build_sections

# objects with no widget of their own, named as a person looks for them
_OBJECT_WORDS = {
    "aspirate.second_count.differential": "Second count, a count for at least one cell type",
}
# `[1].percent`, and an inner list's `[0].measurements[2].value` (its key is the rest)
_INDEXED = re.compile(r"^\[(\d+)\](?:\.(\w+(?:\[\d+\](?:\.\w+)?)?))?")
Part = Field | ItemTable | DifferentialPanel  # one value of the document and its input


@dataclass(frozen=True)
class Target:
    """Where a path lands: a field, a table cell or a differential category."""

    field: Field | None = None
    table: ItemTable | None = None
    differential: DifferentialPanel | None = None
    index: int | None = None
    key: str | None = None


class CaseForm(QWidget):
    """Every section of the case, stacked in report order.

    Sections are filled in order and on first need: the first at once, the others one
    per turn of the event loop after `finish_later` (so an opened case shows before the
    whole form exists), or all at once (`complete_now`) by anything that needs the whole form:
    `fields`, `document()`, routing a path. A section filled late gets what the form was
    told meanwhile: the loaded document, whether it is editable, the lab settings.

    Signals:
        changed() -- the user changed any value.
        section_built(object) -- a section's rows were made (the editor orders Tab).
    """

    changed = Signal()
    section_built = Signal(object)
    _next = Signal()

    def __init__(
        self, settings: LabSettings, parent: QWidget | None = None, *, eager_sections: int = 1
    ) -> None:
        super().__init__(parent)
        self._built = build_sections(settings)
        self.sections: list[Section] = self._built.sections
        self.live = self._built.live
        self._fields: list[Field] = []
        self._tables: list[ItemTable] = []
        self._by_path: dict[str, Field] = {}
        self._differential: DifferentialPanel | None = None
        self._source: dict[str, Any] | None = None
        self._pristine: dict[object, Any] = {}
        self._editable: bool | None = None
        self._complete = False
        self._paused = False
        self._waiting: list[Callable[[], object]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(12)
        for section in self.sections:
            section.hide()  # shown once filled: no empty boxes while the rest is made
            self._layout.addWidget(section)
        self._layout.addStretch(1)
        # Queued: each next section waits until the events posted meanwhile (input, layout,
        # painting) have run, so the form answers while it is being made.
        self._next.connect(self._build_next, Qt.ConnectionType.QueuedConnection)
        self._build_until(eager_sections)

    def add_section(self, section: Section) -> None:
        """A part after the document's sections (the issued versions)."""
        self.sections.append(section)
        self._layout.insertWidget(self._layout.count() - 1, section)
        section.setHidden(not self._complete)

    # ------------------------------------------------------------ building

    @property
    def complete(self) -> bool:
        """Whether every section is filled."""
        return self._complete

    def finish_later(self) -> None:
        """Fill the remaining sections one per turn of the event loop."""
        if not self._complete:
            self._next.emit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._paused:
            self._paused = False
            self.finish_later()

    def when_complete(self, callback: Callable[[], object]) -> None:
        """Call back once every section is filled (now, if they are)."""
        if self._complete:
            callback()
        else:
            self._waiting.append(callback)

    def build_through(self, section: Section) -> None:
        """Fill a section and those above it (in order, so that Tab follows the form)."""
        self._build_until(self.sections.index(section) + 1)
        if all(s.built for s in self.sections):
            self.complete_now()

    def complete_now(self) -> None:
        """Fill every section now (anything that needs the whole form calls this)."""
        self._build_until(len(self.sections))
        if self._complete:
            return
        self._complete = True
        for section in self.sections:
            section.show()
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback()

    def _build_next(self) -> None:
        if not self.isVisible():  # a tab in the background, or closed: go on when shown
            self._paused = True
            return
        for section in self.sections:
            if not section.built:
                self.build_through(section)
                self.finish_later()
                return
        self.complete_now()

    def _build_until(self, count: int) -> None:
        for section in self.sections[:count]:
            if section.build():
                self._adopt(section)

    def _adopt(self, section: Section) -> None:
        """Wire a newly filled section and give it the form's state."""
        differential = self._built.differential
        if self._differential is None and differential is not None:
            self._differential = differential
            differential.changed.connect(self.changed)
        for field in section.fields:
            field.changed.connect(self.changed)
            self._by_path[field.path] = field
        for table in section.tables:
            table.changed.connect(self.changed)
        self._fields.extend(section.fields)
        self._tables.extend(section.tables)
        parts = self._parts_of(section)
        if self._editable is not None:
            for part in parts:
                part.set_editable(self._editable)
        self._show_source(parts)
        for first, second in itertools.pairwise(section.chain):
            QWidget.setTabOrder(first, second)
        section.show()
        self.section_built.emit(section)

    def _parts_of(self, section: Section) -> list[Part]:
        parts: list[Part] = [*section.fields, *section.tables]
        if self._differential is not None and self._differential.table in section.chain:
            parts.append(self._differential)
        return parts

    def _all_parts(self) -> list[Part]:
        """Every value of the form in document order (fields, lists, the differential)."""
        self.complete_now()
        return [*self._fields, *self._tables, self.differential]

    # ------------------------------------------------------------ parts

    @property
    def fields(self) -> list[Field]:
        self.complete_now()
        return self._fields

    @property
    def tables(self) -> list[ItemTable]:
        self.complete_now()
        return self._tables

    @property
    def by_path(self) -> dict[str, Field]:
        self.complete_now()
        return self._by_path

    @property
    def accession(self) -> AccessionField:
        self.build_through(self.sections[0])
        assert self._built.accession is not None
        return self._built.accession

    @property
    def mrn(self) -> TextField:
        self.build_through(self.sections[0])
        assert self._built.mrn is not None
        return self._built.mrn

    @property
    def differential(self) -> DifferentialPanel:
        if self._differential is None:
            self.build_through(self.section("aspirate"))
        assert self._differential is not None
        return self._differential

    @property
    def second_count(self) -> SecondCountControls:
        """The second count's counter button and state line (`bench.md` section 1)."""
        self.build_through(self.section("aspirate"))
        assert self._built.second_count is not None
        return self._built.second_count

    def field(self, path: str) -> Field:
        return self.by_path[path]

    def table(self, path: str) -> ItemTable:
        return next(t for t in self.tables if t.path == path)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    # ------------------------------------------------------------ document

    @property
    def source(self) -> dict[str, Any] | None:
        """The document last loaded (what the form shows while nothing is typed)."""
        return self._source

    def document(self) -> dict[str, Any]:
        """The document as typed: absent fields left out, invalid input kept as typed."""
        return self._assemble({part: part.value() for part in self._all_parts()})

    def pristine(self) -> dict[str, Any]:
        """The document as the form read it back right after the last `load` (the
        baseline of unsaved changes, even when typing began before the form was whole)."""
        parts = self._all_parts()
        return self._assemble({part: self._pristine.get(part) for part in parts})

    @staticmethod
    def _assemble(values: dict[Part, Any]) -> dict[str, Any]:
        document: dict[str, Any] = {"format": FORMAT}
        for part, value in values.items():
            if value is not None:
                put_value(document, part.path, value)
        patient = document.get("patient")
        if isinstance(patient, dict) and "given_names" not in patient:
            patient["given_names"] = ""  # may be empty: people with one name
        return document

    def load(self, document: dict[str, Any]) -> None:
        """Show a document (signals are not emitted: loading is not a change); sections
        filled later show it when they are made."""
        self._source = document
        self._pristine = {}
        self._show_source(self._built_parts())

    def _built_parts(self) -> list[Part]:
        parts: list[Part] = [*self._fields, *self._tables]
        if self._differential is not None:
            parts.append(self._differential)
        return parts

    def _show_source(self, parts: list[Part]) -> None:
        """Put the loaded document into these parts and note what they read back."""
        if self._source is None:
            return
        for part in parts:
            part.set_value(value_at(self._source, part.path))
            self._pristine[part] = part.value()

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        for part in self._built_parts():
            part.set_editable(editable)

    def set_people(self, people: dict[str, str]) -> None:
        """Display names by username of the case being shown (before `load`): the form
        shows people by name, the document keeps their usernames."""
        self._built.people.clear()
        self._built.people.update(people)

    def set_settings(self, settings: LabSettings) -> None:
        self._built.settings = settings
        if self._differential is not None:
            self._differential.set_settings(settings)

    # ------------------------------------------------------------ paths

    def route(self, path: str) -> Target | None:
        """The widget behind a problem or missing path, if there is one."""
        if path in self.by_path:
            return Target(field=self.by_path[path])
        grid = self.differential
        if path == grid.path or path.startswith(grid.path + "."):
            return Target(differential=grid, key=path[len(grid.path) + 1 :] or None)
        for table in self.tables:
            if path == table.path:
                return Target(table=table)
            if path.startswith(table.path + "["):
                match = _INDEXED.match(path[len(table.path) :])
                if match:
                    return Target(table=table, index=int(match.group(1)), key=match.group(2))
        for field in self.fields:
            if isinstance(field, LinesField) and path.startswith(field.path + "["):
                match = _INDEXED.match(path[len(field.path) :])
                return Target(field=field, index=int(match.group(1)) if match else None)
        return None

    def order(self, path: str) -> int:
        """Where a path's widget sits in the form (problems are listed top to bottom)."""
        target = self.route(path)
        if target is not None:
            owner = target.field or target.table or target.differential
            for section in self.sections:
                for position, widget in enumerate(section.chain):
                    if owner is not None and _owns(owner, widget):
                        return self.sections.index(section) * 1000 + position
        return 10**6

    def title(self, path: str) -> str:
        """Where a person finds a path: "Core › Fibrosis grade", "Stains › row 2 › %"."""
        target = self.route(path)
        if target is not None:
            if target.field is not None:
                if target.index is not None:
                    return f"{target.field.title}, line {target.index + 1}"
                return target.field.title
            if target.table is not None:
                return target.table.title(target.index, target.key)
            if target.differential is not None:
                if target.key:
                    return f"{target.differential.title} › {category_name_or(target.key)}"
                return target.differential.title
        section = self._section_holding(path)
        words = _OBJECT_WORDS.get(path) or path.replace("_", " ")
        if section is None:
            return words
        return f"{section.title()} › {words}"

    def _section_holding(self, path: str) -> Section | None:
        """The section whose inputs hold the top-level part of the document a path is in
        (`received_at` is typed in the procedure's): where a person looks for a path that
        has no input of its own."""
        top = _top(path)
        self.complete_now()
        for section in self.sections:
            if any(_top(part.path) == top for part in self._parts_of(section)):
                return section
        return None

    def show_problems(self, problems: list[Problem]) -> list[Problem]:
        """Outline and explain each problem at its field; returns those with no field."""
        by_field: dict[Field, list[str]] = {}
        by_table: dict[ItemTable, list[tuple[int | None, str | None, str]]] = {}
        in_differential: list[tuple[str | None, str]] = []
        unplaced: list[Problem] = []
        for problem in problems:
            target = self.route(problem.path)
            if target is None:
                unplaced.append(problem)
            elif target.field is not None:
                prefix = f"line {target.index + 1}: " if target.index is not None else ""
                by_field.setdefault(target.field, []).append(prefix + problem.message)
            elif target.table is not None:
                by_table.setdefault(target.table, []).append(
                    (target.index, target.key, problem.message)
                )
            elif target.differential is not None:
                in_differential.append((target.key, problem.message))
        for field in self.fields:
            messages = by_field.get(field)
            field.show_problem("; ".join(messages) if messages else None)
        for table in self.tables:
            table.show_problems(by_table.get(table, []))
        self.differential.show_problems(in_differential)
        return unplaced

    def missing_entries(self, missing: list[str]) -> list[tuple[str, str]]:
        """Missing paths as (what to fill in, path); a missing object lists its required
        fields, so "procedure" reads as the four fields a person has to fill."""
        entries: list[tuple[str, str]] = []
        for path in missing:
            if path == "aspirate":
                entries.append(("Aspirate or core biopsy: at least one of them", "aspirate"))
                continue
            if self.route(path) is not None:
                entries.append((self.title(path), path))
                continue
            children = [f for f in self.fields if f.required and f.path.rsplit(".", 1)[0] == path]
            if children:
                entries.extend((child.title, child.path) for child in children)
            else:
                entries.append((self.title(path), path))
        unique: list[tuple[str, str]] = []
        for entry in entries:
            if entry not in unique:
                unique.append(entry)
        return unique

    def focus(self, path: str) -> QWidget | None:
        """Put the cursor where a path is typed; returns the widget to scroll to."""
        target = self.route(path)
        if target is None:
            candidates = [f for f in self.fields if f.path.startswith(path + ".")]
            if candidates:
                candidates[0].focus()
                return candidates[0].container
            return self._section_holding(path)
        if target.field is not None:
            target.field.focus()
            return target.field.container
        if target.table is not None:
            target.table.focus_cell(target.index, target.key)
            return target.table
        if target.differential is not None:
            target.differential.focus_category(target.key)
            return target.differential
        return None


def _top(path: str) -> str:
    """The top-level name of a path ("stains" of `stains[1].percent`)."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def category_name_or(key: str) -> str:
    try:
        return category_name(DifferentialCategory(key))
    except ValueError:
        return key


def _owns(owner: object, widget: object) -> bool:
    """Whether a chain widget belongs to a field, table or the differential."""
    if isinstance(owner, Field):
        return widget is owner.input or widget in getattr(owner, "boxes", {}).values()
    if isinstance(owner, ItemTable):
        return widget is owner.table
    if isinstance(owner, DifferentialPanel):
        return widget is owner.table
    return False
