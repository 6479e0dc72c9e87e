"""Sign an addendum: text, and results of the studies that were pending at sign-out.

An addendum adds information and leaves the diagnosis and all earlier text as they were
(ICSH "supplementary report"); a change of diagnosis is an amendment. Results usually
arrive for studies listed as pending, so the table starts with those: each row the
person marks final replaces the pending study of the same kind. Rows left pending are
not sent, so an untouched table changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain import lifecycle
from marrowpath.domain.case import Ancillary
from marrowpath.domain.enums import AncillaryKind, AncillaryStatus, label
from marrowpath.domain.lifecycle import Action, VersionKind
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.cases import CaseView
from marrowpath.ui.dialogs.common import (
    LifecycleDialog,
    password_field,
    patient_banner,
    wrapped,
)
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

COLUMNS = ("Study", "Status", "Result", "Performed by", "Reported on")


@dataclass
class _Row:
    """The editors of one table row; `pending` is the study it completes (None: new).

    A row completing a pending study shows its kind as text: the kind is what ties the
    result to the study it replaces, so it is not for changing.
    """

    kind_widget: QWidget
    status: QComboBox
    result: QLineEdit
    performed_by: QLineEdit
    reported_on: QLineEdit
    pending: Ancillary | None

    def kind(self) -> str:
        if self.pending is not None:
            return self.pending.kind.value
        assert isinstance(self.kind_widget, QComboBox)
        return str(self.kind_widget.currentData())


class AncillaryTable(QTableWidget):
    """Ancillary results typed into a grid of editors, each with an accessible name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setAccessibleName("Ancillary results")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, 140)
        self.setColumnWidth(1, 90)
        self.setColumnWidth(3, 150)
        self.setColumnWidth(4, 105)
        self.entries: list[_Row] = []

    def add_study(self, pending: Ancillary | None = None) -> _Row:
        """A row completing `pending` (its kind fixed), or an empty row for a new study."""
        index = self.rowCount()
        self.insertRow(index)
        number = index + 1
        kind: QWidget
        if pending is not None:
            kind = QLabel(f"{label(pending.kind)} (pending)")
            kind.setIndent(6)
            kind.setToolTip("The pending study this result completes")
        else:
            kind = QComboBox()
            for value in AncillaryKind:
                kind.addItem(label(value), value.value)
        status = QComboBox()
        status.addItem("Pending", AncillaryStatus.PENDING.value)
        status.addItem("Final", AncillaryStatus.FINAL.value)
        result = QLineEdit()
        result.setPlaceholderText("Type the result")
        performed_by = QLineEdit()
        reported_on = QLineEdit()
        reported_on.setPlaceholderText("YYYY-MM-DD")
        if pending is not None:
            performed_by.setText(pending.performed_by or "")
            performed_by.setCursorPosition(0)
        else:
            status.setCurrentIndex(1)
        row = _Row(kind, status, result, performed_by, reported_on, pending)
        for column, (widget, name) in enumerate(
            (
                (kind, "study"),
                (status, "status"),
                (result, "result"),
                (performed_by, "performed by"),
                (reported_on, "reported on, year-month-day"),
            )
        ):
            widget.setAccessibleName(f"Row {number} {name}")
            self.setCellWidget(index, column, widget)
        result.textEdited.connect(lambda text, r=row: self._result_typed(r, text))
        self.entries.append(row)
        return row

    @staticmethod
    def _result_typed(row: _Row, text: str) -> None:
        """A result arriving for a pending study makes it final (the person can undo it)."""
        if text.strip() and row.status.currentData() == AncillaryStatus.PENDING.value:
            row.status.setCurrentIndex(row.status.findData(AncillaryStatus.FINAL.value))

    def remove_current(self) -> bool:
        """Remove the selected row if the person added it (pending studies stay listed)."""
        index = self.currentRow()
        if index < 0 or self.entries[index].pending is not None:
            return False
        self.removeRow(index)
        del self.entries[index]
        return True

    def studies(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The rows marked final as `ancillary` items, and what is wrong with the others."""
        studies: list[dict[str, Any]] = []
        problems: list[str] = []
        for number, row in enumerate(self.entries, start=1):
            kind = label(row.kind()).lower()
            result = row.result.text().strip()
            final = row.status.currentData() == AncillaryStatus.FINAL.value
            if not final:
                if result:
                    problems.append(
                        f"row {number} ({kind}) has a result but is still marked pending: "
                        f"mark it final or clear the result"
                    )
                continue
            if not result:
                problems.append(f"row {number} ({kind}) is marked final: type its result")
                continue
            study: dict[str, Any] = {
                "kind": row.kind(),
                "status": AncillaryStatus.FINAL.value,
                "result": result,
            }
            if row.performed_by.text().strip():
                study["performed_by"] = row.performed_by.text().strip()
            reported = row.reported_on.text().strip()
            if reported:
                try:
                    date.fromisoformat(reported)
                except ValueError:
                    problems.append(
                        f"row {number} ({kind}): the report date {reported!r} is not a date "
                        f"written YYYY-MM-DD"
                    )
                    continue
                study["reported_on"] = reported
            studies.append(study)
        return studies, problems


class AddendumDialog(LifecycleDialog):
    """Issue an addendum to the latest final report. `version` is set after accept."""

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        accession: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            title=f"Add an addendum: {accession}",
            action_text="Sign addendum",
            parent=parent,
        )
        self.version: IssuedVersion | None = None
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Addendum text")
        self.text.setPlaceholderText(
            "What the addendum adds, for example: Karyotype: 46,XY,del(5)(q13q33)[20]. "
            "The findings support the diagnosis."
        )
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(self.text.fontMetrics().lineSpacing() * 5 + 12)
        self.table = AncillaryTable()
        self.add_button = QPushButton("&Add a result")
        self.add_button.setToolTip("A study that was not listed as pending")
        self.remove_button = QPushButton("Re&move row")
        self.remove_button.setToolTip("Remove a row you added")
        self.add_button.setAutoDefault(False)
        self.remove_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.table.add_study())
        self.remove_button.clicked.connect(self.table.remove_current)
        self.password = password_field()
        self.resize(760, 640)
        self.load_case(self._show_case)

    def _show_case(self, view: CaseView) -> QWidget:
        self._build(view)
        self._check_allowed(view)
        return self.text

    def _build(self, view: CaseView) -> None:
        self.body.addWidget(patient_banner(view, self.services.today()))
        self.body.addWidget(
            wrapped(
                "An addendum adds information, such as results that arrived after sign-out. "
                "The diagnosis and all earlier text stay as they were: <b>the diagnosis "
                "cannot be changed by an addendum</b>; to change it, amend the report.",
                rich=True,
            )
        )
        form = QFormLayout()
        form.addRow("Addendum &text:", self.text)
        self.body.addLayout(form)
        results = QGroupBox("Ancillary results (optional)")
        layout = QVBoxLayout(results)
        layout.addWidget(
            wrapped(
                "Studies pending in the issued report are listed. Type a result and mark "
                "it Final to replace the pending study; rows left Pending are not changed."
            )
        )
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.body.addWidget(results, 1)
        latest = view.versions[-1] if view.versions else None
        if latest is not None:
            for study in latest.content.document.ancillary or []:
                if study.status == AncillaryStatus.PENDING:
                    self.table.add_study(study)
        self.body.addWidget(self.signature_box(VersionKind.ADDENDUM, self.password))

    def _check_allowed(self, view: CaseView) -> None:
        record = view.record
        if not self.user.can(Permission.SIGN):
            self.block("Only a pathologist can sign an addendum.")
        elif not lifecycle.allowed(
            Action.ADDENDUM, record.status, amendment_in_progress=record.amendment_in_progress
        ):
            if record.amendment_in_progress:
                why = "An amendment is in progress: sign or discard it before adding an addendum."
            else:
                status = record.status.value.replace("_", " ")
                why = f"This case is {status}: an addendum follows a final report only."
            self.block(why)
        else:
            return
        for widget in (self.text, self.table, self.add_button, self.remove_button, self.password):
            widget.setEnabled(False)

    def accept_action(self) -> None:
        self.sign()

    def sign(self) -> None:
        if not self.action_button.isEnabled():
            return
        text = self.require_text(self.text.toPlainText(), "the addendum text", self.text)
        if text is None:
            return
        studies, problems = self.table.studies()
        if problems:
            message = "; ".join(problems)
            self.message.error(message[:1].upper() + message[1:] + ".")
            self.table.setFocus()
            return
        password = self.require_password(self.password)
        if password is None:
            return
        cases, user, accession = self.services.cases, self.user, self.accession
        self.attempt(
            lambda: cases.addendum(user, accession, password, text=text, ancillary=studies),
            nothing_done="Nothing was signed.",
            on_done=self.signed,
            on_refused=lambda: self.wrong_password_again(self.password),
        )

    def signed(self, version: IssuedVersion) -> None:
        self.version = version
        self.accept()
