"""The counter's two sounds: a soft tick every 100 cells and a chime at the target.

Why a fallback: many lab workstations have no speaker, and the offscreen tests have no
audio device; there the same moments flash the counter's line instead, so the signal is
never lost. Qt Multimedia is loaded only when the first count starts (and not at all
where its libraries are missing), never at the program's start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QUrl

SOUNDS = Path(__file__).resolve().parent.parent / "sounds"


class Chime(QObject):
    """Plays `tick()` and `target()`, or calls `flash(kind)` where no sound can play."""

    def __init__(self, flash: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._flash = flash
        self._effects: dict[str, QObject] | None = None

    @property
    def audible(self) -> bool:
        return bool(self._load())

    def prepare(self) -> None:
        """Load Qt Multimedia and the sounds now (when a count starts), not on the 100th
        cell: loading them costs that key several frames (issue 13)."""
        self._load()

    def _load(self) -> dict[str, QObject]:
        if self._effects is None:
            self._effects = {}
            try:
                from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
            except ImportError:  # no audio libraries on this workstation
                return self._effects
            if not QMediaDevices.audioOutputs():
                return self._effects
            for kind, volume in (("tick", 0.3), ("target", 0.8)):
                effect = QSoundEffect(self)
                effect.setSource(QUrl.fromLocalFile(str(SOUNDS / f"{kind}.wav")))
                effect.setVolume(volume)
                self._effects[kind] = effect
        return self._effects

    def tick(self) -> None:
        self._play("tick")

    def target(self) -> None:
        self._play("target")

    def _play(self, kind: str) -> None:
        effect = self._load().get(kind)
        if effect is None:
            self._flash(kind)
        else:
            effect.play()  # type: ignore[attr-defined]
            if kind == "target":
                self._flash(kind)  # the target is also seen, never only heard
