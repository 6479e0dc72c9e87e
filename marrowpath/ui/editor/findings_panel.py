"""Consistency findings while typing (`clinical-rules.md` 6), beside the advisory flags.

Why live: "the diagnosis says 12% blasts; the differential gives 20.0 %" is cheapest
to fix while the diagnosis is being written, not in the sign-out dialog. The panel uses
the same rules as the sign-out (`domain.checks.live_findings`: a complete document as
at sign-out, an incomplete one from its valid parts). It never blocks or pops up; it
says which findings will need a tick at sign-out.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from marrowpath.domain.findings import Finding
from marrowpath.ui.editor.flags_panel import clear_rows, marked_row


class FindingsPanel(QWidget):
    """One line per finding: its code, its weight in words and the values it names."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.setAccessibleName("Consistency findings")
        self.findings: list[Finding] = []
        self._shown = False
        self.set_findings([])

    def set_findings(self, found: list[Finding]) -> None:
        if self._shown and found == self.findings:
            return
        self._shown = True
        self.findings = list(found)
        clear_rows(self._layout)
        if not found:
            quiet = QLabel("No consistency findings.")
            quiet.setWordWrap(True)
            self._layout.addWidget(quiet)
            return
        for finding in found:
            self._layout.addWidget(marked_row(_words(finding), finding.severity))

    def texts(self) -> list[str]:
        return [_words(f) for f in self.findings]


def _words(finding: Finding) -> str:
    if finding.severity == "discordant":
        return f"{finding.code} discordant (tick needed at sign-out): {finding.message}"
    return f"{finding.code} review: {finding.message}"
