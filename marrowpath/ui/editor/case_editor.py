"""The case editor: one case in a tab, from a new draft to sign-out and amendment.

Why it is built this way:

* The form is the document. `document()` reads every input into the JSON a save sends,
  and after every change `check_draft` judges it, so a broken rule shows under its field
  at once and Save is refused before anything reaches the database.
* Database work runs off the GUI thread (`TaskRunner`); the editor keeps the row version
  it loaded and sends it with every save, so a case changed elsewhere is never
  overwritten: the user sees who changed it and when, and chooses Reload or Keep editing.
* Unsaved work survives a crash: a recovery file is written every 30 s while dirty, in
  the folder of the user who opened the editor (its author); only that user is offered
  it, and the editor saves as no one else (`recovery.py`).
* A case shows at once: the first section is made with the editor and the others one per
  turn of the event loop once the case is loaded (`CaseForm`); the checks run once the
  whole form shows it. Anything that needs the whole form (typing, a path, the section
  list) finishes it on the spot, so nothing behaves differently, it only appears sooner.
* What may be done is decided by the lifecycle table and the user's role; the services
  check again, so hidden buttons are a courtesy, not the guard.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import shiboken6
from PySide6.QtCore import (
    SIGNAL,
    QByteArray,
    QEvent,
    QEventLoop,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.checks import live_findings
from marrowpath.domain.errors import (
    ConcurrentChange,
    DatabaseChanged,
    InvalidCase,
    LifecycleRefused,
    NotFound,
    Problem,
)
from marrowpath.domain.lifecycle import AFTER_FINAL, Action, Status, allowed
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import Permission, User
from marrowpath.domain.validation import DraftCheck, check_draft, read_working
from marrowpath.domain.versions import IssuedVersion
from marrowpath.loggers import logger
from marrowpath.services.cases import CaseView, SaveResult
from marrowpath.services.ports import CaseRecord, PatientRecord
from marrowpath.ui import status as status_words
from marrowpath.ui.editor import steady
from marrowpath.ui.editor.actions import CaseActions
from marrowpath.ui.editor.banner import PatientBanner, patient_name
from marrowpath.ui.editor.bench_bar import CaseBench
from marrowpath.ui.editor.checks_panel import ChecksPanel
from marrowpath.ui.editor.communications import CommunicationsTable
from marrowpath.ui.editor.counters import EditorCounters
from marrowpath.ui.editor.directory import EditorDirectory
from marrowpath.ui.editor.expansion import TemplateExpander
from marrowpath.ui.editor.flags_panel import editor_flags
from marrowpath.ui.editor.form import CaseForm
from marrowpath.ui.editor.layout import Section
from marrowpath.ui.editor.navigation import SectionList
from marrowpath.ui.editor.notices import MessageBar, state_note
from marrowpath.ui.editor.recovery import RecoveryFiles, hold, release
from marrowpath.ui.editor.seat import EditorSeat
from marrowpath.ui.editor.signing import DialogKind, run_dialog
from marrowpath.ui.patient_panel import PatientPanel
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message

Choice = Literal["save", "discard", "cancel"]
T = TypeVar("T")
log = logger(__name__)
RECOVERY_INTERVAL_MS = 30_000
SPLITTER_KEY = "editor/splitter"


class CaseEditor(QWidget):
    """One case: banner, actions, the form in report order, checks, flags and versions.

    Signals:
        title_changed(str) -- the tab title ("BM26-00042 DELGADO, Tomás *" when unsaved).
        case_changed(str) -- accession, after a save, signing, amendment and so on.
        preview_requested(str) -- accession whose report should be shown.
        version_requested(str, int) -- accession and issued version number to show.
        case_requested(str) -- accession of another case to open (the patient's course).
    """

    title_changed = Signal(str)
    case_changed = Signal(str)
    preview_requested = Signal(str)
    version_requested = Signal(str, int)
    case_requested = Signal(str)

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: Callable[[], User],
        accession: str | None,
        parent: QWidget | None = None,
        recovery_interval_ms: int = RECOVERY_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.accession: str | None = accession
        self.record: CaseRecord | None = None
        self.versions: list[IssuedVersion] = []
        self._row_version: int | None = None
        self._status = Status.DRAFT
        self._amending = False
        self._settings = LabSettings()
        self._baseline: dict[str, Any] = {}
        self._loaded = accession is None
        self._editable = False
        self._saving = False
        self._busy = False
        self._last_title = ""
        self._last_check = DraftCheck(problems=[], missing=[])
        self._looked_up_mrn = ""
        self.author = user().username  # whose work this editor holds
        self._recovery = RecoveryFiles(services.data_dir, self.author)
        self._recovery_path: Path | None = None
        # Set when the database's files changed under this process: the recovery copy
        # is then the only place the unsaved text survives a restart.
        self._database_changed = False
        # While counting, the checks that need not be on screen within the frame of a
        # key run after it is painted; a few keys in a burst then share one run.
        self._rest_timer = QTimer(self)
        self._rest_timer.setSingleShot(True)
        self._rest_timer.setInterval(0)
        self._rest_timer.timeout.connect(self._refresh_deferred)
        self._build()
        self.recovery_timer = QTimer(self)
        self.recovery_timer.setInterval(recovery_interval_ms)
        self.recovery_timer.timeout.connect(self.write_recovery)
        self.recovery_timer.start()
        if accession is None:
            self._start_new()
        else:
            self._set_editable(False)
            self.action_bar.state.setText("Opening...")
            self.banner.show_opening(accession)
            self._load(initial=True)

    # ================================================================ building

    def _build(self) -> None:
        self.banner = PatientBanner()
        self.action_bar = CaseActions()
        self.state_bar = MessageBar("Case state")
        self.message_bar = MessageBar("Messages")
        self.recovery_bar = MessageBar("Recovered work")
        self.form = CaseForm(self._settings)
        self.versions_box = Section("Issued versions", "versions")
        self.versions_panel = self._versions_widget()
        self.versions_box.add_widget(self.versions_panel)
        self.versions_box.chain.append(self.versions_panel)
        self.form.add_section(self.versions_box)
        self._build_patient_course()
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form_scroll.setWidget(self.form)
        self.form_scroll.setAccessibleName("Case form")
        self.nav = SectionList(self.form.sections, self.form_scroll, reveal=self._reveal)
        self.nav.install_keys(self)
        nav_width = self.nav.preferred_width
        self.side = ChecksPanel()
        self.side.go_to.connect(self.go_to)
        self.problems = self.side.problems
        self.missing = self.side.missing
        self.flags = self.side.flags
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.form_scroll)
        self.splitter.addWidget(self.side)
        self.splitter.setChildrenCollapsible(True)  # small screens: drag the side lists away
        self.splitter.setCollapsible(1, False)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        side_width = self.fontMetrics().horizontalAdvance("0" * 34)
        self.splitter.setSizes([nav_width, 4 * side_width, side_width])
        remembered = QSettings("MarrowPath", "MarrowPath").value(SPLITTER_KEY)
        if isinstance(remembered, QByteArray):
            self.splitter.restoreState(remembered)
        self.splitter.splitterMoved.connect(self._remember_splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        layout.addWidget(self.action_bar)
        self._build_bench()
        layout.addWidget(self.bench)
        layout.addWidget(self.state_bar)
        layout.addWidget(self.recovery_bar)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.splitter, 1)
        self.form.changed.connect(self._on_changed)
        self.form.section_built.connect(self._order_tabs_through)
        self.form.section_built.connect(self._wire_section)
        self.form.mrn.edit.editingFinished.connect(self._look_up_patient)
        a = self.action_bar
        a.save.clicked.connect(self.save)
        a.preview.clicked.connect(self._preview)
        a.sign_preliminary.clicked.connect(lambda: self._sign(preliminary=True))
        a.sign_final.clicked.connect(lambda: self._sign(preliminary=False))
        a.amend.clicked.connect(self.start_amendment)
        a.discard_amendment.clicked.connect(self.discard_amendment)
        a.sign_amendment.clicked.connect(
            lambda: self._after_saving(lambda: self._open("amendment"))
        )
        a.addendum.clicked.connect(lambda: self._open("addendum"))
        a.withdraw.clicked.connect(lambda: self._after_saving(lambda: self._open("withdraw")))
        a.cancel_case.clicked.connect(lambda: self._after_saving(lambda: self._open("cancel")))
        for first, second in itertools.pairwise(self._tab_chain()):
            QWidget.setTabOrder(first, second)
        seat = EditorSeat(
            editor=self,
            form=self.form,
            services=self._services,
            runner=self._runner,
            user=self._user,
            settings=lambda: self._settings,
            editable=lambda: self._editable,
            say=self.message_bar.show_message,
        )
        self.counters = EditorCounters(
            seat, reveal=lambda widget: self.form_scroll.ensureWidgetVisible(widget, 20, 40)
        )
        self.counters.counting.connect(self._hold_counted)
        self.splitter.splitterMoved.connect(lambda _p, _i: self._release_held())
        self.templates = TemplateExpander(seat)
        self.directory = EditorDirectory(seat)

    def _build_bench(self) -> None:
        """Presence in the banner, the resident's Send for review, the review line."""
        self.bench = CaseBench(
            services=self._services,
            runner=self._runner,
            user=self._user,
            banner=self.banner,
            row_version=lambda: self._row_version,
        )
        self.bench.send_requested.connect(
            lambda: self._after_saving(
                lambda: self.bench.send(self.record.assigned_pathologist if self.record else None)
            )
        )
        self.bench.sent.connect(self._issued)
        self.case_changed.connect(lambda _accession: self.bench.refresh_review())
        self.bench.said.connect(lambda text: self.message_bar.show_message(text, kind="error"))

    def _build_patient_course(self) -> None:
        """The Patient panel as the last section, and the banner's patient menu."""
        self.patient_box = Section("Patient course", "patient")
        self.patient_panel = PatientPanel(
            services=self._services, runner=self._runner, user=self._user
        )
        self.patient_panel.setMinimumHeight(self.fontMetrics().height() * 32)
        self.patient_panel.open_requested.connect(self._open_other_case)
        self.patient_box.add_widget(self.patient_panel)
        self.form.add_section(self.patient_box)
        menu = self.banner.patient_menu
        menu.addAction("Patient course", lambda: self.show_section("patient"))
        self.correct_patient_action = menu.addAction(
            "Correct patient record...", self.correct_patient
        )
        self.correct_patient_action.setEnabled(False)

    def _open_other_case(self, accession: str) -> None:
        if accession != self.accession:
            self.case_requested.emit(accession)

    def _show_patient_course(self, record: CaseRecord) -> None:
        """The patient's marrows, read in the background once the case is shown."""
        patient = record.patient
        self.correct_patient_action.setEnabled(
            patient is not None and self._user().can(Permission.CORRECT_PATIENTS)
        )
        if patient is not None:
            self.patient_panel.load(patient.mrn)

    def correct_patient(self) -> None:
        """The correction dialog for this case's patient; afterwards the case reloads
        (its working document now has the corrected identity)."""
        self._after_saving(self._open_correction)

    def _open_correction(self) -> None:
        patient = self.record.patient if self.record else None
        if patient is None:
            return
        from marrowpath.ui.dialogs.patient_correction import PatientCorrectionDialog

        dialog = PatientCorrectionDialog(
            patient, services=self._services, runner=self._runner, user=self._user, parent=self
        )
        dialog.amendment_started.connect(self.case_requested)
        dialog.corrected.connect(lambda _mrn: self.reload())
        dialog.exec()
        dialog.deleteLater()

    def _tab_chain(self) -> list[QWidget]:
        """Tab order: the banner's Patient button (the banner is above the actions), the
        actions, the section list, the form (the sections made so far), the lists beside
        it."""
        return [
            self.banner.patient_button,
            self.action_bar.save,
            self.action_bar.preview,
            *self.action_bar.lifecycle,
            self.nav,
            *(widget for section in self.form.sections for widget in section.chain),
            self.problems,
            self.missing,
        ]

    def _order_tabs_through(self, section: Section) -> None:
        """A section made after the editor: its inputs go after the widget before them
        (each one moved after the previous keeps everything else in place)."""
        if not section.chain:
            return
        chain = self._tab_chain()
        start = chain.index(section.chain[0])
        for first, second in itertools.pairwise(chain[start - 1 : start + len(section.chain)]):
            QWidget.setTabOrder(first, second)

    def _wire_section(self, section: Section) -> None:
        """The Critical results list, once made: its button opens the recording dialog."""
        for table in section.tables:
            if isinstance(table, CommunicationsTable):
                table.record_requested.connect(self.record_communication)
                table.set_can_record(self._may_record())

    def _communications(self) -> CommunicationsTable | None:
        """The Critical results list if its section was made (never makes it)."""
        for section in self.form.sections:
            for table in section.tables if section.built else ():
                if isinstance(table, CommunicationsTable):
                    return table
        return None

    def _reveal(self, _section: Section) -> None:
        """Before scrolling to a section: finish the form (the checks it then shows under
        fields change the heights above) and lay it out, so that positions are final."""
        if not self.form.complete:
            self.form.complete_now()
            settle_layout(self.form)

    def _remember_splitter(self, _position: int, _index: int) -> None:
        """The widths a user dragged the lists to are kept for the next case (QSettings)."""
        QSettings("MarrowPath", "MarrowPath").setValue(SPLITTER_KEY, self.splitter.saveState())

    def _versions_widget(self) -> QWidget:
        """The versions panel of the dialogs package (a plain list when it is absent)."""
        try:
            from marrowpath.ui.dialogs.versions import VersionsPanel
        except ImportError:
            from marrowpath.ui.editor.versions_list import VersionList

            panel: Any = VersionList()
        else:
            panel = VersionsPanel(
                services=self._services, runner=self._runner, user=self._user, parent=None
            )
        panel.open_version.connect(self._open_version)
        widget: QWidget = panel
        return widget

    def resizeEvent(self, event: QResizeEvent) -> None:
        """In a narrow window (200 % scaling on a laptop) the form comes first: the
        section list steps aside; scrolling and Tab still reach every section."""
        narrow = event.size().width() < self.fontMetrics().horizontalAdvance("0" * 110)
        if self.nav.isHidden() != narrow:
            self.nav.setHidden(narrow)
        self._release_held()
        super().resizeEvent(event)

    def _release_held(self) -> None:
        """Labels held at their size while counting take the new widths (held again at
        them on their next change); nothing is held when not counting."""
        differential = self.counters.differential
        if differential is not None and differential.running:
            steady.release_all(self)

    def _hold_counted(self, counting: bool) -> None:
        """While counting, the labels a counted cell rewords keep their sizes (`steady`)."""
        for label in self.form.live.counted_labels():
            steady.hold(label, counting)
        self.side.flags.hold(counting)

    # ================================================================ public interface

    def tab_title(self) -> str:
        if not self.form.complete:  # still being made, so nothing was typed yet
            return self._title(self.form.source or {})
        return self._title(self.document())

    def _title(self, document: dict[str, Any]) -> str:
        patient = document.get("patient")
        name = patient_name(patient if isinstance(patient, dict) else {})
        if self.accession is not None:
            title = self.accession
        else:
            proposed = self.form.accession.edit.text().strip()
            title = f"{proposed} (new)" if proposed else "New case"
        if name:
            title += f" {name}"
        return title + (" *" if self._dirty(document) else "")

    def document(self) -> dict[str, Any]:
        """The working document as currently typed (absent fields omitted)."""
        return self.form.document()

    def is_dirty(self) -> bool:
        if not self.form.complete:
            return False  # still being made, so untouched: any change completes the form
        return self._dirty(self.document())

    def _dirty(self, document: dict[str, Any]) -> bool:
        return self._loaded and self._editable and self.form.complete and document != self._baseline

    @property
    def read_only(self) -> bool:
        return not self._editable

    @property
    def status(self) -> Status:
        return self._status

    @property
    def saving(self) -> bool:
        return self._saving

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def row_version(self) -> int | None:
        return self._row_version

    def save(self) -> None:
        """Ctrl+S: save the draft off the GUI thread (refused here when a rule is broken)."""
        self._save()

    def sign_out(self) -> None:
        """Ctrl+Return: save if needed, then the final sign-out (or the amendment's)."""
        user = self._user()
        if not user.can(Permission.SIGN):
            return
        if allowed(Action.SIGN_FINAL, self._status, amendment_in_progress=self._amending):
            self._sign(preliminary=False)
        elif allowed(Action.SIGN_AMENDMENT, self._status, amendment_in_progress=self._amending):
            self._after_saving(lambda: self._open("amendment"))
        else:
            self.message_bar.show_message(
                f"Nothing to sign: the case is {status_words.word(self._status).lower()}. "
                + ("Use Amend to change the issued report." if self._status in AFTER_FINAL else ""),
                kind="info",
            )

    def maybe_close(self) -> bool:
        """The unsaved-changes guard; False keeps the tab open."""
        if not self.is_dirty():
            self._close_down()
            return True
        choice = self.ask_unsaved()
        if choice == "cancel":
            return False
        if choice == "discard":
            if not self._database_changed:
                self._recovery.delete(self._recovery_path)
            self._close_down()
            return True
        if self.save_and_wait():
            self._close_down()
            return True
        return False

    def ask_unsaved(self) -> Choice:
        """Save / Discard / Cancel (a method so that tests can answer it)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"{self.tab_title().removesuffix(' *')} has unsaved changes.")
        box.setInformativeText("Save them before closing?")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return "save"
        if answer == QMessageBox.StandardButton.Discard:
            return "discard"
        return "cancel"

    def confirm(self, title: str, text: str, action: str) -> bool:
        """A yes/no question before a destructive step (a method so tests can answer)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def _close_down(self) -> None:
        self.recovery_timer.stop()
        self.bench.release()
        release(self._recovery_path)

    # ================================================================ loading

    def _guarded(self, callback: Callable[[T], object]) -> Callable[[T], None]:
        """A task callback that does nothing once the editor's tab was closed."""

        def call(value: T) -> None:
            if shiboken6.isValid(self):
                callback(value)

        return call

    def _load(self, *, initial: bool) -> None:
        accession = self.accession
        assert accession is not None
        user = self._user()
        self._set_busy(True)
        self._runner.run(
            lambda: self._services.cases.open(user, accession),
            on_done=self._guarded(lambda view: self._opened(view, initial=initial)),
            on_error=self._guarded(lambda error: self._open_failed(error)),
        )

    def _opened(self, view: CaseView, *, initial: bool) -> None:
        self._set_busy(False)
        record = view.record
        state_changed = self._loaded and (self._status, self._amending) != (
            record.status,
            record.amendment_in_progress,
        )
        self.record = record
        self.versions = list(view.versions)
        self._row_version = record.row_version
        self._status = record.status
        self._amending = record.amendment_in_progress
        if state_changed:
            # A message about the case as it was ("Complete: ready for sign-out") no
            # longer holds once it was signed, amended or cancelled (issue 16).
            self.message_bar.clear()
        self._settings = view.settings
        self.form.set_settings(view.settings)
        self.form.accession.set_editable(False)
        self._loaded = True
        self.form.set_people(view.people)
        self.form.load(record.working)
        self._set_editable(self._may_edit())
        self.versions_panel.set_versions(self.versions)  # type: ignore[attr-defined]
        self.action_bar.state.setText(
            f"Last saved {self._local(record.updated_at)} by {view.name_of(record.updated_by)}"
        )
        self._show_state()
        self._show_banner(record.working)  # who the case is about, before the rest is made
        self._show_patient_course(record)
        self.bench.opened(record.accession, view.review, editable=self._may_edit())
        self._show_title(self.tab_title())
        self.form.when_complete(self._check_opened)
        self.form.finish_later()
        if initial:
            self._offer_case_recovery(record)
        else:
            self._recovery.delete(self._recovery_path)
        self._recovery_path = self._recovery.for_case(record.accession)
        hold(self._recovery_path)

    def _check_opened(self) -> None:
        """Once the whole form shows the case: the baseline of unsaved changes, then the
        rules, missing fields and flags (once, not per section or field)."""
        self._baseline = self.form.pristine()
        self._refresh()

    def _open_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self._set_editable(False)
        self.action_bar.state.setText("")
        words = user_message(error)
        if isinstance(error, NotFound):
            words += " It may have been removed, or your role cannot see it."
        self.message_bar.show_message(f"The case could not be opened: {words}", kind="error")

    def _start_new(self) -> None:
        user = self._user()
        self._set_editable(user.can(Permission.EDIT))
        self._baseline = self.form.document()
        self._recovery_path = self._recovery.for_new_case()
        hold(self._recovery_path)
        self._show_state()
        self._refresh()
        if not user.can(Permission.EDIT):
            return
        services = self._services
        self.action_bar.state.setText("Proposing an accession number...")
        self._runner.run(
            lambda: (services.cases.next_accession(user), services.lab.settings()),
            on_done=self._guarded(lambda result: self._proposed(*result)),
            on_error=self._guarded(lambda error: self._proposal_failed(error)),
        )
        self._offer_new_case_recovery()

    def _proposed(self, accession: str, settings: LabSettings) -> None:
        self.action_bar.state.setText("Not saved yet")
        self._settings = settings
        self.form.set_settings(settings)
        field = self.form.accession
        if self.accession is None and not field.edit.text().strip():
            clean = not self.is_dirty()
            field.set_value(accession)
            if clean:
                self._baseline = self.form.document()
        self._refresh()

    def _proposal_failed(self, error: Exception) -> None:
        self.action_bar.state.setText("Not saved yet")
        self.message_bar.show_message(
            "No accession number could be proposed "
            f"({user_message(error)}). Type one, or leave it empty and one is given on save.",
            kind="warning",
        )

    def reload(self) -> None:
        """Read the case again from the database (local edits are discarded)."""
        if self.accession is not None:
            self._load(initial=False)

    def _reload_discarding(self) -> None:
        self.message_bar.clear()
        self._recovery.delete(self._recovery_path)
        self.reload()

    # ================================================================ state

    def _may_edit(self) -> bool:
        if not self._user().can(Permission.EDIT):
            return False
        if self.accession is None:
            return True
        return allowed(Action.EDIT, self._status, amendment_in_progress=self._amending)

    def _set_editable(self, editable: bool) -> None:
        self._editable = editable
        self.form.set_editable(editable)
        if self.accession is not None:
            self.form.accession.set_editable(False)
        self._refresh_actions()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._refresh_actions()

    def _may_record(self) -> bool:
        """Whether this user may record a critical-result communication now: those who
        may sign, on an open case or an issued one that takes an addendum (the service
        decides again)."""
        if not self._user().can(Permission.SIGN) or not self._loaded:
            return False
        if self.accession is None:
            return self._editable  # saved first, then recorded
        return allowed(Action.EDIT, self._status, amendment_in_progress=self._amending) or allowed(
            Action.ADDENDUM, self._status, amendment_in_progress=self._amending
        )

    def _refresh_actions(self) -> None:
        table = self._communications()
        if table is not None:
            table.set_can_record(self._may_record() and not (self._busy or self._saving))
        self.action_bar.refresh(
            user=self._user(),
            status=self._status,
            amendment_in_progress=self._amending,
            saved=self.accession is not None,
            editable=self._editable and self._loaded,
            busy=self._busy or self._saving,
        )

    def _show_state(self) -> None:
        """The note above the form: why it is read-only, or that an amendment is open."""
        record = self.record
        note = state_note(
            self._user(),
            self._status,
            amendment_in_progress=self._amending,
            reason=record.closing_reason if record else None,
        )
        if note is None:
            self.state_bar.clear()
        else:
            self.state_bar.show_message(note[0], kind=note[1])

    # ================================================================ live checks

    def _on_changed(self) -> None:
        differential = self.counters.differential
        if differential is not None and differential.running:
            # A counted cell: what `bench.md` asks within the frame (the flags and the
            # intervals; the grid and its summary updated themselves) now, the rest
            # once the frame is painted, from the event loop (decision 85).
            document = self.document()
            self._refresh_in_frame(document)
            self._rest_timer.start()
            return
        self._refresh()

    def _refresh(self) -> None:
        """After every change: rules, missing fields, flags, banner, derived labels, title."""
        self._rest_timer.stop()
        document = self.document()
        self._refresh_in_frame(document)
        self._refresh_rest(document)

    def _refresh_in_frame(self, document: dict[str, Any]) -> None:
        """What a counted cell must show within one frame: advisory flags, intervals."""
        today = self._services.today()
        final = allowed(Action.SIGN_FINAL, self._status, amendment_in_progress=self._amending)
        reading = read_working(document, today=today)  # once, for the flags and the values
        self.side.show_flags(
            editor_flags(document, today=today, final_sign_out=final, reading=reading)
        )
        self.form.live.show(reading.case, self._settings)

    def _refresh_deferred(self) -> None:
        self._refresh_rest(self.document())

    def _refresh_rest(self, document: dict[str, Any]) -> None:
        """Rules and missing fields, consistency findings, banner, title."""
        today = self._services.today()
        check = check_draft(document, today=today)
        self._last_check = check
        self._show_check(check)
        self.side.show_findings(live_findings(document, self._settings, today=today))
        self._show_banner(document)
        self._show_title(self._title(document))

    def _show_title(self, title: str) -> None:
        if title != self._last_title:
            self._last_title = title
            self.title_changed.emit(title)

    def _show_banner(self, document: dict[str, Any]) -> None:
        self.banner.show_case(
            document,
            status=self._status,
            accession=self.accession or (document.get("accession") or None),
            today=self._services.today(),
            amendment_in_progress=self._amending,
        )

    def _show_check(self, check: DraftCheck) -> None:
        self.form.show_problems(check.problems)  # at the fields; all are listed beside too
        self._list_problems(check.problems)
        entries = self.form.missing_entries(check.missing)
        self.side.show_missing(
            [(title, "", path) for title, path in entries],
            editable=self._editable,
            problems=bool(check.problems),
        )

    def _list_problems(self, problems: list[Problem]) -> None:
        in_form_order = sorted(problems, key=lambda p: self.form.order(p.path))
        self.side.show_problems(
            [(self.form.title(p.path), p.message, p.path) for p in in_form_order]
        )

    # ================================================================ navigation

    def go_to(self, path: str) -> None:
        """Put the cursor in the field of a path and scroll it into view."""
        complete = self.form.complete
        widget = self.form.focus(path)
        if widget is not None:
            if not complete:  # the form was completed just now: place it before scrolling
                settle_layout(self.form)
            self.form_scroll.ensureWidgetVisible(widget, 20, 40)

    def show_section(self, key: str) -> None:
        """Scroll so that a section's title is at the top (e.g. "aspirate")."""
        self.nav.show_section(key)

    # ================================================================ patient lookup

    def _look_up_patient(self) -> None:
        mrn = self.form.mrn.edit.text().strip()
        if not self._editable or not mrn or mrn == self._looked_up_mrn:
            return
        self._looked_up_mrn = mrn
        user = self._user()
        self._runner.run(
            lambda: self._services.cases.find_patient(user, mrn),
            on_done=self._guarded(lambda found: self._patient_found(mrn, found)),
            on_error=lambda _e: None,  # the lookup is a convenience; saving checks again
        )

    def _patient_found(self, mrn: str, found: PatientRecord | None) -> None:
        note = self.form.live.patient_note
        if self.form.mrn.edit.text().strip() != mrn:
            return  # the MRN was changed again meanwhile
        if found is None:
            note.setText("New patient: no record with this MRN yet.")
            note.show()
            return
        values = {
            "patient.family_name": found.family_name,
            "patient.given_names": found.given_names,
            "patient.birth_date": found.birth_date.isoformat(),
            "patient.sex": found.sex.value,
        }
        changed = False
        for path, value in values.items():
            field = self.form.field(path)
            if field.value() != value and not (value == "" and field.value() is None):
                field.set_value(value)
                changed = True
        note.setText(
            f"Patient on file: {patient_name(values_to_patient(values))}, born "
            f"{found.birth_date.isoformat()}"
            + (" (details filled in from the patient record)." if changed else ".")
        )
        note.show()
        self._refresh()

    # ================================================================ saving

    def _save(
        self,
        then: Callable[[], None] | None = None,
        failed: Callable[[], None] | None = None,
    ) -> None:
        if self._saving:
            if failed:
                failed()
            return
        if not self._editable or not self._loaded:
            self.message_bar.show_message(
                "This case cannot be edited now; there is nothing to save.", kind="info"
            )
            if failed:
                failed()
            return
        document = self.document()
        check = check_draft(document, today=self._services.today())
        self._show_check(check)
        if check.problems:
            count = len(check.problems)
            self.message_bar.show_message(
                f"Not saved: {count} problem{'s' if count != 1 else ''} must be fixed first. "
                "Each is marked in red at its field and listed on the right.",
                kind="error",
            )
            self.go_to(check.problems[0].path)
            if failed:
                failed()
            return
        user = self._user()
        if user.username != self.author:
            # Defence in depth: the window closes an author's editors before anyone else
            # signs in, so this is never reached; if it were, nothing is saved.
            self.message_bar.show_message(
                f"Not saved: this case was opened by {self.author}; only they can save "
                "their changes.",
                kind="error",
            )
            if failed:
                failed()
            return
        cases = self._services.cases
        accession = self.accession
        work: Callable[[], CaseRecord | SaveResult]
        if accession is None:

            def work() -> CaseRecord | SaveResult:
                return cases.create(user, document)

        else:
            expected = self._row_version or 0

            def work() -> CaseRecord | SaveResult:
                return cases.save(user, accession, document, expected_row_version=expected)

        self._saving = True
        self.action_bar.state.setText("Saving...")
        self._refresh_actions()
        self._runner.run(
            work,
            on_done=self._guarded(lambda result: self._saved(document, result, then)),
            on_error=self._guarded(lambda error: self._save_failed(error, failed)),
        )

    def _saved(
        self,
        document: dict[str, Any],
        result: CaseRecord | SaveResult,
        then: Callable[[], None] | None,
    ) -> None:
        self._saving = False
        if isinstance(result, CaseRecord):
            self._recovery.delete(self._recovery_path)
            release(self._recovery_path)
            self.accession = result.accession
            self.record = result
            self._row_version = result.row_version
            self._status = result.status
            self.form.accession.set_value(result.accession)
            self.form.accession.set_editable(False)
            document = {**document, "accession": result.accession}
            if self._rest_timer.isActive():  # a counted cell's checks, not run yet
                self._refresh_deferred()
            missing = self._last_check.missing
            self._recovery_path = self._recovery.for_case(result.accession)
            hold(self._recovery_path)
        else:
            self._row_version = result.row_version
            missing = result.missing
        self._baseline = document
        if not self.is_dirty():
            self._recovery.delete(self._recovery_path)
        entries = self.form.missing_entries(missing)
        now = datetime.now().strftime("%H:%M")
        self.action_bar.state.setText(f"Saved at {now}")
        if entries:
            self.message_bar.show_message(
                f"Saved as a draft at {now}. {len(entries)} required field"
                f"{'s are' if len(entries) != 1 else ' is'} still empty (listed on the right); "
                "the case can be signed once they are filled in.",
                kind="info",
            )
        else:
            self.message_bar.show_message(f"Saved at {now}. Complete: ready for sign-out.")
        self._refresh_actions()
        self._refresh()
        assert self.accession is not None
        self.case_changed.emit(self.accession)
        if then:
            then()

    def _save_failed(self, error: Exception, failed: Callable[[], None] | None) -> None:
        self._saving = False
        self.action_bar.state.setText("Not saved")
        self._refresh_actions()
        if isinstance(error, ConcurrentChange | LifecycleRefused) and self.accession:
            self.message_bar.show_message(
                f"Not saved: {error}. Someone else changed or signed this case after you "
                "opened it; your changes are still here. Reload to see the stored case (your "
                "changes are then discarded), or keep editing and copy what you need first.",
                kind="error",
                actions=[
                    ("&Reload (discard my changes)", self._reload_discarding),
                    ("&Keep editing", self.message_bar.clear),
                ],
            )
        elif isinstance(error, DatabaseChanged):
            self._database_changed = True
            self.message_bar.show_message(
                f"Not saved: the database file was changed by another program; "
                f"{self._keep_recovery_copy()} Close MarrowPath and start it again; the "
                "copy is offered when you open this case. Never copy, delete or edit the "
                "database's files while MarrowPath runs.",
                kind="error",
            )
        elif isinstance(error, InvalidCase):
            self.form.show_problems(error.problems)
            self._list_problems(error.problems)
            self.message_bar.show_message(f"Not saved: {error}", kind="error")
        else:
            self.message_bar.show_message(f"Not saved: {user_message(error)}", kind="error")
        if failed:
            failed()

    def save_and_wait(self) -> bool:
        """Save and wait for the answer (the close guard needs a yes or no)."""
        outcome: dict[str, bool] = {}
        loop = QEventLoop()

        def finish(ok: bool) -> None:
            outcome["ok"] = ok
            loop.quit()

        self._save(then=lambda: finish(True), failed=lambda: finish(False))
        if "ok" not in outcome:
            loop.exec()
        return outcome.get("ok", False)

    def _after_saving(self, action: Callable[[], None]) -> None:
        """Run an action on the stored document: save first when there are changes."""
        if self.accession is None or self.is_dirty():
            self._save(then=action)
        else:
            action()

    # ================================================================ recovery

    def write_recovery(self) -> None:
        """Write unsaved work to the recovery file (the timer calls this every 30 s)."""
        if not self.is_dirty() or self._recovery_path is None:
            return
        if not self.recovery_bar.isHidden():
            return  # older unsaved work is on offer: never overwrite it before a choice
        try:
            self._recovery.write(self._recovery_path, self.document())
        except OSError as error:
            self.message_bar.show_message(
                f"Unsaved changes could not be written to the recovery file "
                f"({error.strerror or error}). Save soon.",
                kind="warning",
            )

    def keep_unsaved_work(self) -> Path | None:
        """Write the unsaved work to its author's recovery copy now, even when an older
        copy is on offer (the newer work matters more), and return the file; None when
        there is nothing unsaved. For work that cannot be saved now: a session that ends
        without its user, a database that refuses to go on.

        Raises:
            OSError: the copy could not be written.
        """
        if not self.is_dirty():
            return None
        if self._recovery_path is None:
            self._recovery_path = self._recovery.for_new_case()
            hold(self._recovery_path)
        self._recovery.write(self._recovery_path, self.document())
        return self._recovery_path

    def close_keeping_recovery(self) -> Path | None:
        """Close without saving and without asking: the unsaved work stays only as the
        author's recovery copy (returned), offered to them when they open the case again.
        Used when the session is handed to another user."""
        try:
            kept = self.keep_unsaved_work()
        except OSError:
            log.exception("the recovery copy of %s could not be written", self.accession)
            kept = None
        self.recovery_bar.clear()
        self._close_down()
        return kept

    @property
    def recovery_path(self) -> Path | None:
        return self._recovery_path

    def _keep_recovery_copy(self) -> str:
        """Write the unsaved text to the recovery file now, not at the next timer tick;
        says in words where it is."""
        if self._recovery_path is None or not self.recovery_bar.isHidden():
            return "your unsaved text is still on screen: copy what you need first."
        try:
            self._recovery.write(self._recovery_path, self.document())
        except OSError as error:
            return (
                f"your unsaved text could not be written to a recovery copy "
                f"({error.strerror or error}): copy what you need first."
            )
        return f"your unsaved text is kept in a recovery copy ({self._recovery_path})."

    def _offer_case_recovery(self, record: CaseRecord) -> None:
        path = self._recovery.for_case(record.accession)
        if not path.exists() or not self._editable:
            return
        if not self._recovery.newer_than(path, record.updated_at):
            return
        self._offer(path, "Changes to this case that were never saved")

    def _offer_new_case_recovery(self) -> None:
        files = self._recovery.unsaved_new_cases()
        if files:
            self._offer(files[0], "A new case that was never saved")

    def _offer(self, path: Path, what: str) -> None:
        when = self._recovery.modified(path)
        stamp = self._local(when) if when else "earlier"
        self.recovery_bar.show_message(
            f"{what} (last written {stamp}) were kept in a recovery file. Restore them "
            "into this editor?",
            kind="warning",
            actions=[
                ("Restore", lambda: self.restore_recovery(path)),
                ("Discard", lambda: self._discard_recovery(path)),
            ],
        )

    def restore_recovery(self, path: Path) -> None:
        if not self._recovery.belongs_here(path):
            return  # another user's copy: never shown, never restored
        self.form.complete_now()  # the baseline is the case as opened, not the restored work
        data = self._recovery.read(path)
        self.recovery_bar.clear()
        if data is None:
            self.message_bar.show_message(
                "The recovery file could not be read; nothing was restored.", kind="warning"
            )
            return
        if self.accession is not None:
            data = {**data, "accession": self.accession}
        elif path != self._recovery_path:
            self._recovery.delete(self._recovery_path)
            release(self._recovery_path)
            self._recovery_path = path
            hold(path)
        self.form.load(data)
        self._refresh()
        self.message_bar.show_message(
            "Recovered changes restored. They are not saved yet: check them and save.",
            kind="info",
        )

    def _discard_recovery(self, path: Path) -> None:
        if not self._recovery.belongs_here(path):
            return
        self._recovery.delete(path)
        self.recovery_bar.clear()

    # ================================================================ lifecycle actions

    def _preview(self) -> None:
        if self.accession is None:
            return
        accession = self.accession
        if self._editable and self.is_dirty():
            self._save(then=lambda: self.preview_requested.emit(accession))
        else:
            self.preview_requested.emit(accession)

    def _open_version(self, accession: str, number: int) -> None:
        """A version chosen in the versions panel: the window shows that version when it
        listens to version_requested, else the report preview of the case."""
        if self.receivers(SIGNAL("version_requested(QString,int)")) > 0:
            self.version_requested.emit(accession, number)
        else:
            self.preview_requested.emit(accession)

    def _issued(self) -> None:
        """After a dialog was accepted: read the case again and tell the worklist."""
        if self.accession is None:
            return
        self._recovery.delete(self._recovery_path)
        self.case_changed.emit(self.accession)
        self.reload()

    def _open(self, kind: DialogKind) -> None:
        """Open a lifecycle dialog on the stored case; reload when it was completed."""
        if self.accession is None:
            return
        try:
            accepted = run_dialog(
                kind,
                services=self._services,
                runner=self._runner,
                user=self._user(),
                accession=self.accession,
                row_version=self._row_version or 0,
                parent=self,
            )
        except ImportError as error:
            self.message_bar.show_message(
                f"This action is not available in this installation ({error.name}).",
                kind="error",
            )
            return
        if accepted:
            self._issued()

    def record_communication(self) -> None:
        """Record a critical-result communication on the stored case (unsaved changes
        are saved first); before final sign-out it joins the working document, after it
        the dialog signs an addendum. The case is read again afterwards."""
        if not self._may_record():
            return
        self._after_saving(lambda: self._open("communication"))

    def _sign(self, *, preliminary: bool) -> None:
        """Sign-out works on the stored document: unsaved changes are saved first."""
        self._after_saving(lambda: self._open("preliminary" if preliminary else "final"))

    def start_amendment(self) -> None:
        """Reopen the issued report as an amendment in progress (editable again)."""
        if self.accession is None:
            return
        accession, user = self.accession, self._user()
        self._set_busy(True)
        self._runner.run(
            lambda: self._services.cases.start_amendment(user, accession),
            on_done=self._guarded(lambda _record: self._lifecycle_done()),
            on_error=self._guarded(lambda error: self._lifecycle_failed(error)),
        )

    def discard_amendment(self) -> None:
        """Throw the amendment in progress away; the issued report stays as it was."""
        if self.accession is None:
            return
        if not self.confirm(
            "Discard amendment",
            "Discard the amendment in progress? Its changes are lost; the issued report "
            "stays exactly as it was.",
            "Discard amendment",
        ):
            return
        accession, user = self.accession, self._user()
        self._set_busy(True)
        self._runner.run(
            lambda: self._services.cases.discard_amendment(user, accession),
            on_done=self._guarded(lambda _none: self._lifecycle_done()),
            on_error=self._guarded(lambda error: self._lifecycle_failed(error)),
        )

    def _lifecycle_done(self) -> None:
        self._set_busy(False)
        self._issued()

    def _lifecycle_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.message_bar.show_message(user_message(error), kind="error")

    # ================================================================ helpers

    @staticmethod
    def _local(when: datetime) -> str:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone().strftime("%Y-%m-%d %H:%M")


def settle_layout(widget: QWidget) -> None:
    """Run the layout requests a change of content posted, so that positions are final
    now (a scroll position read before they ran would be that of the old layout)."""
    for _ in range(4):  # each level of nesting posts the next request to its parent
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    widget.updateGeometry()


def values_to_patient(values: dict[str, str]) -> dict[str, Any]:
    return {path.removeprefix("patient."): value for path, value in values.items()}
