"""The differential counter's keymap and count, without Qt (`bench.md` section 1).

Why here: a pathologist counts 500 cells with her eyes on the eyepieces, one key per
cell; which key means which cell, what a slip does and when the count stops are rules
she relies on, so they are plain Python, tested without a screen. The editor only turns
key presses into key names (`"b"`, `"num 7"`) and shows what this module answers.

A key name is one visible character of the main keyboard in lower case (`"b"`, `"1"`,
`";"`) or `"num "` and a key of the numeric keypad (`"num 7"`, `"num +"`): the keypad's
7 and the top row's 7 are different keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from marrowpath.domain.enums import DifferentialCategory

SMUDGE = "smudge"  # a smudge or broken cell: seen, never in the differential
TARGETS = (100, 200, 300, 500, 1000)
DEFAULT_TARGET = 500
TICK_EVERY = 100


class Preset(StrEnum):
    LETTERS = "letters"
    KEYPAD = "keypad"


# bench.md's default keymap, by cell name. `abnormal_promyelocytes` (key f) is a category
# of `marrowpath.case/2`: it is in the map as soon as the case model has the category.
_LETTERS = {
    "blasts": "b",
    "promyelocytes": "p",
    "myelocytes": "m",
    "metamyelocytes": "t",
    "bands": "a",
    "neutrophils": "n",
    "abnormal_promyelocytes": "f",
    "eosinophils": "e",
    "basophils": "s",
    "mast_cells": "k",
    "promonocytes": "r",
    "monocytes": "o",
    "histiocytes": "h",
    "other": "x",
    "lymphocytes": "l",
    "plasma_cells": "c",
    "pronormoblasts": "1",
    "basophilic_normoblasts": "2",
    "polychromatic_normoblasts": "3",
    "orthochromatic_normoblasts": "4",
    SMUDGE: "z",
}

# The keypad preset: the fifteen commonest cells under one hand on the numeric keypad
# (granulocytes rising 7-8-9 / 4-5-6, erythroid maturation along the top and right,
# lymphocytes on the wide 0); the rarer cells keep their letters.
_KEYPAD = {
    **_LETTERS,
    "blasts": "num 7",
    "promyelocytes": "num 8",
    "myelocytes": "num 9",
    "metamyelocytes": "num 4",
    "bands": "num 5",
    "neutrophils": "num 6",
    "eosinophils": "num 1",
    "basophils": "num 2",
    "monocytes": "num 3",
    "lymphocytes": "num 0",
    "plasma_cells": "num .",
    "pronormoblasts": "num /",
    "basophilic_normoblasts": "num *",
    "polychromatic_normoblasts": "num -",
    "orthochromatic_normoblasts": "num +",
}

# Keys that keep their meaning while counting (bench.md), never a cell.
RESERVED = {
    "f9": "F9 starts and stops the counter",
    "f10": "F10 starts the ring sideroblast counter",
    "escape": "Escape stops the counter",
    "backspace": "Backspace takes back the last cell",
    "ctrl+z": "Ctrl+Z takes back the last cell",
    "page up": "Page Up raises the target",
    "page down": "Page Down lowers the target",
    "space": "Space is not a visible key: choose a letter, digit or keypad key",
}
KEYPAD_KEYS = frozenset("0123456789.+-*/")


def cells() -> tuple[str, ...]:
    """The cells a key may count: the case model's categories, then smudge cells."""
    return (*(c.value for c in DifferentialCategory), SMUDGE)


def cell_name(cell: str) -> str:
    """How a cell reads ("plasma_cells" -> "Plasma cells")."""
    if cell == SMUDGE:
        return "Smudge cells"
    return cell.replace("_", " ").capitalize()


def key_label(key: str) -> str:
    """How a key is shown beside the grid ("b" -> "B", "num 7" -> "Num 7")."""
    if key.startswith("num "):
        return f"Num {key[4:]}"
    return key.upper()


class KeymapError(ValueError):
    """A key that cannot count this cell, in words for the person remapping."""


def _check_key(key: str) -> None:
    if key in RESERVED:
        raise KeymapError(f"{RESERVED[key]} and cannot count a cell")
    if key.startswith("num ") and key[4:] in KEYPAD_KEYS and len(key) == 5:
        return
    if len(key) != 1 or not key.isprintable():
        raise KeymapError(
            f"{key!r} is not a key a cell can have: choose one letter, digit or "
            "punctuation key, or a key of the numeric keypad"
        )


