"""The `marrowpath` command (cli.md), run in-process on SQLite and PostgreSQL, plus a few
runs of the installed console script. No command may print a traceback."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from marrowpath.bootstrap import App
from marrowpath.cli import build_parser, main
from marrowpath.domain.users import User
from tests.cli_process import CHEAP_MARROWPATH, MARROWPATH
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER
from tests.tamper import tampering

ACCESSION = "BM26-00042"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
Team = dict[str, User]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def errors(self) -> list[str]:
        return self.err.splitlines()


def run(db: str, *argv: str, stdin: str = "") -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--db", db, *argv],
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        hasher=TEST_HASHER,
    )
    result = Result(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in result.err
    assert "unexpected error" not in result.err, result.err
    return result


def as_user(db: str, user: str, *argv: str, password: str = PASSWORD) -> Result:
    return run(db, "--user", user, "--password-stdin", *argv, stdin=f"{password}\n")


def write_case(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def case(accession: str = ACCESSION, **patient: str) -> dict[str, Any]:
    data = example_case()
    data["accession"] = accession
    data["patient"].update(patient)
    return data


@pytest.fixture
def db(app: App, team: Team) -> str:
    """A database with the team of conftest (admin, drpark, resident, tech, clinician) and
    the lab identity set."""
    return app.url


def imported(db: str, folder: Path, *cases: dict[str, Any]) -> list[str]:
    files = [
        str(write_case(folder, f"{c['accession']}.json", c)) for c in (cases or (example_case(),))
    ]
    result = as_user(db, "drpark", "import", *files)
    assert (result.code, result.err) == (0, ""), result.err
    return result.lines


def event_count(app: App) -> int:
    with app.context.uow(read_only=True) as uow:
        return len(list(uow.audit.events()))


# ------------------------------------------------------------------ users


class TestUsers:
    def test_first_user_then_users_added_by_the_admin(self, database_url: str) -> None:
        db = database_url
        refused = run(
            db,
            "user",
            "add",
            "tess",
            "--full-name",
            "Tess Tech",
            "--role",
            "technologist",
            "--password-stdin",
            stdin=f"{PASSWORD}\n",
        )
        assert refused.code == 1
        assert refused.errors == [
            "user add: the first user must be an admin or a pathologist, not technologist"
        ]
        short = run(
            db,
            *("user", "add", "admin", "--full-name", "Ada Admin", "--role", "admin"),
            "--password-stdin",
            stdin="short\n",
        )
        assert (short.code, short.errors) == (
            1,
            ["password: must have at least 12 characters, got 5"],
        )
        weak = run(
            db,
            *("user", "add", "admin", "--full-name", "Ada Admin", "--role", "admin"),
            "--password-stdin",
            stdin="password1234\n",
        )
        assert (weak.code, weak.errors) == (
            1,
            [
                "password: is too easy to guess (this is a very common password); use a "
                "longer phrase of unrelated words"
            ],
        )
        first = run(
            db,
            *("user", "add", "admin", "--full-name", "Ada Admin", "--role", "admin"),
            "--password-stdin",
            stdin=f"{PASSWORD}\n",
        )
        assert (first.code, first.lines, first.err) == (0, ["added admin (admin)"], "")

        # later users: acting as the admin, two stdin lines
        without = run(
            db,
            *("user", "add", "drpark", "--full-name", "Dana Park", "--role", "pathologist"),
            stdin=f"{PASSWORD}\n",
        )
        assert without.code == 2
        assert without.errors == [
            "marrowpath: `user` acts as a user: give --user USERNAME --password-stdin"
        ]
        second = run(
            db,
            "--user",
            "admin",
            "--password-stdin",
            *("user", "add", "drpark", "--full-name", "Dana Park", "--role", "pathologist"),
            *("--credentials", "MD"),
            stdin=f"{PASSWORD}\nanother-password\n",
        )
        assert (second.code, second.lines) == (0, ["added drpark (pathologist)"])
        one_line = run(
            db,
            *("--user", "admin", "--password-stdin"),
            *("user", "add", "tess", "--full-name", "Tess", "--role", "technologist"),
            stdin=f"{PASSWORD}\n",
        )
        assert one_line.code == 2
        assert one_line.errors == ["marrowpath: expected a password on standard input (line 2)"]
        # the new user's password is the second line
        assert as_user(db, "drpark", "settings", "show", password="another-password").code == 0
        assert as_user(db, "drpark", "settings", "show").code == 1
        # only an admin adds users
        by_pathologist = run(
            db,
            *("--user", "drpark", "--password-stdin"),
            *("user", "add", "tess", "--full-name", "Tess", "--role", "technologist"),
            stdin="another-password\nyet-another-password\n",
        )
        assert by_pathologist.code == 1
        assert by_pathologist.errors == [
            "drpark (pathologist) may not add users, reset passwords and unlock accounts"
        ]
        listed = as_user(db, "admin", "user", "list")
        assert listed.lines == [
            "admin\tadmin\tAda Admin\t\tactive",
            "drpark\tpathologist\tDana Park\tMD\tactive",
        ]

    def test_wrong_password_and_lockout(self, db: str) -> None:
        refusal = [
            "sign-in refused: wrong user name or password (5 failures in a row lock an "
            "account for 15 minutes)"
        ]
        for _attempt in range(5):
            wrong = as_user(db, "tech", "search", password="not-my-password")
            assert (wrong.code, wrong.errors) == (1, refusal)
        locked = as_user(db, "tech", "search")  # the right password, locked: the same words
        assert (locked.code, locked.errors) == (1, refusal)
        listed = as_user(db, "admin", "user", "list")
        assert "tech\ttechnologist\tTess Tech\tMLS(ASCP)\tlocked" in listed.lines
        assert as_user(db, "admin", "user", "unlock", "tech").lines == ["tech: unlock done"]
        assert as_user(db, "tech", "search").code == 0
        unknown = as_user(db, "nobody", "search")
        assert (unknown.code, unknown.errors) == (1, refusal)

    def test_commands_that_act_as_a_user_need_one(self, db: str, tmp_path: Path) -> None:
        file = str(write_case(tmp_path, "case.json", example_case()))
        for argv in (
            ["import", file],
            ["sign", ACCESSION],
            ["sign", ACCESSION, "--preliminary"],
            ["amend", ACCESSION, file, "--reason-category", "other", "--reason", "x"],
            ["addendum", ACCESSION, "--text", "x"],
            ["withdraw", ACCESSION, "--reason", "x"],
            ["cancel", ACCESSION, "--reason", "x"],
            ["export", ACCESSION, "--format", "json"],
            ["search"],
            ["audit", "verify"],
            ["settings", "show"],
            ["settings", "set", "reference.blasts", "0-3"],
            ["lab", "set", "--name", "X"],
            ["user", "list"],
            ["user", "unlock", "tech"],
        ):
            result = run(db, *argv, stdin=f"{PASSWORD}\n")
            assert result.code == 2, argv
            assert len(result.errors) == 1, argv
            assert result.err.startswith(f"marrowpath: `{argv[0]}` acts as a user: give --user")
            assert result.out == ""
        no_stdin_flag = run(db, "--user", "drpark", "search", stdin=f"{PASSWORD}\n")
        assert no_stdin_flag.code == 2
        assert "--password-stdin" in no_stdin_flag.err
        empty_stdin = run(db, "--user", "drpark", "--password-stdin", "search")
        assert empty_stdin.code == 2
        assert "expected a password on standard input" in empty_stdin.err
        # nothing was imported by any of those
        assert as_user(db, "drpark", "search").out == ""

    def test_user_options_may_follow_the_command(self, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        result = run(
            db, "search", "delgado", "--user", "drpark", "--password-stdin", stdin=PASSWORD
        )
        assert result.code == 0
        assert result.lines[0].startswith(f"{ACCESSION}\tdraft\t")


# ------------------------------------------------------------------ import


class TestImport:
    def test_several_files_some_bad(self, db: str, tmp_path: Path) -> None:
        good = write_case(tmp_path, "good.json", example_case())
        negative = case("BM26-00043", mrn="M43")
        negative["aspirate"]["differential"]["blasts"] = -3
        bad = write_case(tmp_path, "bad.json", negative)
        also_good = write_case(tmp_path, "also-good.json", case("BM26-00044", mrn="M44"))
        broken = tmp_path / "broken.json"
        broken.write_text('{"format": "marrowpath.case/1",', encoding="utf-8")
        result = as_user(db, "tech", "import", str(good), str(bad), str(also_good), str(broken))
        assert result.code == 1
        assert result.lines == [ACCESSION, "BM26-00044"]
        assert len(result.errors) == 2
        assert result.errors[0] == (
            f"{bad}: BM26-00043: aspirate.differential.blasts must be a whole number >= 0, got -3"
        )
        assert result.errors[1].startswith(f"{broken}: is not valid JSON (")
        found = as_user(db, "drpark", "search")
        assert sorted(line.split("\t")[0] for line in found.lines) == [ACCESSION, "BM26-00044"]

    def test_refusals_name_file_accession_field_and_rule(
        self, app: App, db: str, tmp_path: Path
    ) -> None:
        imported(db, tmp_path)  # the example: MRN0012345 is Tomás Delgado
        tomorrow = date.today() + timedelta(days=1)
        expected: list[tuple[Path, str]] = []

        def refuse(name: str, data: Any, message: str) -> None:
            path = write_case(tmp_path, name, data)
            expected.append((path, message))

        def mutated(accession: str, change: Any) -> dict[str, Any]:
            data = case(accession, mrn=f"M{accession[-3:]}")
            change(data)
            return data

        refuse(
            "negative.json",
            mutated("BM26-00101", lambda d: d["aspirate"]["differential"].update(blasts=-3)),
            "BM26-00101: aspirate.differential.blasts must be a whole number >= 0, got -3",
        )
        refuse(
            "fraction.json",
            mutated("BM26-00102", lambda d: d["aspirate"]["differential"].update(blasts=12.5)),
            "BM26-00102: aspirate.differential.blasts must be a whole number, got 12.5",
        )
        refuse(
            "born-later.json",
            mutated("BM26-00103", lambda d: d["patient"].update(birth_date="2027-01-01")),
            "BM26-00103: patient.birth_date 2027-01-01 is after the procedure date 2026-11-18",
        )

        def future(data: dict[str, Any]) -> None:
            data["procedure"]["date"] = tomorrow.isoformat()
            del data["received_at"]

        refuse(
            "future.json",
            mutated("BM26-00104", future),
            f"BM26-00104: procedure.date {tomorrow} is in the future (today is {date.today()})",
        )
        refuse(
            "misspelt.json",
            mutated("BM26-00105", lambda d: d["aspirate"].update(auer_rodz=True)),
            "BM26-00105: aspirate.auer_rodz is not a field of marrowpath.case/2 (misspelt?)",
        )
        refuse(
            "format.json",
            mutated("BM26-00106", lambda d: d.update(format="marrowpath.case/3")),
            "BM26-00106: format must be exactly marrowpath.case/2 (or marrowpath.case/1, read "
            'and upgraded), got "marrowpath.case/3"',
        )
        refuse(
            "date-format.json",
            mutated("BM26-00114", lambda d: d["patient"].update(birth_date="11/02/1959")),
            "BM26-00114: patient.birth_date must be a date written YYYY-MM-DD, got '11/02/1959'",
        )
        refuse(
            "percent.json",
            mutated("BM26-00107", lambda d: d["stains"][0].update(percent=101)),
            "BM26-00107: stains[0].percent must be a number <= 100, got 101",
        )
        refuse(
            "accession.json",
            mutated("BM26 00108", lambda d: None),
            "BM26 00108: accession must be 1-32 characters from A-Z, 0-9 and - (uppercase, "
            'no spaces), got "BM26 00108"',
        )
        refuse(
            "huge.json",
            mutated("BM26-00109", lambda d: d["diagnosis"].update(comment="x" * 1_000_000)),
            "BM26-00109: diagnosis.comment is too long: 1000000 characters, at most 20000",
        )
        for accession, field, value, ours in (
            ("BM26-00110", "family_name", "Delgada", "DELGADA, Tomás (born 1959-02-11, male)"),
            ("BM26-00111", "birth_date", "1959-02-12", "DELGADO, Tomás (born 1959-02-12, male)"),
            ("BM26-00112", "sex", "female", "DELGADO, Tomás (born 1959-02-11, female)"),
        ):
            refuse(
                f"mrn-{field}.json",
                case(accession, mrn="MRN0012345", **{field: value}),
                f"{accession}: patient.mrn MRN0012345 belongs to DELGADO, Tomás (born "
                f"1959-02-11, male) in the database, but this case has {ours}; patients are "
                f"never merged or overwritten",
            )
        refuse("list.json", [example_case()], "must be a JSON object, got a list")
        not_json = tmp_path / "not-json.json"
        not_json.write_text("{'format': 'marrowpath.case/1'}", encoding="utf-8")
        expected.append(
            (
                not_json,
                "is not valid JSON (Expecting property name enclosed in double quotes: line 1 "
                "column 2 (char 1))",
            )
        )
        nan = tmp_path / "nan.json"
        nan.write_text('{"format": "marrowpath.case/1", "x": NaN}', encoding="utf-8")
        expected.append((nan, "is not valid JSON (NaN is not allowed in JSON)"))
        latin1 = tmp_path / "latin1.json"
        latin1.write_bytes(
            json.dumps(case("BM26-00113", mrn="M113"), ensure_ascii=False).encode("latin-1")
        )
        position = latin1.read_bytes().index("á".encode("latin-1"))
        expected.append((latin1, f"is not UTF-8 text (byte {position} cannot be read)"))
        missing = tmp_path / "missing.json"
        expected.append((missing, "cannot be read (No such file or directory)"))

        result = as_user(db, "drpark", "import", *(str(path) for path, _ in expected))
        assert result.code == 1
        assert result.out == ""
        assert result.errors == [f"{path}: {message}" for path, message in expected]
        # every refusal is in the audit trail, unreadable files too
        with app.context.uow(read_only=True) as uow:
            refusals = [
                e.detail["reason"]
                for e in uow.audit.events()
                if e.action == "refused" and e.detail["action"] == "import"
            ]
        assert len(refusals) == len(expected)
        for (path, message), reason in zip(expected, refusals, strict=True):
            assert reason in (message, f"{path}: {message}")
        assert refusals[-1] == f"{missing}: cannot be read (No such file or directory)"
        # nothing but the first case exists; the patient is not overwritten
        found = as_user(db, "drpark", "search")
        assert [line.split("\t")[:4] for line in found.lines] == [
            [ACCESSION, "draft", "DELGADO, Tomás", "MRN0012345"]
        ]

    def test_reimport_replaces_a_draft_but_not_a_final_report(
        self, db: str, tmp_path: Path
    ) -> None:
        imported(db, tmp_path)
        changed = example_case()
        changed["diagnosis"]["lines"] = ["Revised."]
        path = write_case(tmp_path, "changed.json", changed)
        assert as_user(db, "drpark", "import", str(path)).lines == [ACCESSION]
        assert as_user(db, "drpark", "search").lines[0].endswith("\tRevised.")
        assert as_user(db, "drpark", "sign", ACCESSION).code == 0
        again = as_user(
            db, "drpark", "import", str(write_case(tmp_path, "v3.json", example_case()))
        )
        assert again.code == 1
        assert again.errors == [
            f"{tmp_path / 'v3.json'}: {ACCESSION}: cannot edit the working document: the case "
            "is final (an issued report is changed only by amend, addendum or withdraw)"
        ]

    def test_clinician_cannot_import(self, db: str, tmp_path: Path) -> None:
        path = write_case(tmp_path, "case.json", example_case())
        result = as_user(db, "clinician", "import", str(path))
        assert result.code == 1
        assert result.errors == [
            f"{path}: clinician (clinician) may not import, create or edit working documents"
        ]


# ------------------------------------------------------------------ lifecycle


def signed_line(result: Result, number: int, kind: str) -> str:
    assert result.code == 0, result.err
    accession, version, shown_kind, sha = result.lines[0].split("\t")
    assert (accession, version, shown_kind) == (ACCESSION, f"version {number}", kind)
    assert SHA256.match(sha)
    return sha


class TestLifecycle:
    def test_sign_amend_addendum_withdraw(self, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        hashes = [
            signed_line(as_user(db, "drpark", "sign", ACCESSION, "--preliminary"), 1, "preliminary")
        ]
        hashes.append(signed_line(as_user(db, "drpark", "sign", ACCESSION), 2, "final"))
        twice = as_user(db, "drpark", "sign", ACCESSION)
        assert (twice.code, twice.errors) == (
            1,
            [
                f"{ACCESSION}: cannot sign the final report: the case is final (the final report "
                "was already issued)"
            ],
        )
        by_tech = as_user(db, "tech", "sign", ACCESSION)
        assert (by_tech.code, by_tech.errors) == (
            1,
            ["tech (technologist) may not sign, amend, add addenda, withdraw or cancel reports"],
        )

        # amend: the file's accession must match
        other = example_case()
        other["accession"] = "BM26-00099"
        mismatch = as_user(
            db,
            "drpark",
            *("amend", ACCESSION, str(write_case(tmp_path, "other.json", other))),
            *("--reason-category", "report_defect", "--reason", "typo"),
        )
        assert mismatch.code == 1
        assert mismatch.errors == [
            f"{ACCESSION}: accession BM26-00099 in the file does not match {ACCESSION}"
        ]
        same = as_user(
            db,
            "drpark",
            *("amend", ACCESSION, str(write_case(tmp_path, "same.json", example_case()))),
            *("--reason-category", "report_defect", "--reason", "typo"),
        )
        assert same.code == 1
        assert "the amendment is identical to version 2" in same.err
        amended = example_case()
        amended["diagnosis"]["lines"][1] = "Consistent with MDS-IB2; see comment."
        hashes.append(
            signed_line(
                as_user(
                    db,
                    "drpark",
                    *("amend", ACCESSION, str(write_case(tmp_path, "amended.json", amended))),
                    *("--reason-category", "interpretation_change", "--reason", "Reworded."),
                ),
                3,
                "amendment",
            )
        )

        # addendum with an ancillary result replacing the pending karyotype
        karyotype = [{"kind": "karyotype", "status": "final", "result": "46,XY[20]"}]
        ancillary = tmp_path / "ancillary.json"
        ancillary.write_text(json.dumps(karyotype), encoding="utf-8")
        hashes.append(
            signed_line(
                as_user(
                    db,
                    "drpark",
                    *("addendum", ACCESSION, "--text", "Normal karyotype."),
                    *("--ancillary", str(ancillary)),
                ),
                4,
                "addendum",
            )
        )
        not_a_list = tmp_path / "not-a-list.json"
        not_a_list.write_text(json.dumps(karyotype[0]), encoding="utf-8")
        refused = as_user(
            db, "drpark", "addendum", ACCESSION, "--text", "x", "--ancillary", str(not_a_list)
        )
        assert (refused.code, refused.errors) == (
            1,
            [f"{ACCESSION}: ancillary must be a JSON list of studies"],
        )

        exported = json.loads(as_user(db, "drpark", "export", ACCESSION, "--format", "json").out)
        assert [v["kind"] for v in exported["versions"]] == [
            "preliminary",
            "final",
            "amendment",
            "addendum",
        ]
        assert [v["sha256"] for v in exported["versions"]] == hashes
        assert exported["versions"][2]["reason_category"] == "interpretation_change"
        assert exported["versions"][3]["addendum_text"] == "Normal karyotype."
        assert exported["ancillary"][1] == karyotype[0]
        assert exported["diagnosis"]["lines"][1] == "Consistent with MDS-IB2; see comment."

        signed_line(
            as_user(db, "drpark", "withdraw", ACCESSION, "--reason", "Wrong patient."),
            5,
            "withdrawal",
        )
        withdrawn = as_user(db, "drpark", "search", "--status", "entered_in_error")
        assert [line.split("\t")[:2] for line in withdrawn.lines] == [
            [ACCESSION, "entered_in_error"]
        ]
        again = as_user(db, "drpark", "withdraw", ACCESSION, "--reason", "again")
        assert again.code == 1
        assert "the case is entered in error" in again.err

    def test_amend_refusals(self, app: App, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        as_user(db, "drpark", "sign", ACCESSION)
        changed = example_case()
        changed["diagnosis"]["lines"] = ["Changed."]
        result = as_user(
            db,
            "drpark",
            *("amend", ACCESSION, str(write_case(tmp_path, "c.json", changed))),
            *("--reason-category", "whim", "--reason", "x"),
        )
        assert result.code == 1
        assert result.errors == [
            f"{ACCESSION}: the reason category must be one of misidentification, "
            "specimen_problem, interpretation_change, report_defect, other, got 'whim'"
        ]
        unreadable = tmp_path / "absent.json"
        absent = as_user(
            db,
            "drpark",
            *("amend", ACCESSION, str(unreadable)),
            *("--reason-category", "other", "--reason", "x"),
        )
        assert (absent.code, absent.errors) == (1, ["cannot be read (No such file or directory)"])
        with app.context.uow(read_only=True) as uow:
            refusals = [e for e in uow.audit.events() if e.action == "refused"]
        assert [(e.accession, e.detail["action"]) for e in refusals[-2:]] == [
            (ACCESSION, "amend"),
            (ACCESSION, "amend"),
        ]
        assert refusals[-1].detail["reason"] == (
            f"{unreadable}: cannot be read (No such file or directory)"
        )
        versions = json.loads(as_user(db, "drpark", "export", ACCESSION, "--format", "json").out)
        assert len(versions["versions"]) == 1

    def test_cancel(self, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path, example_case(), case("BM26-00043", mrn="M43"))
        result = as_user(db, "drpark", "cancel", "BM26-00043", "--reason", "Duplicate order.")
        assert (result.code, result.lines) == (0, ["BM26-00043\tcancelled"])
        assert as_user(db, "drpark", "sign", ACCESSION).code == 0
        final = as_user(db, "drpark", "cancel", ACCESSION, "--reason", "x")
        assert (final.code, final.errors) == (
            1,
            [
                f"{ACCESSION}: cannot cancel: the case is final (the final report was already "
                "issued)"
            ],
        )
        statuses = {
            line.split("\t")[0]: line.split("\t")[1]
            for line in as_user(db, "drpark", "search").lines
        }
        assert statuses == {ACCESSION: "final", "BM26-00043": "cancelled"}

    def test_sign_refused_without_lab_identity(self, database_url: str, tmp_path: Path) -> None:
        db = database_url
        first = run(
            db,
            *("user", "add", "drpark", "--full-name", "Dana Park", "--role", "pathologist"),
            "--password-stdin",
            stdin=f"{PASSWORD}\n",
        )
        assert first.code == 0
        imported(db, tmp_path)
        refused = as_user(db, "drpark", "sign", ACCESSION)
        assert refused.code == 1
        assert refused.errors == [
            f"{ACCESSION}: cannot sign: the lab identity has no name, address, clia number; "
            "set it with `marrowpath lab set` or in Administration"
        ]
        lab = as_user(
            db,
            "drpark",
            *("lab", "set", "--name", "Riverside Lab", "--address", "1 River Rd"),
            *("--clia-id", "14D0123456"),
        )
        assert lab.code == 0
        assert "lab.name\tRiverside Lab" in lab.lines
        assert "lab.clia_id\t14D0123456" in lab.lines
        signed_line(as_user(db, "drpark", "sign", ACCESSION), 1, "final")


# ------------------------------------------------------------------ export and search


class TestExport:
    def test_export_json(self, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        sha = signed_line(
            as_user(db, "drpark", "sign", ACCESSION, "--preliminary"), 1, "preliminary"
        )
        result = as_user(db, "drpark", "export", ACCESSION, "--format", "json")
        assert result.code == 0
        data = json.loads(result.out)
        assert data["format"] == "marrowpath.case/2"
        assert data["accession"] == ACCESSION
        assert data["patient"]["given_names"] == "Tomás"
        assert len(data["versions"]) == 1
        version = data["versions"][0]
        assert (version["number"], version["kind"], version["signed_by"]) == (
            1,
            "preliminary",
            "drpark",
        )
        assert version["sha256"] == sha
        assert version["signer_name"] == "Dana Park"
        # without versions it is the imported document (nulls left out)
        del data["versions"]
        original = example_case()
        for item in original["diagnosis"]["classification"]:
            del item["code"]
        assert data == original

        target = tmp_path / "out" / "case.json"
        target.parent.mkdir()
        to_file = as_user(db, "drpark", "export", ACCESSION, "--format", "json", "-o", str(target))
        assert (to_file.code, to_file.out) == (0, "")
        assert json.loads(target.read_text(encoding="utf-8")) == json.loads(result.out)
        assert "Tomás" in target.read_text(encoding="utf-8")  # UTF-8, not escaped
        # an exported file imports again (its versions are accepted and ignored)
        assert as_user(db, "drpark", "import", str(target)).lines == [ACCESSION]

    def test_export_refusals(self, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        missing = as_user(db, "drpark", "export", "BM26-99999", "--format", "json")
        assert (missing.code, missing.errors) == (1, ["BM26-99999: no such case"])
        draft = as_user(db, "clinician", "export", ACCESSION, "--format", "json")
        assert (draft.code, draft.errors) == (1, [f"{ACCESSION}: no issued report"])
        as_user(db, "drpark", "sign", ACCESSION)
        issued = as_user(db, "clinician", "export", ACCESSION, "--format", "json")
        assert issued.code == 0
        assert json.loads(issued.out)["versions"][0]["kind"] == "final"


class TestSearch:
    def test_columns_filters_and_order(self, db: str, tmp_path: Path) -> None:
        zoe = case(
            "BM26-00050",
            mrn="M50",
            family_name="Łukasiewicz-Nguyễn",
            given_names="Zoë",
            birth_date="1980-03-03",
            sex="female",
        )
        zoe["procedure"]["date"] = "2026-10-01"
        zoe["received_at"] = "2026-10-01T10:00:00Z"
        zoe["diagnosis"] = {"lines": ["Plasma cell neoplasm.", "Second line."]}
        li = case("BM26-00052", mrn="M52", family_name="李", given_names="雪", sex="female")
        li["procedure"]["date"] = "2026-11-20"
        li["received_at"] = "2026-11-20T10:00:00Z"
        li["diagnosis"] = {"lines": ["  ", "Aplastic anemia."]}
        imported(db, tmp_path, example_case(), zoe, li)
        as_user(db, "drpark", "sign", "BM26-00050")

        everything = as_user(db, "drpark", "search")
        assert everything.code == 0
        first_line = example_case()["diagnosis"]["lines"][0]
        assert everything.lines == [
            "BM26-00052\tdraft\t李雪\tM52\t2026-11-20\tAplastic anemia.",
            f"{ACCESSION}\tdraft\tDELGADO, Tomás\tMRN0012345\t2026-11-18\t{first_line}",
            "BM26-00050\tfinal\tŁUKASIEWICZ-NGUYỄN, Zoë\tM50\t2026-10-01\tPlasma cell neoplasm.",
        ]

        def accessions(*argv: str) -> list[str]:
            result = as_user(db, "drpark", "search", *argv)
            assert result.code == 0, result.err
            return [line.split("\t")[0] for line in result.lines]

        assert accessions("lukasiewicz") == ["BM26-00050"]
        assert accessions("TOMAS") == [ACCESSION]
        assert accessions("zoe", "nguyen") == ["BM26-00050"]
        assert accessions("zoe delgado") == []
        assert accessions("李雪") == ["BM26-00052"]
        assert accessions("mrn0012345") == [ACCESSION]
        assert accessions("bm26-00052") == ["BM26-00052"]
        assert accessions("aplastic") == ["BM26-00052"]
        assert accessions("--status", "final") == ["BM26-00050"]
        assert accessions("--status", "draft") == ["BM26-00052", ACCESSION]
        assert accessions("--from", "2026-11-18") == ["BM26-00052", ACCESSION]
        assert accessions("--to", "2026-11-18") == [ACCESSION, "BM26-00050"]
        assert accessions("--from", "2026-10-02", "--to", "2026-11-19") == [ACCESSION]
        assert accessions("--limit", "1") == ["BM26-00052"]
        assert accessions("--limit", "2", "--status", "draft") == ["BM26-00052", ACCESSION]
        assert accessions("nothing-matches") == []
        # the clinician sees issued reports only
        clinician = as_user(db, "clinician", "search")
        assert [line.split("\t")[0] for line in clinician.lines] == ["BM26-00050"]

    def test_names_by_any_spelling(self, db: str, tmp_path: Path) -> None:
        """cli.md: petrova finds Петрова, li xue finds 李雪, obrien finds O'Brien; words
        shorter than three characters match the start of a name word, accession or MRN."""
        petrova = case("BM26-00060", mrn="M60", family_name="Петрова", given_names="Ольга")
        greek = case("BM26-00061", mrn="M61", family_name="ΠΑΠΑΔΟΠΟΥΛΟΣ", given_names="Νίκος")
        li = case("BM26-00062", mrn="M62", family_name="李", given_names="雪")
        obrien = case("BM26-00063", mrn="M63", family_name="O'Brien", given_names="Áine")
        imported(db, tmp_path, petrova, greek, li, obrien)

        def accessions(*words: str) -> list[str]:
            result = as_user(db, "drpark", "search", *words)
            assert result.code == 0, result.err
            return sorted(line.split("\t")[0] for line in result.lines)

        assert accessions("petrova") == ["BM26-00060"]
        assert accessions("papadopoulos nikos") == ["BM26-00061"]
        assert accessions("li xue") == ["BM26-00062"]
        assert accessions("obrien aine") == ["BM26-00063"]
        assert accessions("li", "xu") == ["BM26-00062"]
        assert accessions("xyzzy") == []

    def test_usage_errors(self, db: str) -> None:
        for argv, words in (
            (["search", "--from", "2026-13-01"], "must be a date written YYYY-MM-DD"),
            (["search", "--limit", "0"], "--limit must be at least 1"),
            (["search", "--limit", "many"], "invalid int value"),
            (["search", "--status", "signed"], "invalid choice"),
        ):
            result = as_user(db, "drpark", *argv)
            assert result.code == 2, argv
            assert words in result.err
            assert len(result.errors) == 1


# ------------------------------------------------------------------ audit, settings, lab


class TestAuditVerify:
    def test_intact_then_tampered(self, app: App, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        as_user(db, "drpark", "sign", ACCESSION)
        result = as_user(db, "drpark", "audit", "verify")
        assert result.code == 0
        count = event_count(app)  # including the verifying user's sign-in
        lines = result.lines
        assert lines[0] == f"events\t{count}"
        assert lines[1].startswith("head\t") and SHA256.match(lines[1].split("\t")[1])
        assert lines[2:] == ["versions\t1", "intact"]
        with app.context.uow(read_only=True) as uow:
            assert lines[1] == f"head\t{list(uow.audit.events())[count - 1].hash}"
            created = next(e for e in uow.audit.events() if e.action == "create")

        cast = "CAST(:detail AS JSONB)" if app.engine.dialect.name == "postgresql" else ":detail"
        with tampering(app.engine) as connection:
            connection.execute(
                text(f"UPDATE audit_events SET detail = {cast} WHERE seq = :seq"),
                {"detail": json.dumps({"source": "editor"}), "seq": created.seq},
            )
        broken = as_user(db, "admin", "audit", "verify")
        assert broken.code == 1
        assert broken.errors == [
            f"audit verify: event {created.seq} (create by drpark): content altered"
        ]
        assert broken.lines[0] == f"events\t{created.seq - 1}"
        assert "intact" not in broken.lines

    def test_altered_version_is_named(self, app: App, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        as_user(db, "drpark", "sign", ACCESSION)
        with tampering(app.engine) as connection:
            row = connection.execute(text("SELECT id, content FROM report_versions")).one()
            content = json.loads(row.content) if isinstance(row.content, str) else row.content
            content["document"]["diagnosis"]["lines"] = ["Normal marrow."]
            cast = (
                "CAST(:content AS JSONB)" if app.engine.dialect.name == "postgresql" else ":content"
            )
            connection.execute(
                text(f"UPDATE report_versions SET content = {cast} WHERE id = :id"),
                {"content": json.dumps(content), "id": row.id},
            )
        result = as_user(db, "drpark", "audit", "verify")
        assert result.code == 1
        assert result.errors == [
            f"audit verify: {ACCESSION} version 1: content does not match its SHA-256 (altered)"
        ]

    def test_only_admins_and_pathologists_verify(self, db: str) -> None:
        for who, role in (("resident", "resident"), ("clinician", "clinician")):
            result = as_user(db, who, "audit", "verify")
            assert (result.code, result.errors) == (
                1,
                [f"{who} ({role}) may not read or verify the audit trail"],
            )


class TestSettingsAndLab:
    def test_settings_show_and_set(self, db: str) -> None:
        shown = as_user(db, "tech", "settings", "show")
        assert shown.code == 0
        assert all(len(line.split("\t")) == 2 for line in shown.lines)
        values = dict(line.split("\t") for line in shown.lines)
        assert values["me_ratio.include_monocytes"] == "false"
        assert values["cellularity.rule"] == "hundred_minus_age"  # clinical-rules.md 4
        assert values["accession.pattern"] == "BMYY-NNNNN"
        assert values["session.idle_minutes"] == "15"
        assert values["reference.blasts"] == "0-2"
        assert values["reference.me_ratio"] == "2-4"
        assert values["reference.erythroid"] == "18-32"
        assert values["lab.name"] == "Riverside Hematopathology Laboratory"
        assert values["lab.clia_id"] == "14D0123456"

        changed = as_user(db, "admin", "settings", "set", "reference.blasts", "0-3")
        assert (changed.code, changed.lines) == (0, ["reference.blasts\t0-3"])
        monocytes = as_user(db, "drpark", "settings", "set", "me_ratio.include_monocytes", "true")
        assert monocytes.lines == ["me_ratio.include_monocytes\ttrue"]
        values = dict(line.split("\t") for line in as_user(db, "tech", "settings", "show").lines)
        assert values["reference.blasts"] == "0-3"
        assert values["me_ratio.include_monocytes"] == "true"

        for argv, message in (
            (
                ["reference.blasts", "3-1"],
                "settings: reference.blasts must have LOW <= HIGH (and at most 100 %), got '3-1'",
            ),
            (
                ["session.idle_minutes", "0"],
                "settings: session.idle_minutes must be a whole number of minutes from 1 to "
                "240, got '0'",
            ),
            (
                ["me_ratio.include_monocytes", "maybe"],
                "settings: me_ratio.include_monocytes must be true or false, got 'maybe'",
            ),
        ):
            refused = as_user(db, "admin", "settings", "set", *argv)
            assert (refused.code, refused.errors) == (1, [message])
        unknown = as_user(db, "admin", "settings", "set", "colour", "blue")
        assert unknown.code == 1
        assert unknown.err.startswith("settings: unknown key 'colour'; known keys: ")
        by_resident = as_user(db, "resident", "settings", "set", "reference.blasts", "0-5")
        assert (by_resident.code, by_resident.errors) == (
            1,
            ["resident (resident) may not change the lab identity and settings"],
        )
        values = dict(line.split("\t") for line in as_user(db, "tech", "settings", "show").lines)
        assert values["reference.blasts"] == "0-3"

    def test_lab_set(self, db: str) -> None:
        result = as_user(db, "admin", "lab", "set", "--phone", "217-555-0199", "--director", "Dr X")
        assert result.code == 0
        assert result.lines == [
            "lab.name\tRiverside Hematopathology Laboratory",
            "lab.address\t200 River Road, Springfield, IL 62701",
            "lab.phone\t217-555-0199",
            "lab.clia_id\t14D0123456",
            "lab.director\tDr X",
            "lab.after_hours_phone\t",
        ]
        nothing = as_user(db, "admin", "lab", "set")
        assert nothing.code == 2
        assert "give at least one of --name" in nothing.err
        forbidden = as_user(db, "tech", "lab", "set", "--name", "Elsewhere")
        assert (forbidden.code, forbidden.errors) == (
            1,
            ["tech (technologist) may not change the lab identity and settings"],
        )

    def test_lab_set_after_hours_phone(self, db: str) -> None:
        """The patient summary's after-hours number: set, shown, cleared with ""."""
        result = as_user(db, "admin", "lab", "set", "--after-hours-phone", " (217) 555-0100 ")
        assert result.code == 0
        assert "lab.after_hours_phone\t(217) 555-0100" in result.lines
        shown = as_user(db, "tech", "lab", "show").lines
        assert "lab.after_hours_phone\t(217) 555-0100" in shown
        settings = as_user(db, "tech", "settings", "show").lines
        assert "lab.after_hours_phone\t(217) 555-0100" in settings
        cleared = as_user(db, "admin", "lab", "set", "--after-hours-phone", "")
        assert "lab.after_hours_phone\t" in cleared.lines


