"""Screenshots taken by the desktop tests: into `docs/screenshots` when the developer
asks (`MARROWPATH_SCREENSHOTS=1`, to refresh the pictures the README shows), otherwise
into the test's own folder or nowhere, so a test run never rewrites the checkout."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QWidget

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def wanted() -> bool:
    """Whether this run refreshes the documentation's screenshots."""
    return os.environ.get("MARROWPATH_SCREENSHOTS") == "1"


def save_screenshot(widget: QWidget, name: str, elsewhere: Path | None = None) -> Path | None:
    """The widget's picture as `name` in docs/screenshots when wanted, else in
    `elsewhere` (a test's tmp_path) when given; where it went, or None."""
    return save_picture(widget.grab(), name, elsewhere)


def save_picture(picture: QPixmap, name: str, elsewhere: Path | None = None) -> Path | None:
    """A picture already taken (several grabs stacked), stored as `save_screenshot` does."""
    folder = SCREENSHOTS if wanted() else elsewhere
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    assert picture.save(str(path)), path
    return path
