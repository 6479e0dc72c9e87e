"""Migration 0021 drops the case columns that copied four values of the working
document (never read: the timeline computes its values from the issued versions,
`timeline.SERIES`). SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from marrowpath.bootstrap import App, build
from marrowpath.db import migrate
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

DROPPED = {"blasts_pct", "plasma_cells_pct", "cellularity_pct", "fibrosis_grade"}


def _columns(connection: object) -> set[str]:
    return {c["name"] for c in inspect(connection).get_columns("cases")}


def test_migration_0021_drops_the_value_columns_and_keeps_the_cases(
    app: App, team: dict[str, User]
) -> None:
    """Down to 0020 the columns come back (empty), up again they go, and the cases, their
    issued versions and the timeline are as they were. The database is put back at the
    head whatever happens (PostgreSQL's is shared)."""
    drpark = team["drpark"]
    app.cases.import_case(drpark, example_case())
    app.cases.sign(drpark, "BM26-00042", PASSWORD, acknowledge=["all"])
    before = app.timeline.timeline(drpark, "MRN0012345")
    url = app.url
    app.close()
    engine = create_engine(url)
    config = migrate._config()
    try:
        with engine.begin() as connection:
            assert not DROPPED & _columns(connection)
            config.attributes["connection"] = connection
            command.downgrade(config, "0021-1")  # this migration only, wherever it is chained
            assert _columns(connection) >= DROPPED
    finally:
        migrate.upgrade(engine)
    try:
        with engine.connect() as connection:
            assert not DROPPED & _columns(connection)
    finally:
        engine.dispose()
    again = build(url, with_renderer=False, hasher=TEST_HASHER)
    try:
        assert again.timeline.timeline(drpark, "MRN0012345") == before
        assert len(again.cases.versions(drpark, "BM26-00042")) == 1
    finally:
        again.close()
