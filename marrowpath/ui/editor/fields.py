"""Form binding: one input per field of the case document, addressed by its path.

Why a binding layer: the editor must hand back the document *as typed* (so that
`check_draft` judges exactly what the user sees and every broken rule can be shown next
to its field), it must keep "not recorded" (absent) apart from 0 or false, and it must
put a problem reported for `aspirate.iron.storage_grade` back on the one widget that
produced it. Each `Field` knows its path, how to read its widget into a JSON value
(`None` = absent), how to show a value, and how to show a rule under itself.

A field's label, unit, enumeration and whether sign-out needs it come from the case
model (`marrowpath.domain.labels.leaf`), so the form names a field as it is declared
there; a section passes only layout (tooltips, widths, captions).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.enums import label as enum_label
from marrowpath.domain.labels import leaf
from marrowpath.domain.types import lenient_datetime
from marrowpath.domain.wording import offset_text
from marrowpath.ui.editor.choice_box import ChoiceBox

ERROR_COLOUR = QColor("#b00020")
_INT = re.compile(r"^[+-]?\d+$")


# ------------------------------------------------------------------ values


def parse_number(text: str) -> int | float | str | None:
    """Typed text to a JSON number: "" -> None, "80" -> 80, "8.4" (or "8,4") -> 8.4.

    Anything else is returned as typed, so that validation reports it in words
    ("must be a number, got "abc"") instead of the editor dropping it silently.
    """
    stripped = text.strip()
    if not stripped:
        return None
    if _INT.match(stripped):
        return int(stripped)
    candidate = stripped
    if candidate.count(",") == 1 and "." not in candidate:
        candidate = candidate.replace(",", ".")
    try:
        value = float(candidate)
    except ValueError:
        return stripped
    return value if math.isfinite(value) else stripped


def format_number(value: Any) -> str:
    """A stored number as it was written (80 stays "80", 8.4 stays "8.4")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def sentence(message: str) -> str:
    """A rule as a sentence under its field: "must be >= 0" -> "Must be >= 0"."""
    return message[:1].upper() + message[1:] if message else message


# ------------------------------------------------------------------ decoration


class Outline(QWidget):
    """Draws a red outline around its content when the field breaks a rule.

    Painted rather than styled: a stylesheet would replace the platform's look of the
    input inside it, and the app keeps the native style.
    """

    def __init__(self, content: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._invalid = False
        self.box = QHBoxLayout(self)
        self.box.setContentsMargins(2, 2, 2, 2)
        self.box.setSpacing(6)
        if content is not None:
            self.box.addWidget(content)

    def set_invalid(self, invalid: bool) -> None:
        if invalid != self._invalid:
            self._invalid = invalid
            self.update()

    @property
    def invalid(self) -> bool:
        return self._invalid

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._invalid:
            return
        painter = QPainter(self)
        painter.setPen(QPen(ERROR_COLOUR, 2))
        painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 3, 3)
        painter.end()


def error_label() -> QLabel:
    """The rule in words under a field (red text; the words carry the meaning)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, ERROR_COLOUR)
    label.setPalette(palette)
    label.hide()
    return label


def char_width(widget: QWidget, characters: int) -> int:
    """A width that fits `characters` digits in the widget's font (scales with the font)."""
    return widget.fontMetrics().horizontalAdvance("0" * characters) + 24


# ------------------------------------------------------------------ fields


