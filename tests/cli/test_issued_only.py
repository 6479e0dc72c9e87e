"""On the command line, clinicians find and read only what was signed (issue 10, item 2):
`search` matches and shows the latest issued version, and a case with nothing issued is
answered "no issued report" whether it exists or not. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from tests.cli.test_cli import ACCESSION, as_user, imported
from tests.conftest import example_case

Team = dict[str, User]
ISSUED_LINE = example_case()["diagnosis"]["lines"][0]
UNSIGNED = "Patient has metastatic disease (draft, not reviewed)."


@pytest.fixture
def db(app: App, team: Team) -> str:
    return app.url


def edited(line: str) -> dict[str, object]:
    data = example_case()
    data["diagnosis"]["lines"] = [line]
    return data


def test_a_clinician_searching_a_word_of_an_unsigned_edit_finds_nothing(
    db: str, app: App, team: Team, tmp_path: Path
) -> None:
    imported(db, tmp_path)
    assert as_user(db, "drpark", "sign", ACCESSION, "--preliminary").code == 0
    imported(db, tmp_path, edited(UNSIGNED))  # the working document of the preliminary case

    for words in (["metastatic"], ["not", "reviewed"], ["draft"]):
        result = as_user(db, "clinician", "search", *words)
        assert (result.code, result.out, result.err) == (0, "", "")
    shown = as_user(db, "clinician", "search", "multilineage")
    assert shown.lines == [
        f"{ACCESSION}\tpreliminary\tDELGADO, Tomás\tMRN0012345\t2026-11-18\t{ISSUED_LINE}"
    ]
    staff = as_user(db, "drpark", "search", "metastatic")
    assert staff.lines == [
        f"{ACCESSION}\tpreliminary\tDELGADO, Tomás\tMRN0012345\t2026-11-18\t{UNSIGNED}"
    ]
    # an amendment in progress of the final report: the same
    assert as_user(db, "drpark", "sign", ACCESSION).code == 0
    record = app.cases.start_amendment(team["drpark"], ACCESSION)
    amended = edited("No lymphoma seen (unsigned).")
    app.cases.save(team["drpark"], ACCESSION, amended, expected_row_version=record.row_version)
    assert as_user(db, "clinician", "search", "unsigned").out == ""
    assert as_user(db, "clinician", "search", "lymphoma").out == ""
    final = as_user(db, "clinician", "search", "metastatic", "--status", "final")
    assert [line.split("\t")[5] for line in final.lines] == [UNSIGNED]  # signed now


def test_a_draft_is_answered_like_no_case_for_a_clinician(
    db: str, team: Team, tmp_path: Path
) -> None:
    """Before: "no such case" for one and "no issued report" or "the case is draft" for
    the other told a clinician that a draft exists."""
    imported(db, tmp_path, edited(UNSIGNED))
    assert as_user(db, "clinician", "search", "metastatic").out == ""
    assert as_user(db, "clinician", "search", "delgado").out == ""
    pdf = str(tmp_path / "r.pdf")
    for argv in (
        ("report", "{a}", "-o", pdf),
        ("export", "{a}", "--format", "json"),
        ("export", "{a}", "--format", "hl7"),
        ("export", "{a}", "--format", "fhir"),
    ):
        answers = []
        for accession in (ACCESSION, "BM26-99999"):
            result = as_user(db, "clinician", *(part.format(a=accession) for part in argv))
            answers.append((result.code, result.out, result.err.replace(accession, "ACC")))
        assert answers[0] == answers[1] == (1, "", "ACC: no issued report\n"), argv
    assert not Path(pdf).exists()
    staff = as_user(db, "drpark", "export", "BM26-99999", "--format", "hl7")
    assert staff.err == "BM26-99999: no such case\n"
