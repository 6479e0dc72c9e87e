"""Text templates in the case editor: `abbreviation;` then space expands in place, and
Ctrl+T opens the picker (`bench.md` section 2).

Why an event filter on each free-text input, rather than a check on every text change:
the expansion must happen exactly when the space after `;` is typed (so `nml;` pasted in
a sentence, or typed and left, never changes later), it must replace what was typed in
one undoable edit, and the space must not be added after the inserted text. Every free
text field gets the filter; a template expands only in the fields it was written for
(`TextTemplate.fits`), and elsewhere the user is told where it belongs.

The values come from the document as it stands when the template is inserted
(`text_templates.fill_from_draft`, the report's own functions); what is not known yet is
left visible as `{name?}` and named in the editor's message bar.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import QDialog, QLineEdit, QPlainTextEdit

from marrowpath.domain.text_templates import (
    TARGETS,
    Filled,
    TextTemplate,
    expansion_for,
    fill_from_draft,
    target_wording,
    typed_abbreviation,
)
from marrowpath.domain.users import Permission
from marrowpath.ui.editor.fields import (
    AccessionField,
    DateField,
    DateTimeField,
    Field,
    LongTextField,
    NumberField,
    TextField,
)
from marrowpath.ui.editor.layout import Section
from marrowpath.ui.editor.seat import EditorSeat
from marrowpath.ui.editor.template_picker import TemplatePicker

PICKER_KEY = "Ctrl+T"
_NOT_FREE_TEXT = (AccessionField, NumberField, DateField, DateTimeField)
TextInput = QLineEdit | QPlainTextEdit


def is_free_text(field: Field) -> bool:
    """Typed words (a name, a comment), not a number, a date or the accession."""
    return isinstance(field, LongTextField | TextField) and not isinstance(field, _NOT_FREE_TEXT)


def text_input(field: Field) -> TextInput:
    return field.box if isinstance(field, LongTextField) else field.edit  # type: ignore[attr-defined]


def missing_text(template: TextTemplate, filled: Filled) -> str:
    """What the user is told after inserting a template."""
    if not filled.missing:
        return f'Inserted "{template.name}".'
    return (
        f'Inserted "{template.name}". Not known yet, left in the text as {{name?}}: '
        f"{'; '.join(filled.missing_wording)}."
    )


class TemplateExpander(QObject):
    """The lab's templates in one editor: read once when it opens (on the task runner),
    expanded on `abbreviation;` + space, inserted from the picker."""

    def __init__(self, seat: EditorSeat) -> None:
        super().__init__(seat.editor)
        self._seat = seat
        editor, form = seat.editor, seat.form
        self.templates: list[TextTemplate] = []
        self._inputs: dict[QObject, Field] = {}
        self._last_field: Field | None = None
        self.picker: TemplatePicker | None = None
        shortcut = QShortcut(QKeySequence(PICKER_KEY), editor)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.open_picker)
        form.section_built.connect(self._section_built)
        for section in form.sections:
            if section.built:
                self._section_built(section)
        service, actor = seat.services.templates, seat.user()
        if service is not None and actor.can(Permission.EDIT):
            seat.runner.run(lambda: service.all(actor), on_done=self.set_templates, owner=self)

    def set_templates(self, templates: list[TextTemplate]) -> None:
        self.templates = list(templates)

    # ------------------------------------------------------------ inputs

    def _section_built(self, section: Section) -> None:
        for field in section.fields:
            if is_free_text(field):
                widget = text_input(field)
                self._inputs[widget] = field
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        field = self._inputs.get(watched)
        if field is not None and event.type() == QEvent.Type.FocusIn:
            self._last_field = field
        if (
            field is not None
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Space
            and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        ):
            return self._expand(field)
        return False

    def _expand(self, field: Field) -> bool:
        """Expand the abbreviation before the cursor; True when the space was used."""
        widget = text_input(field)
        if widget.isReadOnly() or not self._seat.editable():
            return False
        abbreviation = typed_abbreviation(_before_cursor(widget))
        if abbreviation is None:
            return False
        template = expansion_for(self.templates, abbreviation, field.path)
        if template is None:
            self._explain_elsewhere(abbreviation, field)
            return False
        filled = self._filled(template)
        _replace_before_cursor(widget, len(abbreviation) + 1, filled.text)
        self._seat.say(missing_text(template, filled), kind="warning" if filled.missing else "info")
        return True

    def _explain_elsewhere(self, abbreviation: str, field: Field) -> None:
        known = next((t for t in self.templates if t.abbreviation == abbreviation), None)
        if known is None:
            return
        where = ", ".join(target_wording(target) for target in known.targets)
        self._seat.say(
            f'"{abbreviation};" is the template "{known.name}" for {where}, not {field.label}.'
        )

    def _filled(self, template: TextTemplate) -> Filled:
        return fill_from_draft(template, self._seat.form.document(), self._seat.settings())

    # ------------------------------------------------------------ picker

    def target_field(self) -> Field | None:
        """The template field the cursor is in (or was last in), else the diagnosis."""
        focused = self._seat.editor.focusWidget()
        field = self._inputs.get(focused) if focused is not None else None
        field = field or self._last_field
        if field is None or field.path not in TARGETS.values():
            field = self._seat.form.field(TARGETS["diagnosis_line"])
        return field

    def open_picker(self) -> None:
        if not self._seat.editable():
            self._seat.say("This case cannot be edited now; templates are not inserted.")
            return
        field = self.target_field()
        if field is None:
            return
        fitting = [t for t in self.templates if t.fits(field.path)]
        if not fitting:
            self._seat.say(f"The lab has no template for {field.label}.")
            return
        self.picker = picker = TemplatePicker(
            fitting, field.label, preview=self._filled, parent=self._seat.editor
        )
        if picker.exec() != QDialog.DialogCode.Accepted or picker.chosen is None:
            return
        self.insert(field, picker.chosen)

    def insert(self, field: Field, template: TextTemplate) -> Filled:
        """The filled template at the field's cursor (a diagnosis line of its own)."""
        filled = self._filled(template)
        widget = text_input(field)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        text = filled.text
        if isinstance(widget, QPlainTextEdit) and field.path == TARGETS["diagnosis_line"]:
            cursor = widget.textCursor()
            if cursor.block().text().strip():  # a line of its own, after the current one
                cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
                widget.setTextCursor(cursor)
                text = "\n" + text
        _replace_before_cursor(widget, 0, text)
        self._seat.say(missing_text(template, filled), kind="warning" if filled.missing else "info")
        return filled


def _before_cursor(widget: TextInput) -> str:
    if isinstance(widget, QLineEdit):
        return widget.text()[: widget.cursorPosition()]
    cursor = widget.textCursor()
    return cursor.block().text()[: cursor.positionInBlock()]


def _replace_before_cursor(widget: TextInput, count: int, text: str) -> None:
    """Replace the `count` characters before the cursor with `text`, as one edit."""
    if isinstance(widget, QLineEdit):
        position = widget.cursorPosition()
        if count:
            widget.setSelection(position - count, count)
        widget.insert(text)
        return
    cursor = widget.textCursor()
    cursor.beginEditBlock()
    if count:
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, count)
    cursor.insertText(text)
    cursor.endEditBlock()
    widget.setTextCursor(cursor)
