"""What an issued version prints once later things happened, on SQLite and PostgreSQL.

The app here renders and stores a PDF at every signature (as installed), so printing an
earlier version goes through its stored bytes: stamped, never re-rendered, never changed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from marrowpath.bootstrap import App, build
from marrowpath.domain.errors import NotFound, Refused
from marrowpath.domain.redline import redline
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case

ACCESSION = "BM26-00042"
Team = dict[str, User]


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed: a PDF is rendered and stored with every version."""
    application = build(database_url)
    yield application
    application.close()


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def imported(app: App, team: Team, **edits: Any) -> dict[str, Any]:
    data = example_case()
    data.update(edits)
    app.cases.import_case(team["drpark"], data)
    return data


def amend_laterality(app: App, team: Team) -> None:
    corrected = example_case()
    corrected["procedure"]["laterality"] = "left"
    app.cases.amend(
        team["drpark"],
        ACCESSION,
        corrected,
        PASSWORD,
        reason_category="report_defect",
        reason="Side recorded wrongly.",
    )


@pytest.mark.slow
def test_a_superseded_version_prints_its_stored_bytes_under_an_overlay(
    app: App, team: Team
) -> None:
    dr = team["drpark"]
    imported(app, team)
    app.cases.sign(dr, ACCESSION, PASSWORD)
    stored = app.cases.report_pdf(dr, ACCESSION)  # as issued: the current version
    assert "FINAL REPORT" in texts(stored)[0] and "SUPERSEDED" not in " ".join(texts(stored))
    amend_laterality(app, team)

    printed = app.cases.report_pdf(dr, ACCESSION, version=1)
    assert printed.startswith(stored) and printed != stored
    for original, now in zip(texts(stored), texts(printed), strict=True):
        assert now.startswith(original)  # the issued page content extracts unchanged
        assert "SUPERSEDED - version 1 of 2" in now
        assert "Do not use this version for care." in flat(now)
    assert app.cases.report_pdf(dr, ACCESSION, version=1) == printed  # same every time
    current = app.cases.report_pdf(dr, ACCESSION)
    assert "AMENDED REPORT" in texts(current)[0] and "SUPERSEDED" not in " ".join(texts(current))
    assert "What changed Was Now Laterality Right Left" in flat(texts(current)[0])
    assert "FINAL DIAGNOSIS" in flat(texts(current)[0])  # the diagnosis did not change

    summary = app.cases.report_pdf(dr, ACCESSION, version=1, patient_summary=True)
    pages = texts(summary)
    assert all("SUPERSEDED - version 1 of 2" in text for text in pages)
    assert "older version of your report" in flat(" ".join(pages))


def test_every_version_of_a_withdrawn_case_prints_withdrawn(app: App, team: Team) -> None:
    dr = team["drpark"]
    imported(app, team)
    app.cases.sign(dr, ACCESSION, PASSWORD)
    stored = app.cases.report_pdf(dr, ACCESSION)
    app.cases.withdraw(dr, ACCESSION, PASSWORD, reason="Labels of two patients swapped.")
    for number in (1, 2):
        pages = texts(app.cases.report_pdf(dr, ACCESSION, version=number))
        assert all("WITHDRAWN" in text for text in pages)
        assert "Labels of two patients swapped." in flat(pages[0])
    assert app.cases.report_pdf(dr, ACCESSION, version=1).startswith(stored)
    for asked in (None, 1):
        with pytest.raises(Refused) as refused:
            app.cases.report_pdf(dr, ACCESSION, version=asked, patient_summary=True)
        assert str(refused.value) == f"{ACCESSION}: a withdrawn report has no patient summary"
    choices = app.cases.report_choices(team["clinician"], ACCESSION)
    assert choices.no_patient_summary == f"{ACCESSION}: a withdrawn report has no patient summary"


