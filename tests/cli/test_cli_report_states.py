"""`compare`, `amend`'s changes table and the `report` refusals of `report-states.md`, run
through `main()` as a script would (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from marrowpath.bootstrap import App
from tests.cli.test_cli import ACCESSION, Team, as_user, db, imported, write_case
from tests.conftest import example_case

__all__ = ["db"]  # the fixture, used by name


def amended(db: str, folder: Path) -> None:
    imported(db, folder)
    assert as_user(db, "drpark", "sign", ACCESSION).code == 0
    corrected = example_case()
    corrected["aspirate"]["differential"].update(blasts=100, polychromatic_normoblasts=70)
    corrected["clinical"]["cbc"]["platelets_10e9_l"] = 5
    result = as_user(
        db,
        "drpark",
        *("amend", ACCESSION, str(write_case(folder, "amended.json", corrected))),
        *("--reason-category", "report_defect", "--reason", "Counts corrected."),
        *("--acknowledge", "all"),  # the recount contradicts the diagnosis text (C01, C04)
    )
    assert result.code == 0, result.err
    assert result.lines[0].startswith(f"{ACCESSION}\tversion 2\tamendment\t")
    assert result.lines[1:] == ROWS


ROWS = [
    "Platelets\t54 ×10⁹/L\t5 ×10⁹/L",
    "Blasts (aspirate differential)\t60 of 500 cells (12.0 %)\t100 of 500 cells (20.0 %)",
    "Polychromatic normoblasts (aspirate differential)\t110 of 500 cells (22.0 %)"
    "\t70 of 500 cells (14.0 %)",
]


def test_compare_prints_label_was_now(db: str, tmp_path: Path) -> None:
    amended(db, tmp_path)
    result = as_user(db, "clinician", "compare", ACCESSION, "1", "2")
    assert (result.code, result.lines, result.err) == (0, ROWS, "")
    same = as_user(db, "clinician", "compare", ACCESSION, "2", "2")
    assert (same.code, same.out, same.err) == (0, "", "")


def test_compare_refuses_in_one_line(db: str, tmp_path: Path) -> None:
    amended(db, tmp_path)
    missing = as_user(db, "drpark", "compare", ACCESSION, "1", "7")
    assert (missing.code, missing.errors) == (
        1,
        [f"{ACCESSION}: has no version 7 (versions 1 to 2)"],
    )
    draft = example_case()
    draft["accession"] = "BM26-00043"
    imported(db, tmp_path, draft)
    hidden = as_user(db, "clinician", "compare", "BM26-00043", "1", "2")
    assert (hidden.code, hidden.errors) == (1, ["BM26-00043: no issued report"])
    unknown = as_user(db, "drpark", "compare", "BM26-99999", "1", "2")
    assert (unknown.code, unknown.errors) == (1, ["BM26-99999: no such case"])
    usage = as_user(db, "drpark", "compare", ACCESSION, "one", "2")
    assert usage.code == 2


def test_report_of_an_earlier_version_prints_superseded(db: str, tmp_path: Path) -> None:
    amended(db, tmp_path)
    out = tmp_path / "v1.pdf"
    result = as_user(db, "clinician", "report", ACCESSION, "--version", "1", "-o", str(out))
    assert result.code == 0, result.err
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages]
    assert all("SUPERSEDED - version 1 of 2" in text for text in pages)


@pytest.mark.slow
def test_patient_summary_refused_for_withdrawn_and_cancelled(
    app: App, team: Team, db: str, tmp_path: Path
) -> None:
    imported(db, tmp_path)
    assert as_user(db, "drpark", "sign", ACCESSION).code == 0
    assert as_user(db, "drpark", "withdraw", ACCESSION, "--reason", "Labels swapped.").code == 0
    out = str(tmp_path / "x.pdf")
    withdrawn = as_user(db, "clinician", "report", ACCESSION, "-o", out, "--patient-summary")
    assert (withdrawn.code, withdrawn.errors) == (
        1,
        [f"{ACCESSION}: a withdrawn report has no patient summary"],
    )
    assert not Path(out).exists()

    preliminary = example_case()
    preliminary["accession"] = "BM26-00044"
    imported(db, tmp_path, preliminary)
    assert as_user(db, "drpark", "sign", "BM26-00044", "--preliminary").code == 0
    assert as_user(db, "drpark", "cancel", "BM26-00044", "--reason", "Referred.").code == 0
    cancelled = as_user(db, "drpark", "report", "BM26-00044", "-o", out, "--patient-summary")
    assert (cancelled.code, cancelled.errors) == (
        1,
        ["BM26-00044: a cancelled report has no patient summary"],
    )
    printed = as_user(db, "drpark", "report", "BM26-00044", "-o", out)
    assert printed.code == 0
    first = PdfReader(out).pages[0].extract_text()
    assert "CANCELLED" in first and "No final report will follow for this accession." in first

    never = example_case()
    never["accession"] = "BM26-00045"
    imported(db, tmp_path, never)
    assert as_user(db, "drpark", "cancel", "BM26-00045", "--reason", "Duplicate.").code == 0
    nothing = as_user(db, "drpark", "report", "BM26-00045", "-o", out)
    assert (nothing.code, nothing.errors) == (
        1,
        [
            "BM26-00045: the case was cancelled before any report was issued; there is "
            "nothing to print"
        ],
    )
