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
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)  # every generation due at once: the next tick frees the cycle
    try:
        node = _Node()
        gone = weakref.ref(node)
        del node
        assert gone() is not None  # automatic collection is off: only the timer frees it
        qtbot.waitUntil(lambda: gone() is None, timeout=5_000)
    finally:
        gc.set_threshold(*thresholds)


def test_nothing_is_collected_below_the_threshold() -> None:
    gc.collect()
    assert GuiThreadCollector.collect_due() == 0
