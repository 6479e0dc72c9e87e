"""`template list`, `template import`, `template export` (cli.md) on SQLite and PostgreSQL:
a round trip through a file, replacement by name, the refusals in one line with nothing
changed, the roles, and the audit trail of every change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from tests.cli.test_cli import as_user

Team = dict[str, User]

NORMAL = {
    "name": "Normal marrow morphology",
    "abbreviation": "nml",
    "target": "diagnosis_line",
    "text": "Marrow {cellularity_verdict} for age ({cellularity_pct}); blasts {blast_equivalents_pct}",
}
MRD = {
    "name": "MRD negative",
    "abbreviation": "mrdneg",
    "target": ["diagnosis_line", "comment"],
    "text": "No morphologic evidence of residual disease ({cells_counted} cells counted)",
}


@pytest.fixture
def db(app: App, team: Team) -> str:
    return app.url


def written(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_import_list_export_round_trip(db: str, tmp_path: Path) -> None:
    source = written(tmp_path, "in.json", [NORMAL, MRD])

    imported = as_user(db, "drpark", "template", "import", str(source))
    listed = as_user(db, "resident", "template", "list")
    exported = tmp_path / "out.json"
    export = as_user(db, "admin", "template", "export", str(exported))

    assert (imported.code, imported.lines) == (0, ["2 templates imported"])
    assert (listed.code, listed.lines) == (
        0,
        ["MRD negative\tmrdneg\tdiagnosis_line,comment", f"{NORMAL['name']}\tnml\tdiagnosis_line"],
    )
    assert export.code == 0
    assert json.loads(exported.read_text(encoding="utf-8")) == [MRD, NORMAL]
    again = as_user(db, "drpark", "template", "import", str(exported))  # its own export
    assert again.code == 0
    assert as_user(db, "drpark", "template", "list").lines == listed.lines


def test_importing_a_name_that_exists_replaces_it(db: str, tmp_path: Path) -> None:
    as_user(db, "drpark", "template", "import", str(written(tmp_path, "a.json", [NORMAL])))
    changed = {**NORMAL, "abbreviation": "NORM", "target": "comment", "text": "Normal."}

    result = as_user(db, "admin", "template", "import", str(written(tmp_path, "b.json", [changed])))

    assert result.code == 0
    assert as_user(db, "drpark", "template", "list").lines == [f"{NORMAL['name']}\tnorm\tcomment"]


def test_an_unknown_placeholder_is_refused_naming_it_and_nothing_changes(
    app: App, db: str, tmp_path: Path
) -> None:
    bad = {**MRD, "text": "Blasts {blast_pct} of {cells_counted}"}
    path = written(tmp_path, "bad.json", [NORMAL, bad])

    result = as_user(db, "drpark", "template", "import", str(path))

    assert (result.code, result.out) == (1, "")
    assert len(result.errors) == 1
    assert result.errors[0].startswith(
        f"{path}: template 2 'MRD negative': unknown placeholder {{blast_pct}} (known: "
    )
    assert as_user(db, "drpark", "template", "list").lines == []  # the good one too
    with app.context.uow(read_only=True) as uow:
        actions = [(e.action, e.detail.get("action")) for e in uow.audit.events()]
    assert ("refused", f"template import {path}") in actions


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "must be a JSON list of templates"),
        (
            json.dumps([{**NORMAL, "target": "history"}]),
            "template 1 'Normal marrow morphology': target must be one of diagnosis_line, "
            "comment, recommendations, plain_language, got 'history'",
        ),
        (
            json.dumps([{**NORMAL, "abbreviation": "n ml"}]),
            "template 1 'Normal marrow morphology': abbreviation must be 1 to 16 letters (a-z) "
            "and digits, got 'n ml'",
        ),
        (
            json.dumps([NORMAL, {**MRD, "abbreviation": "NML"}]),
            "the abbreviation 'nml' of 'MRD negative' is already used by "
            "'Normal marrow morphology'",
        ),
    ],
)
def test_bad_files_are_refused_in_one_line(
    db: str, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    result = as_user(db, "admin", "template", "import", str(path))

    assert (result.code, result.errors) == (1, [f"{path}: {message}"])


def test_roles(db: str, tmp_path: Path) -> None:
    path = written(tmp_path, "in.json", [NORMAL])

    resident = as_user(db, "resident", "template", "import", str(path))
    clinician = as_user(db, "clinician", "template", "list")

    assert (resident.code, resident.errors) == (
        1,
        ["resident (resident) may not maintain the lab's text templates"],
    )
    assert (clinician.code, clinician.errors) == (
        1,
        ["clinician (clinician) may not maintain the lab's text templates"],
    )


def test_every_change_is_audited_with_the_text_before_and_after(
    app: App, db: str, tmp_path: Path
) -> None:
    as_user(db, "drpark", "template", "import", str(written(tmp_path, "a.json", [NORMAL])))
    changed = {**NORMAL, "text": "Normal."}
    as_user(db, "admin", "template", "import", str(written(tmp_path, "b.json", [changed])))

    with app.context.uow(read_only=True) as uow:
        saves = [e for e in uow.audit.events() if e.action == "template-save"]

    assert [(e.username, e.detail["before"], e.detail["after"]) for e in saves] == [
        ("drpark", None, NORMAL),
        ("admin", NORMAL, changed),
    ]