@dataclass(frozen=True)
class Keymap:
    """Which key counts which cell: a preset with a user's changes over it.

    `changes` (cell -> key) is what is stored with the user; a preset key that a change
    took for another cell leaves its own cell without a key (shown as such) rather
    than counting two cells.
    """

    preset: Preset = Preset.LETTERS
    changes: Mapping[str, str] = field(default_factory=dict)

    def keys(self) -> dict[str, str | None]:
        """Every cell with its key in force (None: no key), in the grid's order."""
        base = _KEYPAD if self.preset is Preset.KEYPAD else _LETTERS
        taken = set(self.changes.values())
        result: dict[str, str | None] = {}
        for cell in cells():
            if cell in self.changes:
                result[cell] = self.changes[cell]
            else:
                key = base.get(cell)
                result[cell] = None if key in taken else key
        return result

    def cell_for(self, key: str) -> str | None:
        """The cell a key counts, or None."""
        for cell, cell_key in self.keys().items():
            if cell_key == key:
                return cell
        return None

    def remapped(self, cell: str, key: str) -> Keymap:
        """This map with `cell` on `key`; refused in words when the key is reserved or
        counts another cell (the map is unchanged)."""
        if cell not in cells():
            raise KeymapError(f"{cell!r} is not a cell of the differential")
        key = "space" if key.isspace() else key.strip().lower()
        _check_key(key)
        owner = self.cell_for(key)
        if owner is not None and owner != cell:
            raise KeymapError(
                f"Key for {cell_name(cell)}: {key_label(key)} already counts "
                f"{cell_name(owner)}; choose another key or move {cell_name(owner)} first"
            )
        return Keymap(self.preset, {**self.changes, cell: key})

    def with_preset(self, preset: Preset) -> Keymap:
        """Another preset, the user's changes dropped (a preset is a fresh start)."""
        return Keymap(preset, {})

    # ------------------------------------------------------------ stored form

    def to_json(self) -> str:
        return json.dumps({"preset": self.preset.value, "changes": dict(self.changes)})

    @classmethod
    def from_json(cls, text: str | None) -> Keymap:
        """The stored map; a missing, unreadable or no longer valid one (a cell the
        model dropped, a key now reserved) gives way to the preset, entry by entry."""
        if not text:
            return cls()
        try:
            data: Any = json.loads(text)
            keymap = cls(Preset(data.get("preset", Preset.LETTERS)))
            changes = data.get("changes", {})
        except (ValueError, AttributeError, TypeError):
            return cls()
        if not isinstance(changes, dict):
            return keymap
        for cell, key in changes.items():
            try:
                keymap = keymap.remapped(str(cell), str(key))
            except KeymapError:
                continue
        return keymap


class Outcome(StrEnum):
    """What a key did, for the screen to say or sound."""

    COUNTED = "counted"
    TICK = "tick"  # counted, and the total is a multiple of 100
    TARGET = "target"  # counted, and the target is reached: counting stops
    AT_TARGET = "at_target"  # ignored: the target was reached (raise it to go on)
    SMUDGE = "smudge"  # a smudge cell, outside the differential
    UNDONE = "undone"
    NOTHING = "nothing"  # undo with nothing to take back; a key that counts nothing


@dataclass
class DifferentialCount:
    """A running count: starts from the grid's counts and adds one cell per key.

    The target applies to the grid's total (bench.md): a count that starts at or above
    it is at target from the first key. Undo takes back cells in the order they came,
    smudge cells included, and never below where this count started.
    """

    counts: dict[str, int]
    target: int = DEFAULT_TARGET
    smudge: int = 0
    history: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def at_target(self) -> bool:
        return self.total >= self.target

    def press(self, cell: str) -> Outcome:
        if cell == SMUDGE:
            self.smudge += 1
            self.history.append(cell)
            return Outcome.SMUDGE
        if self.at_target:
            return Outcome.AT_TARGET
        self.counts[cell] = self.counts.get(cell, 0) + 1
        self.history.append(cell)
        if self.at_target:
            return Outcome.TARGET
        return Outcome.TICK if self.total % TICK_EVERY == 0 else Outcome.COUNTED

    def undo(self) -> tuple[Outcome, str | None]:
        """Take back the last key; the cell it counted (None when nothing was left)."""
        if not self.history:
            return Outcome.NOTHING, None
        cell = self.history.pop()
        if cell == SMUDGE:
            self.smudge -= 1
        else:
            self.counts[cell] -= 1
        return Outcome.UNDONE, cell

    def set_target(self, target: int) -> None:
        if target <= 0:
            raise ValueError(f"the target must be a positive number of cells, got {target}")
        self.target = target

    def raise_target(self) -> int:
        """The next target above the total (Page Up); the largest one stays."""
        for target in TARGETS:
            if target > max(self.target, self.total):
                self.target = target
                break
        return self.target

    def lower_target(self) -> int:
        """The next target below the current one, never below the total (Page Down)."""
        lower = [t for t in TARGETS if t < self.target and t > self.total]
        if lower:
            self.target = lower[-1]
        return self.target


RING_KEYS = {"1": "ring", "2": "other"}


@dataclass
class RingSideroblastCount:
    """F10: `1` a ring sideroblast, `2` another erythroblast (digits, so that a slip
    between the two counters never adds a blast equivalent)."""

    ring: int = 0
    other: int = 0
    history: list[str] = field(default_factory=list)

    @property
    def erythroblasts(self) -> int:
        return self.ring + self.other

    @property
    def percent(self) -> float | None:
        """Ring sideroblasts as % of erythroblasts, one decimal half up; None at 0."""
        if not self.erythroblasts:
            return None
        tenths = (self.ring * 2000 + self.erythroblasts) // (2 * self.erythroblasts)
        return tenths / 10

    def press(self, key: str) -> Outcome:
        kind = RING_KEYS.get(key)
        if kind is None:
            return Outcome.NOTHING
        setattr(self, kind, getattr(self, kind) + 1)
        self.history.append(kind)
        return Outcome.COUNTED

    def undo(self) -> Outcome:
        if not self.history:
            return Outcome.NOTHING
        kind = self.history.pop()
        setattr(self, kind, getattr(self, kind) - 1)
        return Outcome.UNDONE
