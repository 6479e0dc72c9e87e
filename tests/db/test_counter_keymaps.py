"""Each user's counter keymap is kept with the user (bench.md section 1), on SQLite and
PostgreSQL: it follows her to another workstation (another App on the same database)."""

from __future__ import annotations

from marrowpath.bootstrap import App, build
from marrowpath.domain.counter import Keymap, Preset
from marrowpath.domain.users import User
from tests.hashing import TEST_HASHER


def test_keymap_round_trip_follows_the_user(
    app: App, database_url: str, team: dict[str, User]
) -> None:
    drpark, tech = team["drpark"], team["tech"]
    assert app.counter.keymap(drpark) == Keymap()
    mine = Keymap(Preset.KEYPAD).remapped("blasts", "q")
    app.counter.save_keymap(drpark, mine)
    other_workstation = build(database_url, hasher=TEST_HASHER)
    try:
        stored = other_workstation.counter.keymap(drpark)
        assert stored == mine
        assert stored.cell_for("q") == "blasts"
        assert stored.cell_for("num 0") == "lymphocytes"
        assert other_workstation.counter.keymap(tech) == Keymap()  # nobody else's changes
    finally:
        other_workstation.close()