def test_a_cancelled_preliminary_prints_anew_under_cancelled(app: App, team: Team) -> None:
    dr = team["drpark"]
    imported(app, team)
    app.cases.sign(dr, ACCESSION, PASSWORD, preliminary=True)
    stored = app.cases.report_pdf(dr, ACCESSION)
    assert "a final report will follow" in flat(texts(stored)[0])
    app.cases.cancel(dr, ACCESSION, reason="Referred; the final report will be issued there.")

    printed = app.cases.report_pdf(team["clinician"], ACCESSION)
    assert not printed.startswith(stored)  # printed anew, not the preliminary's bytes
    pages = texts(printed)
    assert all("CANCELLED" in text for text in pages)
    first = flat(pages[0])
    assert "Reason: Referred; the final report will be issued there." in first
    assert "by Dana Park, MD." in first
    assert "No final report will follow for this accession." in first
    assert "a final report will follow" not in flat(" ".join(pages)).replace("No final", "")
    with pytest.raises(Refused, match="a cancelled report has no patient summary"):
        app.cases.report_pdf(dr, ACCESSION, patient_summary=True)


def test_a_case_cancelled_before_anything_was_issued_has_nothing_to_print(
    app: App, team: Team
) -> None:
    imported(app, team)
    app.cases.cancel(team["drpark"], ACCESSION, reason="Duplicate order.")
    with pytest.raises(Refused) as refused:
        app.cases.report_pdf(team["drpark"], ACCESSION)
    assert str(refused.value) == (
        f"{ACCESSION}: the case was cancelled before any report was issued; there is nothing "
        "to print"
    )
    assert app.cases.report_choices(team["drpark"], ACCESSION).nothing_to_print


def test_amendment_stores_its_changes_without_changing_earlier_hashes(app: App, team: Team) -> None:
    dr = team["drpark"]
    imported(app, team)
    app.cases.sign(dr, ACCESSION, PASSWORD)
    (original,) = app.cases.versions(dr, ACCESSION)
    corrected = example_case()
    corrected["clinical"]["cbc"]["platelets_10e9_l"] = 5
    app.cases.amend(
        dr, ACCESSION, corrected, PASSWORD, reason_category="report_defect", reason="Typo."
    )
    v1, v2 = app.cases.versions(dr, ACCESSION)
    assert v1 == original and v1.sha256 == v1.content.sha256() and v1.content.changes is None
    assert v2.sha256 == v2.content.sha256()
    assert list(v2.content.changes or ()) == redline(
        v1.content.document.to_json_dict(), v2.content.document.to_json_dict()
    )
    assert [(r.label, r.was, r.now) for r in v2.content.changes or ()] == [
        ("Platelets", "54 ×10⁹/L", "5 ×10⁹/L")
    ]
    assert app.audit.verify(team["admin"]).intact

    same = example_case()
    same["clinical"]["cbc"]["platelets_10e9_l"] = 5
    with pytest.raises(Refused, match="the amendment is identical to version 2"):
        app.cases.amend(dr, ACCESSION, same, PASSWORD, reason_category="other", reason="x")
    same["stains"].reverse()  # the same stains, each with the same values
    with pytest.raises(Refused, match="the amendment changes no printed value"):
        app.cases.amend(dr, ACCESSION, same, PASSWORD, reason_category="other", reason="x")


def test_compare_any_two_versions(app: App, team: Team) -> None:
    dr = team["drpark"]
    imported(app, team)
    app.cases.sign(dr, ACCESSION, PASSWORD)
    amend_laterality(app, team)
    rows = app.cases.compare(team["clinician"], ACCESSION, 2, 1)
    assert [(r.label, r.was, r.now) for r in rows] == [("Laterality", "Left", "Right")]
    assert app.cases.compare(dr, ACCESSION, 1, 1) == []
    with pytest.raises(NotFound) as missing:
        app.cases.compare(dr, ACCESSION, 1, 3)
    assert str(missing.value) == f"{ACCESSION}: has no version 3 (versions 1 to 2)"
    draft = example_case()
    draft["accession"] = "BM26-00043"
    app.cases.import_case(dr, draft)
    with pytest.raises(NotFound, match="BM26-00043: no issued report"):
        app.cases.compare(team["clinician"], "BM26-00043", 1, 2)
