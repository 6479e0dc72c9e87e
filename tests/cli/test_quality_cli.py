"""`marrowpath qc second-counts` (`bench.md` section 1, the laboratory's QC export), on
SQLite and PostgreSQL: a second count recorded in the editor's fields comes back as CSV
with its concordance, cases without one are left out, and only those who see working
documents may export it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.cli.quality import COLUMNS
from marrowpath.domain.users import User
from tests.cli.test_cli import as_user, write_case
from tests.conftest import example_case_v2

Team = dict[str, User]


@pytest.fixture
def db(app: App, team: Team) -> str:
    return app.url


def v2_case(accession: str, procedure_date: str, second: dict[str, Any] | None) -> dict[str, Any]:
    data = example_case_v2()  # 60 blasts and 10 plasma cells of 500, counted by achen
    data["accession"] = accession
    data["procedure"]["date"] = procedure_date
    data["procedure"].pop("collected_at", None)  # on the example's own date
    if second is not None:
        data["aspirate"]["second_count"] = second
    return data


def rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_second_counts_round_trip_as_csv_with_their_concordance(db: str, tmp_path: Path) -> None:
    files = [
        write_case(tmp_path, f"{name}.json", data)
        for name, data in (
            (
                "agree",
                v2_case(
                    "BM26-00051",
                    "2026-11-17",
                    {
                        "counted_by": "mlee",
                        "method": "counter",
                        "differential": {"blasts": 30, "neutrophils": 166, "plasma_cells": 4},
                    },
                ),
            ),
            (
                "apart",
                v2_case(
                    "BM26-00052",
                    "2026-11-16",
                    {
                        "counted_by": "trainee",
                        "differential": {"blasts": 18, "neutrophils": 80, "plasma_cells": 2},
                    },
                ),
            ),
            ("none", v2_case("BM26-00053", "2026-11-15", None)),
        )
    ]
    imported = as_user(db, "drpark", "import", *map(str, files))
    assert (imported.code, imported.err) == (0, ""), imported.err

    result = as_user(db, "tech", "qc", "second-counts")

    assert (result.code, result.err) == (0, "")
    assert result.lines[0] == ",".join(COLUMNS)
    found = rows(result.out)
    assert [r["accession"] for r in found] == ["BM26-00052", "BM26-00051"]  # by date
    apart, agree = found
    assert agree == {
        "accession": "BM26-00051",
        "procedure_date": "2026-11-17",
        "status": "draft",
        "counted_by": "achen",
        "method": "counter",
        "cells": "500",
        "second_counted_by": "mlee",
        "second_method": "counter",
        "second_cells": "200",
        "blasts_pct": "12.0",
        "blasts_ci": "9.3-15.2",
        "second_blasts_pct": "15.0",
        "second_blasts_ci": "10.4-20.7",
        "blasts_concordant": "yes",
        "plasma_cells_pct": "2.0",
        "plasma_cells_ci": "1.0-3.6",
        "second_plasma_cells_pct": "2.0",
        "second_plasma_cells_ci": "0.5-5.0",
        "plasma_cells_concordant": "yes",
        "concordant": "yes",
    }
    # 18 of 100 (18.0 %) lies above 60 of 500's interval: discordant for blasts
    assert (apart["second_method"], apart["second_cells"]) == ("", "100")
    assert (apart["second_blasts_pct"], apart["second_blasts_ci"]) == ("18.0", "11.0-26.9")
    assert (apart["blasts_concordant"], apart["plasma_cells_concordant"]) == ("no", "yes")
    assert apart["concordant"] == "no"

    within = as_user(db, "drpark", "qc", "second-counts", "--from", "2026-11-17")
    assert [r["accession"] for r in rows(within.out)] == ["BM26-00051"]
    reversed_dates = as_user(
        db, "drpark", "qc", "second-counts", "--from", "2026-11-17", "--to", "2026-11-16"
    )
    assert reversed_dates.code == 1 and reversed_dates.out == ""
    assert reversed_dates.errors == ["qc second-counts: --from 2026-11-17 is after --to 2026-11-16"]
    bad_date = as_user(db, "drpark", "qc", "second-counts", "--from", "17/11/2026")
    assert bad_date.code == 2


def test_only_those_who_see_working_documents_export_second_counts(db: str) -> None:
    for user in ("admin", "clinician"):
        refused = as_user(db, user, "qc", "second-counts")
        assert refused.code == 1 and refused.out == ""
        assert len(refused.errors) == 1 and user in refused.errors[0]
    empty = as_user(db, "resident", "qc", "second-counts")
    assert (empty.code, empty.lines) == (0, [",".join(COLUMNS)])
