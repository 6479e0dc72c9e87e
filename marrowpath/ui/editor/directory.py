"""The case editor's pick-lists (`bench.md` section 2): ordering provider and copy-to
from the lab's provider directory, and classification terms from the WHO-HAEM5 and
ICC-2022 lists.

Why a module of its own (like `counters.py`): the editor hands it the form and a few
callbacks; the directory is read once on the task runner when the editor opens (never
on the GUI thread), and the widgets join the form when their section is made.

Nothing is filled unseen: the ordering provider's name field lists the matches as one
types (`type_ahead.TypeAhead`) and fills the provider's fields only when an entry is
taken; so do a copy-to row's name cell and a classification row's term cell (filling
that row), and both lists can also be searched in a dialog. Free text stays
possible everywhere: the fields and cells remain ordinary inputs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QPushButton, QWidget

from marrowpath.domain.classifications import ClassificationTerm, pick_list, search
from marrowpath.domain.providers import DirectoryProvider, search_providers
from marrowpath.domain.users import Permission
from marrowpath.ui.dialogs.provider import ProviderDialog
from marrowpath.ui.editor.fields import Field
from marrowpath.ui.editor.item_table import ItemTable
from marrowpath.ui.editor.layout import Section
from marrowpath.ui.editor.seat import EditorSeat
from marrowpath.ui.editor.type_ahead import SearchPicker, TypeAhead, TypeAheadDelegate
from marrowpath.ui.tasks import user_message

ORDERING = "ordering_provider"
PROVIDER_KEYS = ("name", "family_name", "given_names", "id", "organization")
CLASSIFICATION_NOTE = (
    "Any words, in any order: npm1 aml, icc apl, 9866. WHO-HAEM5 and ICC-2022 terms with "
    "ICD-O-3 morphology codes (sources: the WHO Classification of Tumours, 5th edition, "
    "Haematolymphoid tumours; the International Consensus Classification 2022; ICD-O-3.1 "
    "and 3.2). A code is left empty where none was confirmed. Any other term can still "
    "be typed in the table."
)


class EditorDirectory(QObject):
    """Wires the pick-lists into the form's Patient and Diagnosis sections."""

    def __init__(self, seat: EditorSeat) -> None:
        super().__init__(seat.editor)
        self._seat = seat
        form = seat.form
        self.providers: list[DirectoryProvider] = []
        self.ordering: TypeAhead | None = None
        self.add_to_directory: QPushButton | None = None
        self.copy_to_button: QPushButton | None = None
        self.copy_to_names: TypeAheadDelegate | None = None
        self.classification_button: QPushButton | None = None
        self.term_cells: TypeAheadDelegate | None = None
        form.section_built.connect(self._section_built)
        for key in ("patient", "diagnosis"):
            if form.section(key).built:  # made before this object existed
                self._section_built(form.section(key))
        self.load()

    # ------------------------------------------------------------ directory

    def load(self) -> None:
        """Read the directory in the background; until then the lists are empty."""
        directory = self._seat.services.providers
        if directory is None:
            return
        actor = self._seat.user()
        if not (actor.can(Permission.EDIT) or actor.can(Permission.PROVIDERS)):
            return
        self._seat.runner.run(
            lambda: directory.directory(actor),
            on_done=self._loaded,
            on_error=lambda _e: None,  # a convenience: typing by hand still works
            owner=self,
        )

    def _loaded(self, providers: list[DirectoryProvider]) -> None:
        self.providers = providers

    def provider_matches(self, text: str) -> list[tuple[str, Any]]:
        return [(p.describe(), p) for p in search_providers(self.providers, text, limit=50)]

    # ------------------------------------------------------------ sections

    def _section_built(self, section: Section) -> None:
        if section.key == "patient":
            self._wire_providers(section)
        elif section.key == "diagnosis":
            self._wire_classification(section)

    def _wire_providers(self, section: Section) -> None:
        name = _field(section, f"{ORDERING}.name")
        edit = getattr(name, "edit", None)
        if edit is None:
            return
        self.ordering = TypeAhead(edit, self.provider_matches, what="providers")
        self.ordering.chosen.connect(self.fill_ordering)
        edit.setToolTip(
            "Type any part of the name, ID or organization: the directory's matches are "
            "listed; Down and Enter take one, Escape keeps what you typed"
        )
        if self._seat.user().can(Permission.PROVIDERS):
            self.add_to_directory = QPushButton("Add to directory...")
            self.add_to_directory.setAccessibleName("Add the ordering provider to the directory")
            self.add_to_directory.setAutoDefault(False)
            self.add_to_directory.clicked.connect(self.add_ordering_to_directory)
            name.outline.box.addWidget(self.add_to_directory)
            _in_tab_order(section, edit, self.add_to_directory)
        copy_to = _table(section, "copy_to")
        if copy_to is not None:
            # the recipient's name cell lists the directory's matches as one types
            self.copy_to_names = TypeAheadDelegate(
                self.provider_matches, self._fill_copy_to, what="providers", parent=copy_to
            )
            copy_to.table.setItemDelegateForColumn(
                [c.key for c in copy_to.columns].index("name"), self.copy_to_names
            )
            self.copy_to_button = QPushButton("Add from directory...")
            self.copy_to_button.setAccessibleName("Copy to: add a recipient from the directory")
            self.copy_to_button.clicked.connect(self.pick_copy_to)
            copy_to.add_button_for(self.copy_to_button)
            _in_tab_order(section, copy_to.remove_button, self.copy_to_button)

    def _wire_classification(self, section: Section) -> None:
        table = _table(section, "diagnosis.classification")
        if table is None:
            return
        self.classification_button = QPushButton("Choose from WHO-HAEM5 / ICC-2022...")
        self.classification_button.setAccessibleName(
            "Classification: choose a term from the WHO-HAEM5 and ICC-2022 lists"
        )
        self.classification_button.clicked.connect(self.pick_classification)
        table.add_button_for(self.classification_button)
        _in_tab_order(section, table.remove_button, self.classification_button)
        # the term cell lists the pick-list's matches as one types, too
        self.term_cells = TypeAheadDelegate(
            lambda text: self.classification_matches(text)[:50],
            self._fill_classification,
            what="classification terms",
            parent=table,
        )
        table.table.setItemDelegateForColumn(
            [c.key for c in table.columns].index("term"), self.term_cells
        )

    # ------------------------------------------------------------ providers

    def fill_ordering(self, provider: DirectoryProvider) -> None:
        """The taken entry's fields into the ordering provider's; fields the directory
        has no value for are emptied (they would describe another person)."""
        values = provider.case_fields()
        for key in PROVIDER_KEYS:
            field = self._seat.form.field(f"{ORDERING}.{key}")
            field.set_value(values.get(key))
            field.changed.emit()
        self._seat.say(f"Ordering provider: {provider.describe()} (from the directory).")

    def _fill_copy_to(self, row: int, provider: DirectoryProvider) -> None:
        self._seat.form.table("copy_to").set_row_values(row, dict(provider.case_fields()))

    def pick_copy_to(self) -> None:
        if not self._seat.editable():
            return
        picker = SearchPicker(
            self.provider_matches,
            title="Copy to: choose from the directory",
            placeholder="Name, ID or organization, any words",
            note="A recipient who is not in the directory can be typed with Add recipient.",
            parent=self._seat.editor,
        )
        self.picker = picker
        if picker.exec() == QDialog.DialogCode.Accepted and picker.choice is not None:
            provider: DirectoryProvider = picker.choice
            table = self._seat.form.table("copy_to")
            table.append_values(dict(provider.case_fields()))

    def add_ordering_to_directory(self) -> None:
        """The ordering provider as typed, offered for the directory (to check first)."""
        values = {key: self._seat.form.field(f"{ORDERING}.{key}").value() for key in PROVIDER_KEYS}
        directory = self._seat.services.providers
        if directory is None:
            return
        dialog = ProviderDialog(DirectoryProvider(**_texts(values)), parent=self._seat.editor)
        self.dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.provider is None:
            return
        provider, actor = dialog.provider, self._seat.user()

        def added(saved: DirectoryProvider) -> None:
            self.providers = sorted(
                [*self.providers, saved],
                key=lambda p: ((p.family_name or p.name).casefold(), p.name.casefold()),
            )
            self._seat.say(f"{saved.name} was added to the provider directory.")

        self._seat.runner.run(
            lambda: directory.add(actor, provider),
            on_done=added,
            on_error=lambda error: self._seat.say(
                f"Not added to the directory: {user_message(error)}"
            ),
            owner=self,
        )

    # ------------------------------------------------------------ classification

    @staticmethod
    def classification_matches(text: str) -> list[tuple[str, Any]]:
        return [(t.describe(), t) for t in search(pick_list(), text)]

    def pick_classification(self) -> None:
        if not self._seat.editable():
            return
        picker = SearchPicker(
            self.classification_matches,
            title="Classification: choose a term",
            placeholder="Any words: npm1 aml, icc apl, 9866",
            note=CLASSIFICATION_NOTE,
            parent=self._seat.editor,
        )
        self.picker = picker
        if picker.exec() == QDialog.DialogCode.Accepted and picker.choice is not None:
            self.add_classification(picker.choice)

    def add_classification(self, term: ClassificationTerm) -> None:
        self._seat.form.table("diagnosis.classification").append_values(_term_values(term))

    def _fill_classification(self, row: int, term: ClassificationTerm) -> None:
        self._seat.form.table("diagnosis.classification").set_row_values(row, _term_values(term))


def _term_values(term: ClassificationTerm) -> dict[str, Any]:
    values: dict[str, Any] = {"system": term.system.value, "term": term.term}
    if term.code:
        values["code"] = term.code
    return values


def _in_tab_order(section: Section, after: QWidget, widget: QWidget) -> None:
    """Tab reaches a button added to a made section right after `after` (the editor
    orders Tab by the section's chain; every action is reachable without a mouse)."""
    if after in section.chain:
        section.chain.insert(section.chain.index(after) + 1, widget)
    QWidget.setTabOrder(after, widget)


def _field(section: Section, path: str) -> Field:
    return next(f for f in section.fields if f.path == path)


def _table(section: Section, path: str) -> ItemTable | None:
    return next((t for t in section.tables if t.path == path), None)


def _texts(values: dict[str, Any]) -> dict[str, Any]:
    """Field values for a `DirectoryProvider` (the name may still be empty: the dialog
    then asks for it)."""
    texts = {key: (str(value) if value is not None else None) for key, value in values.items()}
    texts["name"] = texts.get("name") or ""
    return texts
