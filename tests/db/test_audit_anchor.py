"""The audit chain anchored outside the database (issue 10, attacks 4a and 4b): a tail
cut off with the head moved back, a chain rewritten with recomputed hashes, a database
put back to an older copy, and a deleted head row that used to lock everyone out."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from marrowpath.bootstrap import App, backup_database, build
from marrowpath.domain.audit import AuditEvent, event_hash
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.db.test_users_and_audit import as_json, events, execute

ACCESSION = "BM26-00042"
Team = dict[str, User]


def signed_case(app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], example_case())
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
    for _ in range(3):
        app.cases.open(team["drpark"], ACCESSION)


def anchored(app: App) -> Any:
    with app.context.uow(read_only=True) as uow:
        return uow.audit.anchored_head()


def test_every_commit_anchors_the_head_outside_the_database(app: App, team: Team) -> None:
    signed_case(app, team)
    last = events(app)[-1]
    head = anchored(app)
    assert (head.seq, head.hash) == (last.seq, last.hash)
    if app.engine.dialect.name == "sqlite":
        database = Path(app.engine.url.database or "")
        anchor = database.with_name(database.name + "-anchor")
        assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
        seq, digest, _at = anchor.read_text().splitlines()[-1].split()
        assert (int(seq), digest) == (last.seq, last.hash)
    else:
        with app.engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM audit_anchors")).scalar()
        assert rows and rows > 1  # one per commit that appended events


def test_a_cut_tail_with_the_head_moved_back_is_detected(app: App, team: Team) -> None:
    """4a: delete the last events and set the head row to the new last one."""
    signed_case(app, team)
    trail = events(app)
    keep = trail[-4]
    assert [e.action for e in trail[-3:]] == ["view"] * 3
    execute(app, "DELETE FROM audit_events WHERE seq > :seq", seq=keep.seq)
    execute(app, "UPDATE audit_head SET seq = :seq, hash = :hash", seq=keep.seq, hash=keep.hash)
    result = app.audit.verify(team["drpark"])
    assert not result.intact
    assert result.problems == [
        f"event {trail[-1].seq}: anchored outside the database on "
        f"{trail[-1].at:%Y-%m-%d %H:%M} UTC but missing from the trail (the head went "
        "backwards: events were removed from the end, or the database was put back to an "
        "older copy)"
    ]


def test_a_chain_rewritten_with_recomputed_hashes_is_detected(app: App, team: Team) -> None:
    """4b: change an early event and recompute every hash after it, and the head row."""
    signed_case(app, team)
    trail = events(app)
    target = next(e for e in trail if e.action == "sign")
    rewrite_from(app, trail, target.seq, {**target.detail, "meaning": "forged"})
    result = app.audit.verify(team["drpark"])
    assert not result.intact
    assert result.problems == [
        f"event {trail[-1].seq}: its hash differs from the one anchored outside the database "
        f"on {trail[-1].at:%Y-%m-%d %H:%M} UTC (the trail was rewritten)"
    ]


def test_verification_is_intact_without_tampering(app: App, team: Team) -> None:
    signed_case(app, team)
    assert app.audit.verify(team["admin"]).problems == []


def test_a_deleted_head_row_locks_nobody_out(app: App, team: Team) -> None:
    """Today every later command failed: UNIQUE constraint failed: audit_events.seq."""
    signed_case(app, team)
    before = events(app)[-1]
    execute(app, "DELETE FROM audit_head")
    view = app.cases.open(team["drpark"], ACCESSION)
    assert view.record.accession == ACCESSION
    trail = events(app)
    repair, opened = trail[-2], trail[-1]
    assert (repair.seq, repair.action) == (before.seq + 1, "audit-head-repaired")
    assert repair.detail == {
        "head_row": {"seq": 0, "hash": "0" * 64},
        "last_event": {"seq": before.seq, "hash": before.hash},
    }
    assert (opened.action, opened.prev_hash) == ("view", repair.hash)
    assert app.audit.verify(team["admin"]).problems == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_database_put_back_to_an_older_copy_is_detected(
    database_url: str, tmp_path: Path, team: Team
) -> None:
    database = Path(database_url.removeprefix("sqlite:///"))
    backup = backup_database(str(database), tmp_path / "monday.db")
    worked = build(str(database), with_renderer=False)
    signed_case(worked, team)
    last = events(worked)[-1]
    worked.close()
    shutil.copy(backup, database)  # nothing runs: the WAL is empty after every commit
    restored = build(str(database), with_renderer=False)
    try:
        problems = restored.audit.verify(team["admin"]).problems
    finally:
        restored.close()
    assert problems == [
        f"event {last.seq}: anchored outside the database on {last.at:%Y-%m-%d %H:%M} UTC "
        "but missing from the trail (the head went backwards: events were removed from the "
        "end, or the database was put back to an older copy)"
    ]


def rewrite_from(app: App, trail: list[AuditEvent], seq: int, detail: dict[str, Any]) -> None:
    """What an attacker with write access does: alter one event, then recompute the hash
    of it and of every later event, and move the head row to the new last hash."""
    previous = next(e.hash for e in trail if e.seq == seq - 1)
    for event in trail:
        if event.seq < seq:
            continue
        new_detail = detail if event.seq == seq else event.detail
        digest = event_hash(
            seq=event.seq,
            at=event.at,
            workstation=event.workstation,
            action=event.action,
            username=event.username,
            accession=event.accession,
            detail=new_detail,
            prev_hash=previous,
        )
        execute(
            app,
            f"UPDATE audit_events SET detail = {as_json(app, 'detail')}, prev_hash = :prev, "
            "hash = :hash WHERE seq = :seq",
            detail=_json(new_detail),
            prev=previous,
            hash=digest,
            seq=event.seq,
        )
        previous = digest
    execute(app, "UPDATE audit_head SET hash = :hash", hash=previous)


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
