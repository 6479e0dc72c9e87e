"""Qt tests run offscreen against a real SQLite database; `services` is what the app is given."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from marrowpath.bootstrap import App
from marrowpath.launcher import desktop_services
from marrowpath.ui.services import Services


@pytest.fixture
def services(app: App, tmp_path: Path) -> Services:
    return desktop_services(app, str(tmp_path / "data"))


@pytest.fixture(params=["sqlite"])
def database_url(sqlite_url: str) -> str:
    """The desktop's tests run on SQLite only: the widgets see the services, never the
    engine, and what storage does on PostgreSQL is tested in tests/db and tests/cli. (The
    parameter keeps the tests' ids, `[sqlite]`, as they were.)"""
    return sqlite_url
