"""Administration edits the after-hours number the patient summary prints; a blank
field leaves it unset (None), as in the snapshots of versions signed before it existed."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from marrowpath.domain.users import User
from marrowpath.ui.admin import AdminDialog
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

pytestmark = pytest.mark.ui


def test_administration_sets_and_clears_the_after_hours_phone(
    qtbot: QtBot, services: Services, team: dict[str, User]
) -> None:
    runner = TaskRunner()
    admin = AdminDialog(services=services, runner=runner, user=team["admin"])
    qtbot.addWidget(admin)
    qtbot.waitSignal(admin.ready, timeout=10_000).wait()
    edit = admin.identity_edits["after_hours_phone"]
    assert edit.accessibleName() == "After-hours telephone" and edit.text() == ""
    edit.setText("(217) 555-0100")
    with qtbot.waitSignal(admin.work_finished, timeout=10_000):
        admin.save()
    assert admin.message.text().startswith("Saved."), admin.message.text()
    assert services.lab.settings().identity.after_hours_phone == "(217) 555-0100"
    edit.setText("  ")
    with qtbot.waitSignal(admin.work_finished, timeout=10_000):
        admin.save()
    assert services.lab.settings().identity.after_hours_phone is None
    runner.wait(10_000)


def test_reference_intervals_are_named_in_the_reports_words(
    qtbot: QtBot, services: Services, team: dict[str, User]
) -> None:
    """The intervals table names each row as the differential grid and the report do
    ("Neutrophils (segmented)", "M:E ratio"), never by its settings key; saving keeps the
    keys."""
    runner = TaskRunner()
    admin = AdminDialog(services=services, runner=runner, user=team["admin"])
    qtbot.addWidget(admin)
    qtbot.waitSignal(admin.ready, timeout=10_000).wait()
    table = admin.intervals
    names = [item.text() for r in range(table.rowCount()) if (item := table.item(r, 0))]
    assert "Neutrophils (segmented)" in names and "Plasma cells" in names
    assert "M:E ratio" in names and "Erythroid precursors, total" in names
    assert not [n for n in names if n[:1].islower() or "_" in n]
    kept = admin.edited_settings().reference_intervals
    assert list(kept) == list(services.lab.settings().reference_intervals)
