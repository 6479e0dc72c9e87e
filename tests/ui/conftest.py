"""Qt tests run offscreen against a real database; `services` is what the app is given."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from marrowpath.bootstrap import App
from marrowpath.ui.services import Services


@pytest.fixture
def services(app: App, tmp_path: Path) -> Services:
    return Services(
        auth=app.auth,
        cases=app.cases,
        lab=app.lab,
        audit=app.audit,
        database_label=app.database_label,
        data_dir=str(tmp_path / "data"),
        today=app.context.clock.today,
    )