class Field(QObject):
    """One value of the case document bound to one input.

    Signals:
        changed() -- the user changed the value (not emitted by `set_value`).
    """

    changed = Signal()

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        required: bool | None = None,
        tooltip: str | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.label = leaf(path).label.entry_label if label is None else label
        self.required = leaf(path).signout if required is None else required
        self.section = ""
        self._loading = False
        self.container = QWidget()
        self.outline = Outline()
        self.error = error_label()
        column = QVBoxLayout(self.container)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.outline)
        column.addWidget(self.error)
        self._tooltip = tooltip

    # Subclasses call this once their input exists.
    def _place(self, widget: QWidget, *extras: QWidget, stretch: bool = True) -> None:
        self.input = widget
        widget.setAccessibleName(self.label)
        if self._tooltip:
            widget.setToolTip(self._tooltip)
        self.outline.box.addWidget(widget, 1 if stretch else 0)
        for extra in extras:
            self.outline.box.addWidget(extra)
        if not stretch:
            self.outline.box.addStretch(1)

    def _emit(self) -> None:
        if not self._loading:
            self.changed.emit()

    @property
    def title(self) -> str:
        """Where a person finds the field: "Core › Fibrosis grade"."""
        return f"{self.section} › {self.label}" if self.section else self.label

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def set_editable(self, editable: bool) -> None:
        self.input.setEnabled(editable)

    def show_problem(self, message: str | None) -> None:
        self.outline.set_invalid(message is not None)
        self.error.setText(sentence(message or ""))
        self.error.setVisible(message is not None)
        self.input.setAccessibleDescription(sentence(message) if message else "")

    def focus(self) -> None:
        self.input.setFocus(Qt.FocusReason.OtherFocusReason)


class TextField(Field):
    """One line of text; empty (or only spaces) is absent."""

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        required: bool | None = None,
        tooltip: str | None = None,
        placeholder: str = "",
        width_chars: int | None = None,
    ) -> None:
        super().__init__(path, label, required=required, tooltip=tooltip)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.textChanged.connect(lambda _t: self._emit())
        if width_chars is not None:
            self.edit.setMinimumWidth(char_width(self.edit, width_chars))
            self.edit.setMaximumWidth(char_width(self.edit, width_chars * 2))
        self._place(self.edit, stretch=width_chars is None)

    def value(self) -> Any:
        text = self.edit.text()
        return text if text.strip() else None

    def _show(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def set_editable(self, editable: bool) -> None:
        self.edit.setReadOnly(not editable)


class _UpperCase(QValidator):
    """Accession numbers are uppercase: typed letters become capitals as they are typed."""

    def validate(self, text: str, pos: int) -> object:
        return QValidator.State.Acceptable, text.upper(), pos


class AccessionField(TextField):
    """The accession: proposed by the lab's counter, editable until the first save."""

    def __init__(self) -> None:
        super().__init__(
            "accession",
            placeholder="proposed when the case opens",
            width_chars=14,
            tooltip="1-32 characters from A-Z, 0-9 and -; fixed once the case is saved",
        )
        self.edit.setValidator(_UpperCase(self.edit))


class NumberField(TextField):
    """A number typed as text, so that empty (not recorded) stays apart from 0.

    A spin box cannot be empty; a line edit can, and whatever is typed is handed to
    validation as is (a negative count is reported, not silently clamped).
    """

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        unit: str | None = None,
        required: bool | None = None,
        tooltip: str | None = None,
        extra: QWidget | None = None,
    ) -> None:
        Field.__init__(self, path, label, required=required, tooltip=tooltip)
        declared = leaf(path)
        self.integer = declared.integer
        unit = declared.label.entry_units if unit is None else unit
        self.edit = QLineEdit()
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.edit.setMaximumWidth(char_width(self.edit, 8))
        self.edit.setMinimumWidth(char_width(self.edit, 5))
        self.edit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.edit.textChanged.connect(lambda _t: self._emit())
        extras: list[QWidget] = []
        self.unit = QLabel(unit)
        if unit:
            self.unit.setAccessibleName(f"{self.label} unit")
            extras.append(self.unit)
        if extra is not None:
            extras.append(extra)
        self._place(self.edit, *extras, stretch=False)

    def value(self) -> Any:
        return parse_number(self.edit.text())

    def _show(self, value: Any) -> None:
        self.edit.setText(format_number(value))


