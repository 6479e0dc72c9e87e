"""The desktop app logs Qt's messages and uncaught exceptions, and tells the person in
words where the details went (issue 9, item 5)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import qInstallMessageHandler, qWarning
from PySide6.QtWidgets import QMessageBox, QWidget

from marrowpath import logs
from marrowpath.ui import faults

pytestmark = pytest.mark.ui


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back afterwards
    path = logs.setup(tmp_path / "log")
    previous = qInstallMessageHandler(None)
    qInstallMessageHandler(previous)
    faults.install()
    yield path
    qInstallMessageHandler(previous)
    logs.teardown()


def test_qt_messages_go_to_the_log(log_file: Path) -> None:
    qWarning("QPainter::begin: Paint device returned engine == 0")
    text = log_file.read_text(encoding="utf-8")
    assert "WARNING qt" in text and "Paint device returned engine == 0" in text


def test_an_uncaught_exception_is_logged_and_told_in_words(
    qtbot: object, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[str] = []

    def critical(_parent: QWidget | None, _title: str, text: str) -> int:
        told.append(text)
        return 0

    monkeypatch.setattr(QMessageBox, "critical", critical)
    name = "DELGADO, Tomás"  # a value, as a patient's name reaches an exception
    try:
        raise ValueError(name)
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert told == [logs.fault_words(ValueError())]
    assert told[0].endswith(f"Details were saved to {log_file}.")
    text = log_file.read_text(encoding="utf-8")
    assert "uncaught exception" in text and "test_an_uncaught_exception" in text
    assert "DELGADO" not in text