# ------------------------------------------------------------------ help and usage


def every_command() -> list[list[str]]:
    """Every command and sub-command of the parser, e.g. ["settings", "set"]."""
    commands: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    commands.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return commands


def help_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status and output of `--help`: returned (not raised) and written to the given
    stdout, nothing to the process's own streams."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(""), stdout=out, stderr=err, hasher=TEST_HASHER)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    return code, out.getvalue(), err.getvalue()


class TestHelpAndUsage:
    def test_help_on_every_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        commands = every_command()
        names = {" ".join(c) for c in commands}
        assert {
            "import",
            "sign",
            "amend",
            "addendum",
            "withdraw",
            "cancel",
            "report",
            "export",
            "search",
            "audit verify",
            "settings show",
            "settings set",
            "lab set",
            "user add",
            "db upgrade",
            "db backup",
        } <= names
        for argv in [[], *commands]:
            code, out, err = help_of([*argv, "--help"], capsys)
            assert code == 0, argv
            assert out.startswith(f"usage: marrowpath {' '.join(argv)}".rstrip()), argv
            assert err == ""

    def test_lazily_built_help_is_the_whole_parsers(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`main` builds only the command the words name (`cli.parser.Commands`); what it
        prints is what the parser with every command built prints."""
        whole = build_parser()
        for argv in [[], *every_command()]:
            parser = whole
            for word in argv:
                parser = next(
                    a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
                ).choices[word]
            code, out, _err = help_of([*argv, "--help"], capsys)
            assert (code, out) == (0, parser.format_help()), argv

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = help_of(["--version"], capsys)
        assert (code, err) == (0, "")
        assert re.fullmatch(r"marrowpath \S+\n", out)

    def test_usage_errors_exit_2(self, database_url: str) -> None:
        for argv in (
            ["frobnicate"],
            ["sign"],
            ["export", ACCESSION, "--format", "xml"],
            ["amend", ACCESSION, "f.json"],
            ["settings"],
            ["user", "add", "x", "--role", "wizard", "--full-name", "X"],
        ):
            result = run(database_url, *argv)
            assert result.code == 2, argv
            assert result.err.startswith("marrowpath"), argv
            assert len(result.errors) == 1, argv


# ------------------------------------------------------------------ the installed command


def console(
    *argv: str, stdin: str = "", env: dict[str, str] | None = None, installed: bool = True
) -> Result:
    """A child process: the production command, `python -m marrowpath` of this checkout
    (production password hashing), or with `installed=False` the command line with the
    tests' cheap hasher (`tests/cli_process.py`)."""
    command = MARROWPATH if installed else CHEAP_MARROWPATH
    completed = subprocess.run(
        [*command, *argv],
        cwd=Path(__file__).resolve().parents[2],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert "Traceback" not in completed.stderr
    return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.mark.slow
def test_console_script_full_round_trip(tmp_path: Path) -> None:
    """import -> sign -> export in child processes on a SQLite file they create, then
    audit verify through the installed command: it signs in at production cost and
    upgrades the test's cheap hash to the production parameters on the way."""
    database = tmp_path / "lab.db"
    db = str(database)
    login = ("--db", db, "--user", "drpark", "--password-stdin")
    first = console(
        *("--db", db, "user", "add", "drpark", "--full-name", "Dana Park"),
        *("--role", "pathologist", "--credentials", "MD", "--password-stdin"),
        stdin=f"{PASSWORD}\n",
        installed=False,
    )
    assert (first.code, first.lines) == (0, ["added drpark (pathologist)"])
    assert database.exists()
    lab = console(
        *login,
        *("lab", "set", "--name", "Lab", "--address", "1 Road", "--clia-id", "14D0000001"),
        stdin=PASSWORD,
        installed=False,
    )
    assert lab.code == 0, lab.err
    case_file = write_case(tmp_path, "case.json", example_case())
    imported_ = console(*login, "import", str(case_file), stdin=PASSWORD, installed=False)
    assert (imported_.code, imported_.lines) == (0, [ACCESSION])
    sha = signed_line(
        console(*login, "sign", ACCESSION, stdin=PASSWORD, installed=False), 1, "final"
    )
    export_file = tmp_path / "export.json"
    exported = console(
        *login,
        *("export", ACCESSION, "--format", "json", "-o", str(export_file)),
        stdin=PASSWORD,
        installed=False,
    )
    assert exported.code == 0, exported.err
    data = json.loads(export_file.read_text(encoding="utf-8"))
    assert [v["sha256"] for v in data["versions"]] == [sha]
    assert data["patient"]["family_name"] == "Delgado"
    # MARROWPATH_DB names the database as --db does
    verified = console(
        "audit",
        "verify",
        "--user",
        "drpark",
        "--password-stdin",
        stdin=PASSWORD,
        env={"MARROWPATH_DB": db},
    )
    assert verified.code == 0, verified.err
    assert verified.lines[0].startswith("events\t")
    assert verified.lines[2:] == ["versions\t1", "intact"]
    with sqlite3.connect(database) as connection:
        (stored,) = connection.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # upgraded at sign-in


@pytest.mark.slow
def test_console_script_usage_error_exits_2(tmp_path: Path) -> None:
    usage = console("--db", str(tmp_path / "x.db"), "sign")
    assert (usage.code, usage.out) == (2, "")
    assert usage.err.startswith("marrowpath sign: ")
    assert len(usage.errors) == 1
    helped = console("import", "--help")
    assert helped.code == 0
    assert helped.out.startswith("usage: marrowpath import")
