"""The whole case form: builds the document as typed and routes problems back to fields.

Why here and not in the editor: reading the widgets into a JSON document, loading a
document into the widgets and finding the widget behind a path such as
`stains[1].percent` or `aspirate.differential.blasts` are one concern (the binding)
that the tests and the editor both use; the editor only decides when to do them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from marrowpath.domain.case import FORMAT
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.errors import Problem
from marrowpath.domain.settings import LabSettings
from marrowpath.ui.editor.differential import DifferentialPanel, category_name
from marrowpath.ui.editor.fields import Field, LinesField, get_path, set_path
from marrowpath.ui.editor.item_table import ItemTable
from marrowpath.ui.editor.layout import Section
from marrowpath.ui.editor.sections import all_fields, all_tables, build_sections

DIFFERENTIAL = "aspirate.differential"
_TOP_SECTIONS = {
    "accession": "patient",
    "patient": "patient",
    "ordering_provider": "patient",
    "copy_to": "patient",
    "order": "patient",
    "clinical": "clinical",
    "procedure": "procedure",
    "received_at": "procedure",
    "aspirate": "aspirate",
    "core": "core",
    "key_results": "key_results",
    "stains": "stains",
    "ancillary": "ancillary",
    "diagnosis": "diagnosis",
}
_INDEXED = re.compile(r"^\[(\d+)\](?:\.(\w+))?")


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

    Signals:
        changed() -- the user changed any value.
    """

    changed = Signal()

    def __init__(self, settings: LabSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        built = build_sections(settings)
        self.sections: list[Section] = built.sections
        self.accession = built.accession
        self.mrn = built.mrn
        self.differential = built.differential
        self.live = built.live
        self.fields = all_fields(self.sections)
        self.tables = all_tables(self.sections)
        self.by_path: dict[str, Field] = {f.path: f for f in self.fields}
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(12)
        for section in self.sections:
            self._layout.addWidget(section)
        self._layout.addStretch(1)
        for field in self.fields:
            field.changed.connect(self.changed)
        for table in self.tables:
            table.changed.connect(self.changed)
        self.differential.changed.connect(self.changed)
        chain = [widget for section in self.sections for widget in section.chain]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def add_section(self, section: Section) -> None:
        """A part after the document's sections (the issued versions)."""
        self.sections.append(section)
        self._layout.insertWidget(self._layout.count() - 1, section)

    def field(self, path: str) -> Field:
        return self.by_path[path]

    def table(self, path: str) -> ItemTable:
        return next(t for t in self.tables if t.path == path)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    # ------------------------------------------------------------ document

    def document(self) -> dict[str, Any]:
        """The document as typed: absent fields left out, invalid input kept as typed."""
        document: dict[str, Any] = {"format": FORMAT}
        for field in self.fields:
            value = field.value()
            if value is not None:
                set_path(document, field.path, value)
        for table in self.tables:
            items = table.value()
            if items is not None:
                set_path(document, table.path, items)
        counts = self.differential.value()
        if counts is not None:
            set_path(document, DIFFERENTIAL, counts)
        patient = document.get("patient")
        if isinstance(patient, dict) and "given_names" not in patient:
            patient["given_names"] = ""  # may be empty: people with one name
        return document

    def load(self, document: dict[str, Any]) -> None:
        """Show a document (signals are not emitted: loading is not a change)."""
        for field in self.fields:
            field.set_value(get_path(document, field.path))
        for table in self.tables:
            table.set_value(get_path(document, table.path))
        self.differential.set_value(get_path(document, DIFFERENTIAL))

    def set_editable(self, editable: bool) -> None:
        for field in self.fields:
            field.set_editable(editable)
        for table in self.tables:
            table.set_editable(editable)
        self.differential.set_editable(editable)

    def set_settings(self, settings: LabSettings) -> None:
        self.differential.set_settings(settings)

    # ------------------------------------------------------------ paths

    def route(self, path: str) -> Target | None:
        """The widget behind a problem or missing path, if there is one."""
        if path in self.by_path:
            return Target(field=self.by_path[path])
        if path == DIFFERENTIAL or path.startswith(DIFFERENTIAL + "."):
            return Target(differential=self.differential, key=path[len(DIFFERENTIAL) + 1 :] or None)
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
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        section = _TOP_SECTIONS.get(top)
        words = path.replace("_", " ")
        if section is None:
            return words
        title = self.section(section).title()
        return f"{title} › {words}"

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
            top = re.split(r"[.\[]", path, maxsplit=1)[0]
            candidates = [f for f in self.fields if f.path.startswith(path + ".")]
            if candidates:
                candidates[0].focus()
                return candidates[0].container
            section = _TOP_SECTIONS.get(top)
            return self.section(section) if section else None
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
