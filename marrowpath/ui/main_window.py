"""The one main window: toolbar, the worklist as home, cases in tabs, a status bar."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QToolBar,
    QWidget,
)

from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import Permission, User
from marrowpath.services.outbox import needs_attention
from marrowpath.ui.curtain import Curtains
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.menus import build_menus
from marrowpath.ui.patient_panel import PatientPanel
from marrowpath.ui.preview import PreviewWidget
from marrowpath.ui.services import Services
from marrowpath.ui.sign_in import IdleWatcher, SignInDialog
from marrowpath.ui.tasks import TaskRunner, collect_garbage_soon
from marrowpath.ui.worklist import WorklistView, stretch_diagnosis

DELIVERY_CHECK_MS = 60_000
DEFAULT_SIZE = (1366, 800)
MIN_SIZE = (900, 560)


class MainWindow(QMainWindow):
    """Holds the signed-in user and hands `self.user` to every widget that acts."""

    def __init__(
        self,
        services: Services,
        user: User,
        *,
        idle_minutes: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self._user = user
        self.runner = TaskRunner(self)
        self.setWindowTitle("MarrowPath")
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.worklist = WorklistView(services=services, runner=self.runner, user=self.user)
        self.tabs.addTab(self.worklist, "Worklist")
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.setCentralWidget(self.tabs)
        self._build_actions()
        self._build_status_bar()
        self.tabs.currentChanged.connect(lambda _i: self._update_actions())
        self.worklist.open_requested.connect(self.open_case)
        self.worklist.patient_requested.connect(self.open_patient)
        self.worklist.count_changed.connect(self.count_label.setText)
        self.runner.busy_changed.connect(self._on_busy)
        self.runner.failed.connect(lambda text: QMessageBox.warning(self, "MarrowPath", text))
        self._locked = False
        self.curtains = Curtains()
        self.idle = IdleWatcher(
            idle_minutes if idle_minutes is not None else LabSettings().idle_minutes, self
        )
        if idle_minutes is None:  # the lab's setting, read off the GUI thread
            self.runner.run(
                services.lab.settings,
                on_done=lambda settings: self.idle.set_minutes(settings.idle_minutes),
                on_error=lambda _error: None,  # the default stands; the fault is logged
                owner=self,
            )
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.idle.watch(app)
        self.idle.idle.connect(self.lock)
        self._restore_geometry()
        self._show_user()
        self.worklist.apply_filters()
        self._delivery_timer = QTimer(self)
        self._delivery_timer.setInterval(DELIVERY_CHECK_MS)
        self._delivery_timer.timeout.connect(self.check_deliveries)
        self._delivery_timer.start()
        QTimer.singleShot(2_000, self.check_deliveries)

    # ------------------------------------------------------------ user and session

    def user(self) -> User:
        return self._user

    def _show_user(self) -> None:
        self.user_label.setText(f"{self._user.full_name} ({self._user.role.value})")
        self._update_actions()

    def lock(self) -> None:
        """Idle lock: every window is covered and only the user's password unlocks; open
        tabs and unsaved work stay. "Switch user" instead ends the session without its
        user: nothing is saved, unsaved work is kept as that user's recovery copy."""
        if self._locked:
            return
        self._locked = True
        self.idle.pause()
        self.curtains.cover()
        dialog = SignInDialog(self.services.auth, locked_user=self._user, parent=self)
        unlocked = bool(dialog.exec()) and dialog.user is not None
        dialog.deleteLater()
        if unlocked:
            self.curtains.lift()
            self._locked = False
            self.idle.resume()
            return
        self._end_session(save_choice=False)
        self._locked = False
        self._sign_in_next(required=True)

    def switch_user(self, *, required: bool = False) -> None:
        """Sign in as someone else (the toolbar's Switch user, its user at the keyboard):
        each case asks about its unsaved work first; then nothing of this session
        remains on screen while the next user signs in."""
        if self._locked:
            return
        if not self._end_session(save_choice=True):
            return
        self._sign_in_next(required=required)

    def _end_session(self, *, save_choice: bool) -> bool:
        """Close every case and dialog of the session and clear the worklist.

        With `save_choice` (the signed-in user asked for it) each case with unsaved work
        asks Save / Discard / Cancel, and Cancel keeps the session (False). Without it
        (the session is locked and someone else is at the keyboard) nothing is saved or
        asked: unsaved work becomes the author's recovery copy.
        """
        if save_choice:
            if not self.close_all_cases():
                return False
        else:
            self._close_session_dialogs()
            for index in reversed(range(1, self.tabs.count())):
                widget = self.tabs.widget(index)
                if isinstance(widget, CaseEditor):
                    widget.close_keeping_recovery()
                self.tabs.removeTab(index)
                if widget is not None:
                    widget.deleteLater()
        self.idle.pause()
        self.curtains.cover("Signing in...")
        self.worklist.clear_session()
        self.user_label.setText("")
        self.deliveries_label.hide()
        self._update_actions()
        return True

    def _close_session_dialogs(self) -> None:
        """Dialogs left open by the locked user (a sign-out half done, a print dialog)
        close as if cancelled: nothing they were about to do happens."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        for window in app.topLevelWidgets():
            if isinstance(window, QDialog) and window.isVisible():
                window.done(QDialog.DialogCode.Rejected.value)

    def _sign_in_next(self, *, required: bool) -> None:
        """Ask who signs in next. Nobody: the window closes when a user was required
        (the locked user's session is over), else the same user carries on."""
        dialog = SignInDialog(
            self.services.auth, database_label=self.services.database_label, parent=self
        )
        signed_in = bool(dialog.exec()) and dialog.user is not None
        dialog.deleteLater()
        if signed_in and dialog.user is not None:
            self._user = dialog.user
        elif required:
            self.curtains.lift()
            self.close()
            return
        self.curtains.lift()
        self._show_user()
        self.worklist.apply_filters()
        self.check_deliveries()
        self.idle.resume()

    # ------------------------------------------------------------ actions

    def _build_actions(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("main-toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)

        def action(
            text: str,
            shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
            slot: object,
            tip: str,
        ) -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
            act.triggered.connect(slot)
            bar.addAction(act)
            return act

        self.new_action = action(
            "New case", QKeySequence.StandardKey.New, self.new_case, "Start a new case"
        )
        self.open_action = action("Open", None, self.open_selected, "Open the selected case")
        self.save_action = action(
            "Save", QKeySequence.StandardKey.Save, self.save_current, "Save the case"
        )
        self.sign_action = action(
            "Sign out...", "Ctrl+Return", self.sign_current, "Sign the report out"
        )
        self.print_action = action(
            "Print...",
            QKeySequence.StandardKey.Print,
            self.print_current,
            "Preview and print the report",
        )
        bar.addSeparator()
        self.search_action = QAction("Search", self)
        self.search_action.setShortcut(QKeySequence.StandardKey.Find)
        self.search_action.triggered.connect(self.focus_search)
        self.addAction(self.search_action)
        self.refresh_action = action(
            "Refresh",
            QKeySequence.StandardKey.Refresh,
            lambda: self.worklist.model.refresh(),
            "Reload the worklist",
        )
        bar.addSeparator()
        self.admin_action = action(
            "Administration...",
            None,
            self.open_admin,
            "Lab identity, reference intervals, rules and users",
        )
        self.deliveries_action = action(
            "Deliveries...", None, self.open_deliveries, "Reports sent to the hospital record"
        )
        self.switch_action = action(
            "Switch user", None, lambda: self.switch_user(), "Sign in as another user"
        )
        self.next_action = QAction("Next case", self)
        self.next_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.next_action.setToolTip(
            "Save this case and open the next one awaiting your signature (Ctrl+Shift+N)"
        )
        self.next_action.triggered.connect(self.next_case)
        bar.insertAction(self.print_action, self.next_action)
        self.close_action = QAction("Close case tab", self)
        self.close_action.setShortcut(QKeySequence("Ctrl+W"))
        self.close_action.triggered.connect(self.close_current_tab)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.menus = build_menus(self)

    def _update_actions(self) -> None:
        user = self._user
        editor = self.current_editor()
        can_edit = user.can(Permission.EDIT)
        self.new_action.setEnabled(can_edit)
        self.save_action.setEnabled(editor is not None and can_edit)
        self.sign_action.setVisible(user.can(Permission.SIGN))
        self.sign_action.setEnabled(editor is not None and user.can(Permission.SIGN))
        self.next_action.setVisible(self.services.bench is not None and user.can(Permission.SIGN))
        self.close_action.setEnabled(self.tabs.currentIndex() > 0)
        self.menus.refresh(editor)
        self.deliveries_action.setVisible(
            self.services.outbox is not None and user.can(Permission.INTERFACES)
        )
        self.admin_action.setVisible(
            user.can(Permission.MANAGE_LAB) or user.can(Permission.MANAGE_USERS)
        )

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel()
        self.user_label.setAccessibleName("Signed-in user")
        self.database_label = QLabel(self.services.database_label)
        self.count_label = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setAccessibleName("Working")
        self.busy.hide()
        bar.addWidget(self.user_label)
        bar.addWidget(self.count_label)
        self.deliveries_label = QLabel()
        self.deliveries_label.setAccessibleName("Deliveries needing attention")
        self.deliveries_label.setStyleSheet("color: #b00020;")
        self.deliveries_label.hide()
        bar.addPermanentWidget(self.deliveries_label)
        bar.addPermanentWidget(self.busy)
        bar.addPermanentWidget(self.database_label)

    def _on_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.worklist)
        self.worklist.search_box.setFocus()
        self.worklist.search_box.selectAll()

    # ------------------------------------------------------------ tabs

    def current_editor(self) -> CaseEditor | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, CaseEditor) else None

    def _find_tab(self, kind: type, accession: str) -> int:
        for index in range(self.tabs.count()):
            widget = self.tabs.widget(index)
            if isinstance(widget, kind) and getattr(widget, "accession", None) == accession:
                return index
        return -1

    def open_selected(self) -> None:
        accession = self.worklist.selected_accession()
        if accession:
            self.open_case(accession)

    def open_case(self, accession: str) -> None:
        """Pathologists and staff edit; clinicians go straight to the report."""
        if not self._user.can(Permission.SEE_WORKING):
            self.open_preview(accession)
            return
        index = self._find_tab(CaseEditor, accession)
        if index >= 0:
            self.tabs.setCurrentIndex(index)
            return
        self._add_editor(
            CaseEditor(
                services=self.services, runner=self.runner, user=self.user, accession=accession
            )
        )

    def new_case(self) -> None:
        if not self._user.can(Permission.EDIT):
            return
        editor = CaseEditor(
            services=self.services, runner=self.runner, user=self.user, accession=None
        )
        self._add_editor(editor)
        editor.nav.jump(0)  # Ctrl+N: the cursor in the new case's first field

    def _add_editor(self, editor: CaseEditor) -> None:
        index = self.tabs.addTab(editor, editor.tab_title())
        editor.title_changed.connect(lambda title, e=editor: self._retitle(e, title))
        editor.case_changed.connect(lambda _a: self.worklist.model.refresh())
        editor.preview_requested.connect(self.open_preview)
        editor.version_requested.connect(self.open_preview)
        editor.case_requested.connect(self.open_case)
        self.tabs.setCurrentIndex(index)
        self._update_actions()

    def open_preview(self, accession: str, version: int | None = None) -> None:
        index = self._find_tab(PreviewWidget, accession)
        if index >= 0:
            self.tabs.removeTab(index)
        preview = PreviewWidget(
            services=self.services,
            runner=self.runner,
            user=self.user,
            accession=accession,
            version=version,
        )
        index = self.tabs.addTab(preview, f"{accession} report")
        preview.title_changed.connect(lambda title, p=preview: self._retitle(p, title))
        preview.report_read.connect(
            lambda accession, new, amended: self.worklist.report_read(
                accession, new=new, amended=amended
            )
        )
        self.tabs.setCurrentIndex(index)
        preview.setFocus()

    def open_patient(self, mrn: str) -> None:
        """A patient's course in a tab of its own (one per MRN); its points open cases."""
        for index in range(self.tabs.count()):
            widget = self.tabs.widget(index)
            if isinstance(widget, PatientPanel) and widget.mrn == mrn:
                self.tabs.setCurrentIndex(index)
                return
        panel = PatientPanel(services=self.services, runner=self.runner, user=self.user)
        panel.open_requested.connect(self.open_case)
        panel.load(mrn)
        index = self.tabs.addTab(panel, f"Patient {mrn}")
        self.tabs.setCurrentIndex(index)

    def _retitle(self, widget: QWidget, title: str) -> None:
        index = self.tabs.indexOf(widget)
        if index >= 0:
            self.tabs.setTabText(index, title)

    def close_tab(self, index: int) -> bool:
        widget = self.tabs.widget(index)
        if widget is self.worklist:
            return False
        if isinstance(widget, CaseEditor) and not widget.maybe_close():
            return False
        self.tabs.removeTab(index)
        if widget is not None:
            widget.deleteLater()
            collect_garbage_soon()
        return True

    def close_current_tab(self) -> bool:
        """Ctrl+W: the tab in front (never the worklist), asking about unsaved work."""
        index = self.tabs.currentIndex()
        return index > 0 and self.close_tab(index)

    def next_case(self) -> None:
        """Ctrl+Shift+N: save the case in front, then open the next case awaiting my
        signature (in the worklist's order when it shows the queue); the saved case's
        tab makes way for it, so a day's queue does not become thirty tabs."""
        bench, user = self.services.bench, self._user
        if bench is None or not user.can(Permission.SIGN):
            return
        editor = self.current_editor()
        if editor is not None and editor.is_dirty() and not editor.save_and_wait():
            return  # the editor says why it was not saved; the case stays in front
        query = self.worklist.model.query
        sort, descending = (
            (query.sort, query.descending)
            if query.awaiting_signature
            else ("procedure_date", False)
        )
        current = editor.accession if editor is not None else None
        self.runner.run(
            lambda: bench.next_in_queue(user, current, sort=sort, descending=descending),
            on_done=lambda accession: self._open_next(accession, editor),
            owner=self,
        )

    def _open_next(self, accession: str | None, previous: CaseEditor | None) -> None:
        if accession is None:
            self.statusBar().showMessage("No other case awaits your signature.", 10_000)
            return
        self.open_case(accession)
        editor = self.current_editor()
        if editor is not None:
            _show_checks(editor)
        if previous is not None and previous is not editor:
            index = self.tabs.indexOf(previous)
            if index > 0 and not previous.is_dirty():
                self.close_tab(index)

    def close_all_cases(self) -> bool:
        return all(self.close_tab(index) for index in reversed(range(1, self.tabs.count())))

    def save_current(self) -> None:
        editor = self.current_editor()
        if editor is not None:
            editor.save()

    def sign_current(self) -> None:
        editor = self.current_editor()
        if editor is not None and self._user.can(Permission.SIGN):
            editor.sign_out()

    def print_current(self) -> None:
        widget = self.tabs.currentWidget()
        if isinstance(widget, PreviewWidget):
            widget.print_dialog()
            return
        editor = self.current_editor()
        accession = editor.accession if editor else self.worklist.selected_accession()
        if accession:
            self.open_preview(accession)

    def open_deliveries(self) -> None:
        from marrowpath.ui.outbox_view import OutboxDialog

        if self.services.outbox is None:
            return
        OutboxDialog(services_outbox=self.services.outbox, user=self._user, parent=self).exec()
        self.check_deliveries()

    def check_deliveries(self) -> None:
        """Deliver what is due (any workstation may; the outbox leases each message) and
        show the lab how many deliveries failed or keep failing."""
        outbox = self.services.outbox
        if outbox is None or not self._user.can(Permission.INTERFACES):
            return
        user = self._user

        def work() -> int:
            outbox.deliver_due()
            return len(needs_attention(outbox.entries(user, limit=500)))

        self.runner.run(work, on_done=self._show_deliveries, on_error=lambda _e: None, owner=self)

    def _show_deliveries(self, failing: int) -> None:
        self.deliveries_label.setText(
            f"{failing} deliver{'y' if failing == 1 else 'ies'} to the hospital failed"
        )
        self.deliveries_label.setVisible(failing > 0)

    def open_admin(self) -> None:
        from marrowpath.ui.admin import AdminDialog

        dialog = AdminDialog(
            services=self.services, runner=self.runner, user=self._user, parent=self
        )
        dialog.exec()
        if dialog.settings is not None:
            self.idle.set_minutes(dialog.settings.idle_minutes)
        dialog.deleteLater()

    # ------------------------------------------------------------ window state

    def _restore_geometry(self) -> None:
        settings = QSettings("MarrowPath", "MarrowPath")
        geometry = settings.value("main/geometry")
        restored = isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)
        if not restored or self.width() < MIN_SIZE[0] or self.height() < MIN_SIZE[1]:
            # First start, or a size saved on another screen: fill most of this screen.
            screen = self.screen().availableGeometry()
            self.resize(min(DEFAULT_SIZE[0], screen.width()), min(DEFAULT_SIZE[1], screen.height()))
        header = settings.value("main/worklist-header")
        if isinstance(header, QByteArray):
            self.worklist.table.horizontalHeader().restoreState(header)
            stretch_diagnosis(self.worklist.table.horizontalHeader())

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._locked:  # closed behind the lock screen: nobody may answer "Save?"
            self._end_session(save_choice=False)
        elif not self.close_all_cases():
            event.ignore()
            return
        settings = QSettings("MarrowPath", "MarrowPath")
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue(
            "main/worklist-header", self.worklist.table.horizontalHeader().saveState()
        )
        self.runner.wait(10_000)
        event.accept()


def _show_checks(editor: CaseEditor) -> None:
    """The next case opens on its completeness, advisories and findings (`bench.md`): the
    side panel that lists them comes back if it was dragged away, scrolled to its top."""
    sizes = editor.splitter.sizes()
    if len(sizes) == 3 and sizes[2] == 0:
        width = editor.fontMetrics().horizontalAdvance("0" * 34)
        editor.splitter.setSizes([sizes[0], max(sizes[1] - width, 0), width])
    editor.side.verticalScrollBar().setValue(0)
