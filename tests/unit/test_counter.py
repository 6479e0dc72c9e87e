"""The counter's keymap and count rules (`domain/counter.py`, bench.md section 1)."""

from __future__ import annotations

import pytest

from marrowpath.domain.counter import (
    SMUDGE,
    DifferentialCount,
    Keymap,
    KeymapError,
    Outcome,
    Preset,
    RingSideroblastCount,
    cells,
)


def test_default_keymap_is_bench_md() -> None:
    keys = Keymap().keys()
    assert keys["blasts"] == "b"
    assert keys["neutrophils"] == "n"
    assert keys["plasma_cells"] == "c"
    assert keys["pronormoblasts"] == "1"
    assert keys["orthochromatic_normoblasts"] == "4"
    assert keys[SMUDGE] == "z"
    assert list(keys) == list(cells())
    mapped = [key for key in keys.values() if key]
    assert len(mapped) == len(set(mapped)) == len(cells())


def test_keypad_preset_keeps_top_row_digits_apart() -> None:
    keymap = Keymap(Preset.KEYPAD)
    assert keymap.cell_for("num 7") == "blasts"
    assert keymap.cell_for("num 0") == "lymphocytes"
    assert keymap.cell_for("7") is None
    assert keymap.cell_for("1") is None  # the top row's 1 is not the keypad's
    assert keymap.cell_for("k") == "mast_cells"  # rarer cells keep their letters
    mapped = [key for key in keymap.keys().values() if key]
    assert len(mapped) == len(set(mapped))


def test_remap_moves_a_cell_and_round_trips() -> None:
    keymap = Keymap().remapped("blasts", "q")
    assert keymap.cell_for("q") == "blasts"
    assert keymap.cell_for("b") is None
    again = Keymap.from_json(keymap.to_json())
    assert again == keymap
    assert Keymap().remapped("blasts", "Num 7").cell_for("num 7") == "blasts"


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("n", "N already counts Neutrophils"),
        ("F9", "F9 starts and stops the counter"),
        ("escape", "Escape stops the counter"),
        ("Backspace", "Backspace takes back the last cell"),
        (" ", "Space is not a visible key"),
        ("ab", "is not a key a cell can have"),
    ],
)
def test_remap_refuses_collisions_in_words(key: str, words: str) -> None:
    keymap = Keymap()
    with pytest.raises(KeymapError, match=words):
        keymap.remapped("blasts", key)
    assert keymap.cell_for("b") == "blasts"


def test_unreadable_stored_map_falls_back_to_the_preset() -> None:
    assert Keymap.from_json("not json") == Keymap()
    assert Keymap.from_json(None) == Keymap()
    stored = '{"preset": "keypad", "changes": {"blasts": "f9", "nonsense": "q", "bands": "w"}}'
    keymap = Keymap.from_json(stored)
    assert keymap.preset is Preset.KEYPAD
    assert keymap.cell_for("num 7") == "blasts"
    assert keymap.cell_for("w") == "bands"


def test_count_ticks_stops_at_target_and_undoes_in_order() -> None:
    count = DifferentialCount({"blasts": 0}, target=200)
    outcomes = [count.press("neutrophils") for _ in range(199)]
    assert outcomes[99] is Outcome.TICK
    assert outcomes.count(Outcome.TICK) == 1
    assert count.press("blasts") is Outcome.TARGET
    assert count.press("blasts") is Outcome.AT_TARGET
    assert count.counts["blasts"] == 1
    assert count.press(SMUDGE) is Outcome.SMUDGE  # outside the count, even at target
    assert count.smudge == 1 and count.total == 200
    assert count.undo() == (Outcome.UNDONE, SMUDGE)
    assert count.undo() == (Outcome.UNDONE, "blasts")
    assert count.counts["blasts"] == 0 and count.total == 199
    assert count.raise_target() == 300
    assert count.lower_target() == 200


def test_count_adds_to_the_grid_and_undo_stops_where_it_started() -> None:
    count = DifferentialCount({"blasts": 10, "neutrophils": 90}, target=100)
    assert count.at_target
    assert count.press("blasts") is Outcome.AT_TARGET
    assert count.undo() == (Outcome.NOTHING, None)
    assert count.counts == {"blasts": 10, "neutrophils": 90}


def test_ring_sideroblasts_count_with_two_digits() -> None:
    ring = RingSideroblastCount()
    for key in "1121222222b":
        ring.press(key)
    assert (ring.ring, ring.other, ring.erythroblasts) == (3, 7, 10)
    assert ring.percent == 30.0
    assert ring.undo() is Outcome.UNDONE
    assert (ring.ring, ring.other) == (3, 6)
    ring = RingSideroblastCount(ring=1, other=7)  # 12.5 % rounds half up
    assert ring.percent == 12.5
    assert RingSideroblastCount(ring=1, other=15).percent == 6.3  # 6.25 -> 6.3
