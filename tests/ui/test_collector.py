"""The garbage collector runs on the GUI thread only (marrowpath.ui.collector)."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from marrowpath.ui.collector import GuiThreadCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_automatic_collection_is_off_and_the_timer_collects(qtbot: QtBot) -> None:
    parent = QObject()
    GuiThreadCollector(parent)
    assert not gc.isenabled()
    node = _Node()
    gone = weakref.ref(node)
    del node
    kept: list[list[int]] = [
        [] for _ in range(gc.get_threshold()[0] + 1)
    ]  # cross generation 0's threshold
    qtbot.waitUntil(lambda: gone() is None, timeout=5_000)  # collected by the timer
    assert len(kept) > gc.get_threshold()[0]


def test_nothing_is_collected_below_the_threshold() -> None:
    gc.collect()
    assert GuiThreadCollector.collect_due() == 0