class DateField(TextField):
    """A date typed as YYYY-MM-DD (fast from the keyboard, and empty means not recorded)."""

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        required: bool | None = None,
        tooltip: str | None = None,
    ) -> None:
        super().__init__(
            path,
            label,
            required=required,
            tooltip=tooltip or "A date written YYYY-MM-DD",
            placeholder="YYYY-MM-DD",
            width_chars=10,
        )

    def value(self) -> Any:
        text = self.edit.text().strip()
        return text or None


class DateTimeField(TextField):
    """A date and time shown and typed in the workstation's local time, "2026-11-18
    15:20", the way the app shows every time (`look-and-feel.md`: the user's words, not
    an ISO timestamp); stored with its UTC offset, 2026-11-18T15:20:00-05:00.

    A value left as shown is saved exactly as stored (a time recorded elsewhere keeps its
    own offset); a typed one is read as local time. A full ISO time with an offset is
    accepted too; anything else is handed to validation as typed, which names the rule.
    """

    def __init__(self, path: str, label: str | None = None) -> None:
        super().__init__(
            path,
            label,
            tooltip="Date and time in this workstation's local time, e.g. 2026-11-18 15:20",
            placeholder="YYYY-MM-DD HH:MM",
            width_chars=16,
        )
        self.zone = QLabel(f"local time ({offset_text(datetime.now().astimezone().utcoffset())})")
        self.outline.box.insertWidget(self.outline.box.indexOf(self.edit) + 1, self.zone)
        self._stored: Any = None
        self._shown = ""

    def value(self) -> Any:
        text = self.edit.text().strip()
        if not text:
            return None
        if text == self._shown and self._stored is not None:
            return self._stored
        typed = local_datetime(text)
        return typed.isoformat(timespec="seconds") if typed is not None else text

    def _show(self, value: Any) -> None:
        moment = lenient_datetime(value)
        self._stored = value
        self._shown = (
            local_text(moment) if moment is not None else ("" if value is None else str(value))
        )
        self.edit.setText(self._shown)


def local_text(moment: datetime) -> str:
    """ "2026-11-18 15:20": a time in the workstation's zone (a naive one is taken as
    UTC, as the database stores times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def local_datetime(text: str) -> datetime | None:
    """What a person typed as a date-time: "2026-11-18 15:20" (or with a "T", or with
    seconds) in the workstation's zone, or an ISO time with its own offset; None when
    it is neither."""
    moment = lenient_datetime(text.strip().replace(" ", "T", 1))
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.astimezone()


class EnumField(Field):
    """A drop-down with the report's wording; the first choice means nothing chosen."""

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        required: bool | None = None,
        tooltip: str | None = None,
        words: dict[str, str] | None = None,
    ) -> None:
        super().__init__(path, label, required=required, tooltip=tooltip)
        self.combo = ChoiceBox()
        self.combo.addItem("(choose)" if self.required else "(not recorded)", None)
        for member in _choices(path):
            text = (words or {}).get(member.value) or enum_label(member)
            self.combo.addItem(text, member.value)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.currentIndexChanged.connect(lambda _i: self._emit())
        self._place(self.combo, stretch=False)

    def value(self) -> Any:
        return self.combo.currentData()

    def _show(self, value: Any) -> None:
        if value is None:
            self.combo.setCurrentIndex(0)
            return
        index = self.combo.findData(value)
        if index < 0:  # a value this version does not know: keep it, validation names it
            self.combo.addItem(str(value), value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)


class BoolField(Field):
    """Yes / no / not recorded: a tri-state answer as a drop-down (a checkbox has no "not
    recorded")."""

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        required: bool | None = None,
    ) -> None:
        super().__init__(path, label, required=required)
        said = leaf(path).label  # the report's words for the two answers
        self.combo = ChoiceBox()
        self.combo.addItem("(not recorded)", None)
        self.combo.addItem(said.flag_words(True), True)
        self.combo.addItem(said.flag_words(False), False)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.currentIndexChanged.connect(lambda _i: self._emit())
        self._place(self.combo, stretch=False)

    def value(self) -> Any:
        return self.combo.currentData()

    def _show(self, value: Any) -> None:
        index = self.combo.findData(value) if isinstance(value, bool) else 0
        self.combo.setCurrentIndex(max(index, 0))


