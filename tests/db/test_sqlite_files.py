"""The SQLite file guard: a WAL deleted or swapped under a running process is refused
in words, the process abandons its connections, and what was saved is in the main file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from marrowpath.bootstrap import App, build
from marrowpath.db import sqlite_files
from marrowpath.domain.errors import DatabaseChanged
from marrowpath.domain.users import User
from tests.cli_process import MARROWPATH
from tests.conftest import PASSWORD, example_case

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ACCESSION = "BM26-00042"
RESTART = "Close MarrowPath and start it again"


def database_of(app: App) -> Path:
    return Path(app.engine.url.database or "")


def another_process_changes_a_setting(database: Path) -> None:
    """A second workstation (its own process) that writes and exits."""
    done = subprocess.run(
        [
            *(*MARROWPATH, "--db", str(database), "--user", "admin", "--password-stdin"),
            *("settings", "set", "session.idle_minutes", "25"),
        ],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def idle_minutes(database: Path) -> object:
    """Read the setting from the main file alone, as a copy of `d.db` would hold it."""
    connection = sqlite3.connect(f"file:{database}?mode=ro&immutable=1", uri=True)
    try:
        data = connection.execute("SELECT data FROM lab_settings").fetchone()[0]
    finally:
        connection.close()
    return json.loads(data).get("idle_minutes")


def test_a_wal_deleted_and_recreated_under_a_running_process_is_refused(
    app: App, pathologist: User
) -> None:
    app.cases.import_case(pathologist, example_case())
    database = database_of(app)
    for suffix in ("-wal", "-shm"):  # what a foreign program closing last would do
        database.with_name(database.name + suffix).unlink()
    another_process_changes_a_setting(database)

    with pytest.raises(DatabaseChanged) as refused:
        app.cases.open(pathologist, ACCESSION)
    assert str(refused.value).startswith(
        "The database file was changed by another program (marrowpath.db-wal was replaced "
        "while MarrowPath had it open); nothing was saved. " + RESTART
    )
    with pytest.raises(DatabaseChanged):  # every later transaction too, reads included
        app.cases.search(pathologist, "")

    held = len(sqlite_files._ABANDONED)
    app.close()
    assert len(sqlite_files._ABANDONED) > held  # abandoned, never closed
    assert idle_minutes(database) == 25  # the other workstation's save is in the file


def test_a_swapped_wal_is_refused_before_anything_is_committed(app: App, pathologist: User) -> None:
    app.cases.import_case(pathologist, example_case())
    database = database_of(app)
    wal = database.with_name(database.name + "-wal")
    shutil.copy(wal, wal.with_name("swapped"))
    os.replace(wal.with_name("swapped"), wal)
    with pytest.raises(DatabaseChanged, match=r"marrowpath\.db-wal was replaced"):
        app.cases.assign(pathologist, ACCESSION, pathologist="drpark")
    app.close()


def test_a_deleted_wal_is_refused(app: App, pathologist: User) -> None:
    app.cases.import_case(pathologist, example_case())
    database = database_of(app)
    database.with_name(database.name + "-wal").unlink()
    with pytest.raises(DatabaseChanged, match=r"marrowpath\.db-wal was deleted"):
        app.cases.open(pathologist, ACCESSION)
    app.close()


def test_a_database_file_copied_over_the_running_one_is_refused(
    app: App, pathologist: User
) -> None:
    database = database_of(app)
    copy = database.with_name("copy.db")
    shutil.copy(database, copy)
    app.cases.import_case(pathologist, example_case())
    os.replace(copy, database)
    with pytest.raises(DatabaseChanged, match=r"marrowpath\.db was replaced"):
        app.cases.open(pathologist, ACCESSION)
    app.close()


def test_every_save_is_in_the_main_file_and_the_wal_is_kept_empty(
    app: App, pathologist: User
) -> None:
    app.lab.set(pathologist, "session.idle_minutes", "40")
    database = database_of(app)
    assert idle_minutes(database) == 40  # read from d.db alone, the WAL ignored
    assert database.with_name(database.name + "-wal").stat().st_size == 0


def test_closing_keeps_the_wal_and_a_later_start_is_no_change(app: App, pathologist: User) -> None:
    """No connection deletes the WAL at close (that is what forked the database); files
    that change while this process holds no connection are someone else's business."""
    database = database_of(app)
    app.cases.import_case(pathologist, example_case())
    app.close()
    wal = database.with_name(database.name + "-wal")
    assert wal.exists()
    wal.unlink()
    database.with_name(database.name + "-shm").unlink()
    again = build(str(database), with_renderer=False)
    try:
        assert again.cases.open(pathologist, ACCESSION).record.accession == ACCESSION
    finally:
        again.close()
