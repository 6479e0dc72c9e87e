"""The patient banner: who this case is about, always in view above the form.

Why: a wrong-patient mistake starts with a banner that scrolled away. The banner shows
the name as the report prints it, MRN, birth date and age, sex, accession and status
(the word in its colour, never the colour alone) and follows the fields as they are typed.

Its Patient button (the patient's course, Correct patient record...) is reached by keys
(`look-and-feel.md`, Keyboard: every action without a mouse): first in the editor's Tab
order, the banner being above the actions; Alt+P from anywhere in the case (its mnemonic,
listed in the Case menu and Help); Space, Enter or Down opens its menu. It takes focus by
Tab only, never by a click: a click must not take the cursor out of a field being typed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from marrowpath.domain.derived import age_in_years
from marrowpath.domain.enums import label as enum_label
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.text import display_name
from marrowpath.domain.types import lenient_date
from marrowpath.ui import status as status_words
from marrowpath.ui.editor.flow import FlowLayout


def patient_name(patient: dict[str, Any]) -> str:
    family = patient.get("family_name")
    given = patient.get("given_names")
    if not isinstance(family, str) or not family.strip():
        return ""
    return display_name(family, given if isinstance(given, str) else "")


PATIENT_MENU_KEY = "Alt+P"  # the mnemonic of "&Patient"; menus.py lists it
_OPENING_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down}


class MenuButton(QToolButton):
    """A tool button whose menu opens by Enter and Down as well as Space (Qt's button
    opens it by Space and the mouse only), as a drop-down does."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in _OPENING_KEYS and plain == Qt.KeyboardModifier.NoModifier:
            event.accept()
            self.showMenu()
            return
        super().keyPressEvent(event)


class PatientBanner(QFrame):
    """One line: NAME · MRN · born (age) · sex · accession · status."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.setAccessibleName("Patient banner")
        self.name = QLabel()
        font = QFont(self.name.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.name.setFont(font)
        self.mrn = QLabel()
        self.born = QLabel()
        self.sex = QLabel()
        self.accession = QLabel()
        self.status = QLabel()
        bold = QFont(self.status.font())
        bold.setBold(True)
        self.status.setFont(bold)
        self.accession.setFont(bold)
        layout = FlowLayout(self, spacing=18)
        layout.setContentsMargins(10, 6, 10, 6)
        for label in (self.name, self.mrn, self.born, self.sex, self.accession, self.status):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if label is self.accession:
                layout.push_right()
            layout.addWidget(label)
        # the patient's menu (course, record correction): the editor adds the actions
        self.patient_button = MenuButton()
        self.patient_button.setText("&Patient")  # Alt+P (PATIENT_MENU_KEY)
        self.patient_button.setAccessibleName("Patient menu")
        self.patient_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # the arrow beside the word: the style's own menu indicator was drawn over the
        # "t" of "Patient" (its size hint leaves it no room)
        self.patient_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.patient_button.setArrowType(Qt.ArrowType.DownArrow)
        self.patient_button.setStyleSheet(
            "QToolButton::menu-indicator { image: none; width: 0px; }"
        )
        # by Tab (and Alt+P), never by a click: a click leaves the cursor in the field
        # being typed (it had no focus at all for that reason before it joined the Tab order)
        self.patient_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.patient_menu = QMenu(self.patient_button)
        self.patient_button.setMenu(self.patient_menu)
        layout.addWidget(self.patient_button)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def open_patient_menu(self) -> None:
        """The patient's menu under its button (the Case menu's "Patient menu")."""
        if self.patient_button.isEnabled() and self.patient_button.isVisible():
            self.patient_button.showMenu()

    def show_opening(self, accession: str) -> None:
        """Before the case arrives: the accession only, never another patient's name.
        The Patient button waits for the case (there is no patient to act on yet), so
        the tab being shown does not give it the focus either."""
        self.patient_button.setEnabled(False)
        for label in (self.mrn, self.born, self.sex, self.status):
            label.clear()
        self.name.setText("Opening...")
        self.accession.setText(accession)

    def show_case(
        self,
        document: dict[str, Any],
        *,
        status: Status,
        accession: str | None,
        today: date,
        amendment_in_progress: bool = False,
    ) -> None:
        patient = document.get("patient") if isinstance(document.get("patient"), dict) else {}
        assert isinstance(patient, dict)
        self.patient_button.setEnabled(True)
        self.name.setText(patient_name(patient) or "New patient")
        mrn = patient.get("mrn")
        self.mrn.setText(f"MRN: {mrn}" if isinstance(mrn, str) and mrn.strip() else "MRN: —")
        born = lenient_date(patient.get("birth_date"))
        procedure = document.get("procedure")
        on = lenient_date(procedure.get("date")) if isinstance(procedure, dict) else None
        if born is not None and born <= (on or today):
            age = age_in_years(born, on or today)
            self.born.setText(f"Born {born.isoformat()} ({age} y)")
        elif born is not None:
            self.born.setText(f"Born {born.isoformat()}")
        else:
            self.born.setText("Born —")
        sex = patient.get("sex")
        self.sex.setText(enum_label(sex) if isinstance(sex, str) and sex else "Sex —")
        self.accession.setText(accession or "New case (not saved)")
        word = status_words.word(status)
        if amendment_in_progress:
            word += " · amendment in progress"
        self.status.setText(f"● {word}")
        palette = self.status.palette()
        palette.setColor(QPalette.ColorRole.WindowText, status_words.colour(status))
        self.status.setPalette(palette)
        self.status.setAccessibleName(f"Status: {word}")
        self.setAccessibleDescription(
            " ".join(
                label.text()
                for label in (
                    self.name,
                    self.mrn,
                    self.born,
                    self.sex,
                    self.accession,
                    self.status,
                )
            )
        )
