"""`marrowpath import` and `export` with case format /2, on SQLite and PostgreSQL: both
formats read, `/2` written, and each bad input of /2 refused in one line naming the file,
the case, the field and the rule, with nothing imported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from tests.cli.test_cli import as_user, write_case
from tests.conftest import EXAMPLE_CASE, example_case_v2
from tests.unit.test_case_format_2 import without_nulls

Team = dict[str, User]


@pytest.fixture
def db(app: App, team: Team) -> str:
    return app.url


def v2(accession: str, change: Any = None) -> dict[str, Any]:
    data = example_case_v2()
    data["accession"] = accession
    data["patient"]["mrn"] = f"M{accession[-3:]}"
    if change is not None:
        change(data)
    return data


def test_a_v2_file_round_trips_through_import_and_export(db: str, tmp_path: Path) -> None:
    data = example_case_v2()
    result = as_user(db, "drpark", "import", str(write_case(tmp_path, "v2.json", data)))
    assert (result.code, result.err) == (0, "")
    exported = as_user(db, "drpark", "export", data["accession"], "--format", "json")
    assert exported.code == 0
    assert json.loads(exported.out) == {**without_nulls(data), "versions": []}


def test_a_v1_file_is_upgraded_on_the_way_in_and_exported_as_v2(db: str, tmp_path: Path) -> None:
    result = as_user(db, "drpark", "import", str(EXAMPLE_CASE))
    assert (result.code, result.err) == (0, "")
    original = json.loads(EXAMPLE_CASE.read_text(encoding="utf-8"))
    exported = json.loads(
        as_user(db, "drpark", "export", original["accession"], "--format", "json").out
    )
    assert exported["format"] == "marrowpath.case/2"
    assert exported["core"]["infiltrate"]["patterns"] == ["interstitial"]
    assert "pattern" not in exported["core"]["infiltrate"]


def test_bad_v2_input_is_refused_naming_the_field_and_the_rule(
    app: App, db: str, tmp_path: Path
) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "v1-field.json",
            v2("BM26-00201", lambda d: d["core"]["infiltrate"].update(pattern="nodular")),
            "BM26-00201: core.infiltrate.pattern is a field of marrowpath.case/1; "
            "marrowpath.case/2 has patterns (a list)",
        ),
        (
            "ring-over.json",
            v2("BM26-00202", lambda d: d["aspirate"]["iron"].update(ring_sideroblasts=120)),
            "BM26-00202: aspirate.iron.ring_sideroblasts must be at most "
            "erythroblasts_counted (100), got 120",
        ),
        (
            "ring-typed.json",
            v2("BM26-00203", lambda d: d["aspirate"]["iron"].update(ring_sideroblasts_pct=15)),
            "BM26-00203: aspirate.iron.ring_sideroblasts_pct 15 disagrees with the counts: "
            "4 of 100 erythroblasts is 4.0 %",
        ),
        (
            "none-and.json",
            v2(
                "BM26-00204",
                lambda d: d["core"]["infiltrate"].update(patterns=["interstitial", "none"]),
            ),
            "BM26-00204: core.infiltrate.patterns must be none alone (none says there is no "
            "infiltrate), got interstitial, none",
        ),
        (
            "therapy.json",
            v2(
                "BM26-00205",
                lambda d: d["clinical"].update(
                    therapy=[
                        {
                            "name": "Venetoclax",
                            "kind": "targeted",
                            "started_on": "2026-09-10",
                            "ended_on": "2026-09-01",
                        }
                    ]
                ),
            ),
            "BM26-00205: clinical.therapy[0].ended_on 2026-09-01 is before started_on 2026-09-10",
        ),
        (
            "collected.json",
            v2(
                "BM26-00206",
                lambda d: d["procedure"].update(collected_at="2026-11-17T16:00:00-05:00"),
            ),
            "BM26-00206: procedure.collected_at is on 2026-11-17, not on the procedure date "
            "2026-11-18",
        ),
        (
            "format.json",
            v2("BM26-00207", lambda d: d.update(format="marrowpath.case/1.5")),
            "BM26-00207: format must be exactly marrowpath.case/2 (or marrowpath.case/1, read "
            'and upgraded), got "marrowpath.case/1.5"',
        ),
    ]
    paths = [write_case(tmp_path, name, data) for name, data, _ in cases]
    result = as_user(db, "drpark", "import", *(str(path) for path in paths))
    assert result.code == 1
    assert result.out == ""
    assert result.errors == [
        f"{path}: {message}" for path, (_, _, message) in zip(paths, cases, strict=True)
    ]
    assert as_user(db, "drpark", "search").out == ""  # nothing was imported
