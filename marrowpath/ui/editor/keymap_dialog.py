"""Changing one's counter keys: press the new key in a cell's box.

Why press rather than type: the keypad's 7 and the top row's 7 are different keys, and
only the key event tells them apart. A key that is reserved or counts another cell is
refused in words by `Keymap.remapped` and nothing changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.counter import Keymap, KeymapError, Preset, cell_name, key_label
from marrowpath.ui.editor.key_capture import key_name


class KeyBox(QLineEdit):
    """Shows a key; the next key pressed in it replaces it (Tab moves on)."""

    def __init__(self, key: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.key = key
        self.setText(key_label(key) if key else "")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            super().keyPressEvent(event)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.KeypadModifier
        ):
            event.ignore()  # Enter confirms the dialog
            return
        name = key_name(event)
        if name is not None:
            self.key = name
            self.setText(key_label(name))


class KeymapDialog(QDialog):
    """The preset and one key box per cell; OK keeps the map only when every key is
    allowed (`keymap` is then the new map)."""

    def __init__(self, keymap: Keymap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Counter keys")
        self.keymap = keymap
        self.preset = QComboBox()
        self.preset.addItem("Letters (bench.md)", Preset.LETTERS.value)
        self.preset.addItem("Numeric keypad", Preset.KEYPAD.value)
        self.preset.setCurrentIndex(0 if keymap.preset is Preset.LETTERS else 1)
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        self.error.setStyleSheet("QLabel { color: #a40000; }")
        self.error.hide()
        self.form = QFormLayout()
        self.form.addRow("Preset:", self.preset)
        self.boxes: dict[str, KeyBox] = {}
        self._fill(keymap)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Click a cell's box and press its new key."))
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _fill(self, keymap: Keymap) -> None:
        for cell, key in keymap.keys().items():
            box = self.boxes.get(cell)
            if box is None:
                box = KeyBox(key)
                box.setAccessibleName(f"Key for {cell_name(cell)}")
                self.boxes[cell] = box
                self.form.addRow(f"{cell_name(cell)}:", box)
            else:
                box.key = key
                box.setText(key_label(key) if key else "")

    def _preset_chosen(self, _index: int) -> None:
        self._fill(self.keymap.with_preset(Preset(self.preset.currentData())))

    def chosen(self) -> Keymap:
        """The map the boxes show; KeymapError (in words) when a key is not allowed."""
        keymap = Keymap(Preset(self.preset.currentData()))
        base = keymap.keys()
        # Cells whose key moved are applied after a pass that frees the keys they leave.
        changed = {cell: box.key for cell, box in self.boxes.items() if box.key != base[cell]}
        free = dict(keymap.changes)
        for cell in changed:
            free[cell] = f"\x00{cell}"  # a placeholder no key press can produce
        keymap = Keymap(keymap.preset, free)
        for cell, key in changed.items():
            if key is None:
                continue
            keymap = keymap.remapped(cell, key)
        return Keymap(
            keymap.preset, {c: k for c, k in keymap.changes.items() if not k.startswith("\x00")}
        )

    def accept(self) -> None:
        try:
            self.keymap = self.chosen()
        except KeymapError as error:
            self.error.setText(f"{error}. Nothing was changed.")
            self.error.show()
            return
        super().accept()
