"""Input bounds (issue 10, attack 11): huge differential counts, deeply nested JSON, NUL
and other control characters; each refused in words naming the field, audited, the same
on SQLite and PostgreSQL, and an import batch goes on with the next file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.cli import main
from marrowpath.domain.errors import InvalidCase, Refused
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

ACCESSION = "BM26-00042"
Team = dict[str, User]


def import_files(db: str, *paths: Path) -> tuple[int, list[str], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--db", db, "--user", "drpark", "--password-stdin", "import", *map(str, paths)],
        stdin=io.StringIO(f"{PASSWORD}\n"),
        stdout=out,
        stderr=err,
        hasher=TEST_HASHER,
    )
    assert "Traceback" not in err.getvalue() and "unexpected error" not in err.getvalue()
    return code, out.getvalue().splitlines(), err.getvalue().splitlines()


def refusals(app: App) -> list[dict[str, Any]]:
    with app.context.uow(read_only=True) as uow:
        return [e.detail for e in uow.audit.events() if e.action == "refused"]


def refused(app: App, team: Team, data: dict[str, Any]) -> str:
    with pytest.raises(InvalidCase) as caught:
        app.cases.import_case(team["drpark"], data)
    return str(caught.value)


# ------------------------------------------------------------------ counts


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (10_001, "10001"),
        (10**6, "1000000"),
        (2**63, "9223372036854775808"),
        (10**400, "a number of 401 digits"),
    ],
)
def test_a_huge_differential_count_is_refused(
    app: App, team: Team, tmp_path: Path, count: int, shown: str
) -> None:
    data = example_case()
    data["aspirate"]["differential"]["blasts"] = count
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = import_files(app.url, path)
    assert (code, out) == (1, [])
    assert err == [
        f"{path}: {ACCESSION}: aspirate.differential.blasts must be a whole number <= 10000 "
        f"(cells of one category), got {shown}"
    ]
    assert app.cases.count(team["drpark"]) == 0
    assert refusals(app)[-1]["action"] == "import"


def test_a_differential_of_more_than_100000_cells_is_refused(app: App, team: Team) -> None:
    data = example_case()
    categories = ["blasts", "promyelocytes", "myelocytes", "metamyelocytes", "bands"]
    categories += ["neutrophils", "eosinophils", "basophils", "monocytes", "lymphocytes"]
    data["aspirate"]["differential"] = {name: 10_000 for name in [*categories, "other"]}
    assert refused(app, team, data) == (
        f"{ACCESSION}: aspirate.differential must count at most 100000 cells in total, got 110000"
    )
    data["aspirate"]["differential"] = {name: 10_000 for name in categories}
    assert app.cases.import_case(team["drpark"], data) == (ACCESSION, True)  # 100,000 exactly


# ------------------------------------------------------------------ nesting


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deep_json_is_refused_in_words_audited_and_the_batch_goes_on(
    app: App, team: Team, tmp_path: Path
) -> None:
    first = tmp_path / "1-first.json"
    first.write_text(json.dumps(example_case()), encoding="utf-8")
    very_deep = tmp_path / "2-very-deep.json"
    very_deep.write_text(nested(100_000), encoding="utf-8")
    deep_in_a_case = example_case()
    deep_in_a_case["accession"] = "BM26-00043"
    deep_in_a_case["clinical"]["history"] = json.loads(nested(40))
    third = tmp_path / "3-deep-field.json"
    third.write_text(json.dumps(deep_in_a_case), encoding="utf-8")
    last = tmp_path / "4-last.json"
    last.write_text(json.dumps({**example_case(), "accession": "BM26-00044"}), "utf-8")
    code, out, err = import_files(app.url, first, very_deep, third, last)
    assert code == 1
    assert out == [ACCESSION, "BM26-00044"]
    rule = (
        "is nested more than 32 levels deep (objects and lists within each other); a case "
        "file never is"
    )
    assert err == [f"{very_deep}: {rule}", f"{third}: BM26-00043: {rule}"]
    reasons = [detail["reason"] for detail in refusals(app)]
    assert reasons == [f"{very_deep}: {rule}", f"{third}: BM26-00043: {rule}"]


# ------------------------------------------------------------------ control characters


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (
            ("diagnosis", "comment"),
            "Norm\x00ocellular",
            "diagnosis.comment must not contain control characters (tab and line ends are "
            "allowed); U+0000 at position 5",
        ),
        (
            ("patient", "family_name"),
            "Del\x00gado",
            "patient.family_name must not contain control characters; U+0000 at position 4",
        ),
        (
            ("clinical", "history"),
            "Prior \x1b[31mMDS",
            "clinical.history must not contain control characters (tab and line ends are "
            "allowed); U+001B at position 7",
        ),
        (
            ("ordering_provider", "name"),
            "Priya\tRaman",
            "ordering_provider.name must not contain control characters; U+0009 at position 6",
        ),
        (
            ("diagnosis", "comment"),
            "C1 control \x85 here",
            "diagnosis.comment must not contain control characters (tab and line ends are "
            "allowed); U+0085 at position 12",
        ),
    ],
)
def test_control_characters_are_refused_the_same_way_on_both_databases(
    app: App, team: Team, where: tuple[str, str], value: str, expected: str
) -> None:
    data = example_case()
    data[where[0]][where[1]] = value
    assert refused(app, team, data) == f"{ACCESSION}: {expected}"
    assert refusals(app)[-1] == {"action": "import", "reason": f"{ACCESSION}: {expected}"}
    assert app.cases.count(team["drpark"]) == 0


def test_tab_and_line_ends_stay_allowed_in_long_text(app: App, team: Team) -> None:
    data = example_case()
    data["diagnosis"]["comment"] = "First line\n\tindented\r\nthird"
    assert app.cases.import_case(team["drpark"], data) == (ACCESSION, True)


def test_a_nul_in_a_field_name_or_a_reason_is_refused_in_words(app: App, team: Team) -> None:
    data = example_case()
    data["patient"]["mrn\x00"] = "x"
    message = refused(app, team, data)
    assert "is not a field of marrowpath.case/2" in message and "\\u0000" in message
    assert "\x00" not in refusals(app)[-1]["reason"]
    app.cases.import_case(team["drpark"], example_case())
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
    with pytest.raises(Refused) as caught:
        app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text="Flow \x00 pending")
    assert str(caught.value) == (
        f"{ACCESSION}: the addendum text must not contain control characters (tab and line "
        "ends are allowed); U+0000 at position 6"
    )


def test_a_search_with_a_nul_is_answered_on_both_databases(app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], example_case())
    for text in ("delgado\x00", "delg\x00ado", "\x00"):  # a NUL separates words
        assert [c.accession for c in app.cases.search(team["drpark"], text)] == [ACCESSION]
    assert app.cases.search(team["drpark"], "nobody\x00") == []
