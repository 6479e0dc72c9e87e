"""Qt tests run offscreen against a real database; `services` is what the app is given."""

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
