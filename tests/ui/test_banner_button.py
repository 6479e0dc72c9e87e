"""The banner's Patient menu button shows its arrow beside the word, not drawn over it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from marrowpath.ui.editor.banner import PatientBanner

pytestmark = pytest.mark.ui


def test_the_patient_menu_arrow_has_room_beside_the_word(qtbot: QtBot) -> None:
    banner = PatientBanner()
    qtbot.addWidget(banner)
    button = banner.patient_button
    text = button.fontMetrics().horizontalAdvance(button.text())
    assert button.arrowType() is Qt.ArrowType.DownArrow
    # the word and an arrow's width, not the word alone with the arrow painted on it
    assert button.sizeHint().width() >= text + button.iconSize().width()
