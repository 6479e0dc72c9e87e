"""Advisory flags while typing: the same rules as at sign-out, on a draft that may be
incomplete.

Why a lenient path: `advisory_flags` judges a complete `CaseDocument`, but a pathologist
typing a differential wants "blast equivalents 12.0 %" flagged before the diagnosis is
written. When the document is not complete yet, each part that flags look at (the
differential, iron, dysplasia, CBC, key results, core numbers, ancillary studies) is kept
if it is valid on its own and the flags are computed from those parts. Flags inform in a
calm panel; they never block, pop up or change a value.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from marrowpath.domain.case import (
    Ancillary,
    Aspirate,
    CaseDocument,
    Cbc,
    Clinical,
    Core,
    Differential,
    Dysplasia,
    Iron,
    KeyResults,
)
from marrowpath.domain.enums import AspirateQuality, DifferentialSource
from marrowpath.domain.errors import InvalidCase
from marrowpath.domain.flags import Flag, advisory_flags, name_flags
from marrowpath.domain.validation import parse_case

AMBER = QColor("#b35c00")
M = TypeVar("M", bound=BaseModel)

# A core value that no flag fires on, used when only the other core number is known yet.
_NEUTRAL_CORE_LENGTH_MM = 50
_NEUTRAL_CORE_CELLULARITY = 100


def editor_flags(data: dict[str, Any], *, today: date, final_sign_out: bool) -> list[Flag]:
    """Advisory flags of the document as typed: complete documents exactly as at sign-out,
    partial ones from their valid parts."""
    try:
        document = parse_case(data, today=today)
    except InvalidCase:
        patient = _obj(data.get("patient"))
        return name_flags(patient.get("family_name"), patient.get("given_names")) + (
            advisory_flags(partial_document(data), final_sign_out=final_sign_out)
        )
    return advisory_flags(document, final_sign_out=final_sign_out)


def partial_document(data: dict[str, Any]) -> CaseDocument:
    """A document holding only the parts flags judge, each valid on its own (unvalidated
    construction: nothing else reads it)."""
    aspirate = _obj(data.get("aspirate"))
    clinical = _obj(data.get("clinical"))
    studies = data.get("ancillary")
    ancillary = [
        study
        for item in (studies if isinstance(studies, list) else [])
        if (study := _strict(Ancillary, item)) is not None
    ]
    parts: dict[str, Any] = {
        "aspirate": _partial_aspirate(aspirate) if aspirate else None,
        "core": _partial_core(_obj(data.get("core"))),
        "clinical": _construct(Clinical, cbc=_lenient(Cbc, clinical.get("cbc")))
        if clinical
        else None,
        "key_results": _lenient(KeyResults, data.get("key_results")),
        "ancillary": ancillary or None,
    }
    return _construct(CaseDocument, **parts)


def _construct(model: type[M], **values: Any) -> M:
    """An unvalidated instance holding just these values (what flags read)."""
    return model.model_construct(**values)


def _partial_aspirate(data: dict[str, Any]) -> Aspirate:
    counts = _obj(data.get("differential"))
    valid_counts = {
        key: value
        for key, value in counts.items()
        if key in Differential.model_fields
        and isinstance(value, int)
        and not isinstance(value, bool)
        and value >= 0
    }
    return _construct(
        Aspirate,
        quality=_enum(AspirateQuality, data.get("quality")),
        differential=Differential.model_validate(valid_counts) if counts else None,
        differential_source=_enum(DifferentialSource, data.get("differential_source")),
        dysplasia=_lenient(Dysplasia, data.get("dysplasia")),
        auer_rods=data.get("auer_rods") if isinstance(data.get("auer_rods"), bool) else None,
        iron=_lenient(Iron, data.get("iron")),
    )


def _partial_core(data: dict[str, Any]) -> Core | None:
    length = _field_value(Core, "length_mm", data.get("length_mm"))
    cellularity = _field_value(Core, "cellularity_pct", data.get("cellularity_pct"))
    if length is None and cellularity is None:
        return None
    return _construct(
        Core,
        length_mm=_NEUTRAL_CORE_LENGTH_MM if length is None else length,
        cellularity_pct=_NEUTRAL_CORE_CELLULARITY if cellularity is None else cellularity,
    )


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _enum(enum: Any, value: Any) -> Any:
    try:
        return enum(value) if value is not None else None
    except ValueError:
        return None


def _strict(model: type[M], value: Any) -> M | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _lenient(model: type[M], value: Any) -> M | None:
    """An all-optional object with its valid fields only (one bad value drops itself)."""
    if not isinstance(value, dict) or not value:
        return None
    whole = _strict(model, value)
    if whole is not None:
        return whole
    kept: dict[str, Any] = {}
    for key, item in value.items():
        single = _strict(model, {key: item})
        if single is not None:
            kept[key] = getattr(single, key)
    return model.model_construct(**kept) if kept else None


def _field_value(model: type[BaseModel], name: str, value: Any) -> Any:
    """One field checked against its type and range, without the model's required fields."""
    if value is None:
        return None
    probe: dict[str, Any] = {
        "length_mm": 1,
        "adequacy": "adequate",
        "cellularity_pct": 50,
        "fibrosis_grade": "MF-0",
    }
    probe[name] = value
    checked = _strict(model, probe)
    return getattr(checked, name) if checked is not None else None


class FlagsPanel(QWidget):
    """Amber marker and the rule with its value, one line each; "None" when quiet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.setAccessibleName("Advisory flags")
        self.flags: list[Flag] = []
        self.set_flags([])

    def set_flags(self, flags: list[Flag]) -> None:
        if flags == self.flags and self._layout.count():
            return
        self.flags = list(flags)
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        if not flags:
            quiet = QLabel("No advisory flags.")
            quiet.setWordWrap(True)
            self._layout.addWidget(quiet)
            return
        for flag in flags:
            self._layout.addWidget(_flag_row(flag))

    def texts(self) -> list[str]:
        return [flag.message for flag in self.flags]


def _flag_row(flag: Flag) -> QWidget:
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    marker = QLabel("▲")
    palette = marker.palette()
    palette.setColor(QPalette.ColorRole.WindowText, AMBER)
    marker.setPalette(palette)
    marker.setAlignment(Qt.AlignmentFlag.AlignTop)
    marker.setAccessibleName("Advisory")
    words = ("Strong: " if flag.severity == "strong" else "") + flag.message
    text = QLabel(words)
    text.setWordWrap(True)
    text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    text.setAccessibleName(words)
    line.addWidget(marker, 0, Qt.AlignmentFlag.AlignTop)
    line.addWidget(text, 1)
    return row
