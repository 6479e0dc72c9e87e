"""The report and the editor's data show people by their names, not their usernames
(`bench.md`: "counted by NAME", "by NAME"), and an issued version keeps the names it was
signed with: renaming a user later changes neither the stored PDF nor a rendering of it.
Real SQLite and PostgreSQL, real PDFs read back with pypdf."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from marrowpath.bootstrap import App, build
from marrowpath.domain.canonical import sha256_hex
from marrowpath.domain.users import User
from marrowpath.reports.pdf import render_report
from tests.conftest import PASSWORD, example_case_v2
from tests.hashing import TEST_HASHER

ACCESSION = "BM26-00042"


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """The app with its PDF renderer (the shared fixture has none): signing stores the
    issued PDF, as on a workstation."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


def text_of(pdf: bytes) -> str:
    return " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages
    )


def counted_and_called_by(username: str) -> dict[str, Any]:
    data = {**example_case_v2(), "accession": ACCESSION}
    data["aspirate"]["count"]["counted_by"] = username
    for entry in data.get("communications") or []:
        entry["by"] = username
    data["communications"] = [
        {
            "at": "2026-11-20T15:05:00-05:00",
            "to": "Dr Priya Raman",
            "method": "phone",
            "read_back": True,
            "by": username,
        }
    ]
    return data


def test_the_report_prints_names_and_an_issued_version_keeps_them(
    app: App, team: dict[str, User]
) -> None:
    dr = team["drpark"]
    app.cases.import_case(dr, counted_and_called_by("drpark"))
    draft = text_of(app.cases.report_pdf(dr, ACCESSION, purpose="preview"))
    assert "counted with the on-screen counter by Dana Park" in draft
    assert "at 15:05 UTC-05:00 by Dana Park; read back." in draft
    assert "by drpark" not in draft

    app.cases.sign(dr, ACCESSION, PASSWORD, preliminary=True)
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None
        [version] = uow.versions.list(case.id)
    assert version.content.people == {"drpark": "Dana Park"}
    issued = app.cases.report_pdf(dr, ACCESSION)
    assert sha256_hex(issued) == version.pdf_sha256
    assert "by Dana Park" in text_of(issued) and "by drpark" not in text_of(issued)

    # the user's name changes later: what was signed does not
    with app.context.uow() as uow:
        uow.users.update("drpark", full_name="Dana Park-Lopez")
        uow.commit()
    again, stored = app.cases.report_requests(dr, ACCESSION)
    assert stored == issued
    assert render_report(again) == issued  # rendered anew: byte-identical to what was signed
    # the editor's view of the case reads today's names
    view = app.cases.open(dr, ACCESSION)
    assert view.name_of("drpark") == "Dana Park-Lopez"
    assert view.name_of("someone-elsewhere") == "someone-elsewhere"


def test_a_username_that_is_not_a_user_here_prints_as_stored(
    app: App, team: dict[str, User]
) -> None:
    dr = team["drpark"]
    app.cases.import_case(dr, counted_and_called_by("jdoe-other-lab"))
    text = text_of(app.cases.report_pdf(dr, ACCESSION, purpose="preview"))
    assert "by jdoe-other-lab" in text