class ChecklistField(Field):
    """Several choices of one enumeration as checkboxes (specimens, complications)."""

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        required: bool | None = None,
        columns: int = 2,
    ) -> None:
        super().__init__(path, label, required=required)
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        self._unknown: list[Any] = []
        members = list(_choices(path))
        rows = math.ceil(len(members) / columns)
        for index, member in enumerate(members):
            check = QCheckBox(enum_label(member))
            check.setAccessibleName(f"{self.label}: {enum_label(member)}")
            check.toggled.connect(lambda _c: self._emit())
            grid.addWidget(check, index % rows, index // rows)
            self.boxes[member.value] = check
        self._place(box)
        box.setAccessibleName(self.label)

    def value(self) -> Any:
        chosen = [value for value, check in self.boxes.items() if check.isChecked()]
        chosen += self._unknown
        return chosen or None

    def _show(self, value: Any) -> None:
        items = value if isinstance(value, list) else []
        for key, check in self.boxes.items():
            check.setChecked(key in items)
        self._unknown = [item for item in items if item not in self.boxes]

    def set_editable(self, editable: bool) -> None:
        for check in self.boxes.values():
            check.setEnabled(editable)

    def focus(self) -> None:
        next(iter(self.boxes.values())).setFocus(Qt.FocusReason.OtherFocusReason)


class TextBox(QPlainTextEdit):
    """Multi-line text whose height follows its font (a few lines), never fixed pixels.

    Tab moves to the next field, as in every other input of the form.
    """

    def __init__(self, lines: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines = lines
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        margins = self.contentsMargins()
        document = self.document().documentMargin() * 2
        height = (
            self.fontMetrics().lineSpacing() * self._lines
            + int(document)
            + margins.top()
            + margins.bottom()
            + 2 * self.frameWidth()
        )
        return QSize(hint.width(), height)

    def minimumSizeHint(self) -> QSize:
        """Full height (no clipped lines), but free to get narrow (it wraps)."""
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())


class LongTextField(Field):
    """Free text over several lines; kept exactly as typed (only all-blank is absent)."""

    def __init__(
        self,
        path: str,
        label: str | None = None,
        *,
        lines: int = 2,
        required: bool | None = None,
        tooltip: str | None = None,
        placeholder: str = "",
    ) -> None:
        super().__init__(path, label, required=required, tooltip=tooltip)
        self.box = TextBox(lines)
        self.box.setPlaceholderText(placeholder)
        self.box.textChanged.connect(self._emit)
        self._place(self.box)

    def value(self) -> Any:
        text = self.box.toPlainText()
        return text if text.strip() else None

    def _show(self, value: Any) -> None:
        self.box.setPlainText("" if value is None else str(value))

    def set_editable(self, editable: bool) -> None:
        self.box.setReadOnly(not editable)


class LinesField(LongTextField):
    """A list of text, one item per line (the diagnosis lines)."""

    def value(self) -> Any:
        lines = [line.rstrip() for line in self.box.toPlainText().split("\n")]
        kept = [line for line in lines if line.strip()]
        return kept or None

    def _show(self, value: Any) -> None:
        items = value if isinstance(value, list) else []
        self.box.setPlainText("\n".join(str(item) for item in items))


def _choices(path: str) -> type[StrEnum]:
    """The enumeration the model declares for a field (a drop-down's or checklist's)."""
    choices = leaf(path).choices
    if choices is None:
        raise TypeError(f"{path}: not an enumeration in the case document")
    return choices


def all_inputs(fields: Iterable[Field]) -> list[QWidget]:
    """The focusable inputs of some fields, in order (for the tab chain)."""
    widgets: list[QWidget] = []
    for field in fields:
        if isinstance(field, ChecklistField):
            widgets.extend(field.boxes.values())
        else:
            widgets.append(field.input)
    return widgets
