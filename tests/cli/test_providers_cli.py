"""`provider list`, `provider add`, `provider import` (cli.md) on SQLite and PostgreSQL:
round trips, the roles, and a CSV with a missing column or a bad row, which names the row
and imports nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from tests.cli.test_cli import as_user

Team = dict[str, User]
HEADER = "name,family_name,given_names,id,organization,phone\n"


@pytest.fixture
def db(app: App, team: Team) -> str:
    return app.url


def write(tmp_path: Path, text: str, name: str = "providers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_add_then_list_round_trip(db: str) -> None:
    added = as_user(
        db, "drpark", "provider", "add", "Priya Raman, MD", "--id", "1234567893",
        "--organization", "Springfield Cancer Center", "--phone", "217-555-0142",
    )  # fmt: skip
    assert (added.code, added.err) == (0, "")
    assert added.lines == [
        "provider added: Priya Raman, MD · 1234567893 · Springfield Cancer Center"
    ]
    assert as_user(db, "admin", "provider", "add", "Omar Haddad, DO").code == 0

    listed = as_user(db, "tech", "provider", "list")
    assert (listed.code, listed.err) == (0, "")
    assert listed.lines == [
        "Omar Haddad, DO\t\t\t\t\t",
        "Priya Raman, MD\t\t\t1234567893\tSpringfield Cancer Center\t217-555-0142",
    ]


def test_add_refusals_exit_1_with_one_line_and_change_nothing(db: str) -> None:
    assert (
        as_user(db, "drpark", "provider", "add", "Priya Raman, MD", "--id", "1234567893").code == 0
    )
    again = as_user(db, "admin", "provider", "add", "P. Raman", "--id", "1234567893")
    assert (again.code, again.errors) == (
        1,
        ["provider add: id 1234567893 is already Priya Raman, MD's"],
    )
    tech = as_user(db, "tech", "provider", "add", "Someone Else, MD")
    assert (tech.code, tech.errors) == (
        1,
        ["tech (technologist) may not maintain the provider directory"],
    )
    empty = as_user(db, "drpark", "provider", "add", "  ")
    assert empty.code == 1
    assert empty.errors == [
        "provider add: name is empty; the name as printed on reports is required"
    ]
    clinician = as_user(db, "clinician", "provider", "list")
    assert clinician.code == 1 and clinician.out == ""
    assert [line.split("\t")[0] for line in as_user(db, "drpark", "provider", "list").lines] == [
        "Priya Raman, MD"
    ]
    usage = as_user(db, "drpark", "provider", "add")
    assert usage.code == 2


def test_import_adds_and_replaces_by_id(db: str, tmp_path: Path) -> None:
    assert as_user(db, "drpark", "provider", "add", "P Raman", "--id", "1234567893").code == 0
    csv = write(
        tmp_path,
        HEADER
        + '"Priya Raman, MD",Raman,Priya,1234567893,Springfield Cancer Center,217-555-0142\n'
        + "\n"
        + "Łucja Nowak-Kowalska,Nowak-Kowalska,Łucja,,St. Mary's,\n",
    )
    result = as_user(db, "admin", "provider", "import", str(csv))
    assert (result.code, result.err) == (0, "")
    assert result.lines == [f"{csv}: 1 providers added, 1 replaced"]
    assert as_user(db, "drpark", "provider", "list").lines == [
        "Łucja Nowak-Kowalska\tNowak-Kowalska\tŁucja\t\tSt. Mary's\t",
        "Priya Raman, MD\tRaman\tPriya\t1234567893\tSpringfield Cancer Center\t217-555-0142",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name,family_name,given_names,id,organization\nA,,,,\n",
            "line 1: missing column phone; the header must be "
            "name,family_name,given_names,id,organization,phone (nothing was imported)",
        ),
        (
            HEADER + "Ann Lee,Lee,Ann,111,,\n,Nobody,,222,,\n",
            "line 3: name is empty; the name as printed on reports is required "
            "(nothing was imported)",
        ),
        (
            HEADER + "Ann Lee,Lee,Ann,111,,\nBo Chen,Chen,Bo,222\n",
            "line 3: 4 fields where the header has 6 (nothing was imported)",
        ),
        (
            HEADER + "Ann Lee,Lee,Ann,111,,\nBo Chen,Chen,Bo,111,,\n",
            "line 3: id 111 is also on line 2 (nothing was imported)",
        ),
        (
            HEADER + "Ann Lee,Lee,Ann,111,,\n" + "Bo Chen," + "x" * 201 + ",Bo,222,,\n",
            "line 3: family name is 201 characters long; at most 200 (nothing was imported)",
        ),
    ],
    ids=["missing-column", "empty-name", "short-row", "repeated-id", "too-long"],
)
def test_a_bad_csv_names_the_row_and_imports_nothing(
    db: str, tmp_path: Path, text: str, message: str
) -> None:
    csv = write(tmp_path, text)
    result = as_user(db, "drpark", "provider", "import", str(csv))
    assert (result.code, result.out) == (1, "")
    assert result.errors == [f"{csv}: {message}"]
    assert as_user(db, "drpark", "provider", "list").lines == []


def test_import_of_an_unreadable_file_or_by_a_resident(db: str, tmp_path: Path) -> None:
    missing = as_user(db, "drpark", "provider", "import", str(tmp_path / "nope.csv"))
    assert missing.code == 1
    assert missing.errors == [
        f"{tmp_path / 'nope.csv'}: cannot be read (No such file or directory)"
    ]
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "Zoë Adler,,,,,\n").encode("latin-1"))
    assert as_user(db, "drpark", "provider", "import", str(latin1)).errors == [
        f"{latin1}: not UTF-8 text; save the CSV as UTF-8"
    ]
    csv = write(tmp_path, HEADER + "Ann Lee,Lee,Ann,111,,\n")
    resident = as_user(db, "resident", "provider", "import", str(csv))
    assert resident.errors == ["resident (resident) may not maintain the provider directory"]
    assert as_user(db, "drpark", "provider", "list").lines == []
