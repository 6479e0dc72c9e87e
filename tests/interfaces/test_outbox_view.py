"""The outbox dialog shows failed deliveries with the receiver's words and retries them
(offscreen: tests/conftest.py sets QT_QPA_PLATFORM)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.ui.outbox_view import OutboxDialog
from tests.interfaces.support import Listener, add_destination, import_example, sign

pytestmark = [
    pytest.mark.ui,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def test_failed_deliveries_are_shown_and_retried(
    qtbot: QtBot, app: App, team: dict[str, User]
) -> None:
    with Listener("AR", "Unknown ordering provider") as rejecting:
        add_destination(app, team, "EHR", rejecting.port)
        import_example(app, team)
        sign(app, team)
        app.outbox.deliver_due()
    dialog = OutboxDialog(services_outbox=app.outbox, user=team["tech"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    model = dialog.model
    row = [model.data(model.index(0, column)) for column in range(model.columnCount())]
    assert row[:5] == ["Failed", "BM26-00042", "1", "final", "EHR"]
    assert row[-1] == "AR: Unknown ordering provider"
    assert "1 failed" in dialog.summary.text()
    with Listener("AA", port=rejecting.port) as accepting:
        dialog.retry_button.click()
        qtbot.waitUntil(lambda: dialog.model.rowCount() == 0, timeout=10_000)
    assert "1 delivered" in dialog.summary.text()
    assert len(accepting.received) == 1
    dialog.problems_only.setChecked(False)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert dialog.model.data(dialog.model.index(0, 0)) == "Delivered"
