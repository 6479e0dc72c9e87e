"""Every table model of the app passes pytest-qt's model tester with real content."""

from __future__ import annotations

import socket
from typing import Any

from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.users import User
from marrowpath.ui.admin import UsersModel
from marrowpath.ui.editor.differential import DifferentialModel
from marrowpath.ui.outbox_view import OutboxModel
from tests.conftest import PASSWORD, example_case


def test_differential_model(qtmodeltester: Any, app: App) -> None:
    model = DifferentialModel(app.lab.settings())
    model.set_texts(
        {
            DifferentialCategory.BLASTS: "60",
            DifferentialCategory.PRONORMOBLASTS: "5",
            DifferentialCategory.NEUTROPHILS: "x",
        }
    )
    model.set_problems({DifferentialCategory.NEUTROPHILS: "must be a whole number"})
    qtmodeltester.check(model)


def test_users_model(qtmodeltester: Any, app: App, team: dict[str, User]) -> None:
    model = UsersModel(app.auth.list_users(team["admin"]))
    assert model.rowCount() == 5
    qtmodeltester.check(model)


def test_outbox_model(qtbot: QtBot, qtmodeltester: Any, app: App, team: dict[str, User]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])  # closed again: deliveries there fail
    app.lab.add_destination(team["admin"], name="EHR", host="127.0.0.1", port=port)
    app.cases.import_case(team["drpark"], example_case())
    app.cases.sign(team["drpark"], "BM26-00042", PASSWORD)
    app.outbox.deliver_due()
    model = OutboxModel()
    model.set_entries(app.outbox.entries(team["drpark"]))
    assert model.rowCount() == 1
    qtmodeltester.check(model)
