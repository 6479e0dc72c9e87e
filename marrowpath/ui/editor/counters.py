"""The case editor's two counters and their keys: F9 the differential, F10 ring
sideroblasts (`look-and-feel.md`, `bench.md` section 1).

Why a module of its own: the editor gives it the form and a few callbacks and knows
nothing else of counting; the user's keymap is read once, on the task runner, when the
editor opens, and saved the same way after the keys dialog (never on the GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QWidget

from marrowpath.domain.counter import Keymap
from marrowpath.ui.editor.count_provenance import CountProvenanceWriter, SecondCountFields
from marrowpath.ui.editor.counter import DifferentialCounter
from marrowpath.ui.editor.keymap_dialog import KeymapDialog
from marrowpath.ui.editor.layout import Section
from marrowpath.ui.editor.ring_counter import ERYTHROBLASTS, RingSideroblastCounter
from marrowpath.ui.editor.seat import EditorSeat
from marrowpath.ui.tasks import user_message


class EditorCounters(QObject):
    """F9 and F10 on the editor; the differential counter joins the grid once the
    aspirate section is made.

    Signals:
        counting(bool) -- the differential counter started (True) or stopped (False).
    """

    counting = Signal(bool)

    def __init__(self, seat: EditorSeat, *, reveal: Callable[[QWidget], None]) -> None:
        """`reveal`: scroll the form so that a widget (the counter's grid) is in view."""
        super().__init__(seat.editor)
        self._seat = seat
        editor, form, say = seat.editor, seat.form, seat.say
        self._reveal = reveal
        self.keymap = Keymap()
        self.differential: DifferentialCounter | None = None
        self.provenance: CountProvenanceWriter | None = None
        self.second: SecondCountFields | None = None
        self.ring = RingSideroblastCounter(editor, field=form.field, say=say)
        for key, slot in (
            (Qt.Key.Key_F9, self.toggle_differential),
            (Qt.Key.Key_F10, self.toggle_ring),
        ):
            shortcut = QShortcut(QKeySequence(key), editor)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        form.section_built.connect(self._section_built)
        aspirate = form.section("aspirate")
        if aspirate.built:  # made before this object existed
            self._section_built(aspirate)
        self._load_keymap()

    # ------------------------------------------------------------ keymap

    def _load_keymap(self) -> None:
        counter = self._seat.services.counter
        if counter is None:
            return
        actor = self._seat.user()
        self._seat.runner.run(lambda: counter.keymap(actor), on_done=self._set_keymap, owner=self)

    def _set_keymap(self, keymap: Keymap) -> None:
        self.keymap = keymap
        if self.differential is not None:
            self.differential.set_keymap(keymap)

    def edit_keys(self) -> None:
        """The keys dialog; a new map is shown at once and kept with the user."""
        dialog = KeymapDialog(self.keymap, self._seat.editor)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        keymap = dialog.keymap
        self._set_keymap(keymap)
        counter = self._seat.services.counter
        if counter is not None:
            actor = self._seat.user()
            self._seat.runner.run(
                lambda: counter.save_keymap(actor, keymap),
                on_done=lambda _none: self._seat.say("Your counter keys are kept."),
                on_error=lambda error: self._seat.say(
                    f"Your counter keys could not be kept: {user_message(error)}"
                ),
                owner=self,
            )

    # ------------------------------------------------------------ counters

    def _section_built(self, section: Section) -> None:
        if section.key == "aspirate" and self.differential is None:
            self.differential = DifferentialCounter(
                self._seat.form.differential,
                username=lambda: self._seat.user().username,
                full_name=lambda: self._seat.user().full_name,
                now=lambda: datetime.now(UTC),
                edit_keys=self.edit_keys,
                smudge=lambda: self.provenance.recorded_smudge() if self.provenance else 0,
            )
            self.differential.set_keymap(self.keymap)
            self.provenance = CountProvenanceWriter(
                self._seat.form, self.differential, username=lambda: self._seat.user().username
            )
            controls = self._seat.form.second_count
            self.second = SecondCountFields(self._seat.form, controls.state)
            controls.start.clicked.connect(self.count_second)
            self.differential.running_changed.connect(self.counting)

    def toggle_differential(self) -> None:
        """F9: show the aspirate grid and count (or stop)."""
        if not self._aspirate_ready():
            return
        assert self.differential is not None
        self._reveal(self._seat.form.differential)
        self.differential.toggle()

    def _aspirate_ready(self) -> bool:
        """Before either count: the ring counter stopped, the case editable (else said
        why), and the aspirate section made, with the counter joined to its grid."""
        if self.ring.active:
            self.ring.stop()
        if not self._seat.editable():
            self._seat.say("The differential counter needs a case open for editing.")
            return False
        self._seat.form.build_through(self._seat.form.section("aspirate"))
        return True

    def count_second(self) -> None:
        """ "Count again as second observer": the counter counts into the second count
        (or stops, when it runs)."""
        if self.differential is not None and self.differential.running:
            self.differential.stop()
            return
        if not self._aspirate_ready():
            return
        assert self.differential is not None and self.second is not None
        self._reveal(self._seat.form.second_count.start)
        self.differential.start(second=self.second)

    def toggle_ring(self) -> None:
        """F10: count ring sideroblasts into the iron section (or stop)."""
        if self.differential is not None and self.differential.running:
            self.differential.stop()
        if not self._seat.editable():
            self._seat.say("The ring sideroblast counter needs a case open for editing.")
            return
        self._seat.form.build_through(self._seat.form.section("aspirate"))
        self._reveal(self._seat.form.field(ERYTHROBLASTS).container)
        self.ring.toggle()
