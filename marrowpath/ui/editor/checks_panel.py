"""The panel beside the form: what blocks saving, what signing still needs, the
consistency findings and the flags.

Why separate boxes, each in its own tone: a broken rule blocks saving (red words), a
missing required field only blocks signing (calm), a discordant finding will need a
tick at sign-out, and an advisory flag blocks nothing (amber marker); mixing them would
make every message sound like an error.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from marrowpath.domain.findings import Finding
from marrowpath.domain.flags import Flag
from marrowpath.ui.editor.findings_panel import FindingsPanel
from marrowpath.ui.editor.flags_panel import FlagsPanel
from marrowpath.ui.editor.issues import Issue, IssueList


class ChecksPanel(QScrollArea):
    """Problems, missing fields and advisory flags, scrolling on its own.

    Signals:
        go_to(str) -- the user chose an entry: the path of its field.
    """

    go_to = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        panel = QWidget()
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 4, 0)
        self.problems_box = QGroupBox("Must be fixed before saving")
        self.problems = IssueList("Problems")
        QVBoxLayout(self.problems_box).addWidget(self.problems)
        self.problems_box.hide()
        self.missing_box = QGroupBox("Still needed before sign-out")
        self.missing_note = QLabel()
        self.missing_note.setWordWrap(True)
        self.missing = IssueList("Missing fields")
        box = QVBoxLayout(self.missing_box)
        box.addWidget(self.missing_note)
        box.addWidget(self.missing)
        self.findings_box = QGroupBox("Consistency findings")
        self.findings = FindingsPanel()
        QVBoxLayout(self.findings_box).addWidget(self.findings)
        self.flags_box = QGroupBox("Advisory flags")
        self.flags = FlagsPanel()
        QVBoxLayout(self.flags_box).addWidget(self.flags)
        for group in (self.problems_box, self.missing_box, self.findings_box, self.flags_box):
            column.addWidget(group)
        column.addStretch(1)
        self.problems.go_to.connect(self.go_to)
        self.missing.go_to.connect(self.go_to)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(panel)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0" * 24))
        self.setAccessibleName("Checks and advisory flags")

    def show_problems(self, problems: list[Issue]) -> None:
        self.problems.set_issues(problems)
        self.problems_box.setVisible(bool(problems))

    def show_missing(self, missing: list[Issue], *, editable: bool, problems: bool) -> None:
        """Missing fields; a closed report has nothing left to fill in, so no box."""
        self.missing.set_issues(missing)
        self.missing_box.setVisible(editable)
        count = len(missing)
        if count:
            self.missing_note.setText(
                f"{count} required field{'s' if count != 1 else ''} not filled in yet. A draft "
                "can be saved without them; signing needs them all."
            )
        elif problems:
            self.missing_note.setText("Every required field is filled in.")
        else:
            self.missing_note.setText("Every required field is filled in: ready for sign-out.")

    def show_flags(self, flags: list[Flag]) -> None:
        self.flags.set_flags(flags)

    def show_findings(self, found: list[Finding]) -> None:
        self.findings.set_findings(found)
