"""The consistency findings in the sign-out and amendment dialogs (`clinical-rules.md` 6).

A discordant finding ("the diagnosis says 12% blasts; the differential gives 20.0 %")
is never silently ignored: each has its own tick, and the dialog's sign button waits
until every one is ticked; the ticked codes are what the service stores with the
version. Review findings are shown in the same place, calmly, without a tick: they do
not block. The service applies the same rule, so a dialog that forgot a tick would be
refused, not obeyed.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QVBoxLayout, QWidget

from marrowpath.domain.findings import Finding
from marrowpath.ui.dialogs.common import marker_label, wrapped


class FindingsList(QWidget):
    """A tick per discordant finding, an amber marker per review finding.

    Signals:
        changed() -- a tick was set or cleared.
    """

    changed = Signal()

    def __init__(self, found: Sequence[Finding], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.discordant = [f for f in found if f.severity == "discordant"]
        self.review = [f for f in found if f.severity == "review"]
        self.ticks: dict[str, QCheckBox] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(8)
        top = Qt.AlignmentFlag.AlignTop
        row = 0
        for finding in self.discordant:
            tick = QCheckBox()
            tick.setAccessibleName(f"Acknowledge {finding.code}: {finding.message}")
            tick.setToolTip("Tick to acknowledge this finding and sign as written")
            tick.toggled.connect(lambda _checked: self.changed.emit())
            self.ticks[finding.code] = tick
            grid.addWidget(tick, row, 0, top)
            line = wrapped(
                f"<b>{finding.code} discordant:</b> {html.escape(finding.message)}", rich=True
            )
            line.setBuddy(tick)
            grid.addWidget(line, row, 1, top)
            row += 1
        for finding in self.review:
            grid.addWidget(marker_label("advisory", "review"), row, 0, top)
            line = wrapped(
                f"<b>{finding.code} review:</b> {html.escape(finding.message)}", rich=True
            )
            line.setAccessibleName(f"{finding.code} review: {finding.message}")
            grid.addWidget(line, row, 1, top)
            row += 1
        if self.discordant:
            note = wrapped(
                "Each discordant finding says where the report contradicts its own values. "
                "Correct the case, or tick each one to sign it as written: the ticks are "
                "recorded with the signed version."
            )
            grid.addWidget(note, row, 0, 1, 2)
        elif not self.review:
            grid.addWidget(wrapped("No consistency findings for this case."), 0, 0, 1, 2)

    @property
    def all_ticked(self) -> bool:
        return all(tick.isChecked() for tick in self.ticks.values())

    def acknowledged_codes(self) -> list[str]:
        return [code for code, tick in self.ticks.items() if tick.isChecked()]

    def first_unticked(self) -> QCheckBox | None:
        return next((t for t in self.ticks.values() if not t.isChecked()), None)


def findings_box(found: Sequence[Finding]) -> tuple[QGroupBox, FindingsList]:
    """The group box the dialogs show, titled with what it holds."""
    listed = FindingsList(found)
    waiting = len(listed.discordant)
    title = (
        f"Consistency findings: {waiting} to acknowledge"
        if waiting
        else f"Consistency findings ({len(listed.review)})"
    )
    box = QGroupBox(title)
    QVBoxLayout(box).addWidget(listed)
    return box, listed
