"""A report signed in the app prints the clinical rules with the settings it was signed
under, on SQLite and PostgreSQL: the intervals of its counts, the CBC's H/L marks from
the lab's set, and the after-hours number of its snapshot, even after the lab changes
its settings (the stored PDF is never re-rendered; the patient summary is rendered from
the version's own snapshot)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from marrowpath.bootstrap import App, build
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

ACCESSION = "BM26-00042"
PHONE = "(217) 555-0100"


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed (a PDF rendered and stored at signing), with the tests' cheap hash."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


def text_of(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_a_signed_report_prints_intervals_marks_and_its_after_hours_number(
    app: App, team: dict[str, User]
) -> None:
    dr, admin = team["drpark"], team["admin"]
    app.lab.set_identity(admin, after_hours_phone=PHONE)
    app.cases.import_case(dr, example_case())
    version = app.cases.sign(dr, ACCESSION, PASSWORD)
    snapshot = version.content.settings
    assert snapshot.identity.after_hours_phone == PHONE
    assert snapshot.interval_sets is not None and snapshot.report_confidence_intervals

    stored = app.cases.report_pdf(dr, ACCESSION)
    text = text_of(stored)
    assert "Blasts 12.0 % (60 of 500 cells; 95 % CI 9.3-15.2, counting error only)" in text
    assert "Hemoglobin 8.4 g/dL 13.5-17.5 L" in text
    assert "Cellularity rule 100 minus age, bounded" in text

    # the lab changes its number and its intervals after signing
    app.lab.set_identity(admin, after_hours_phone="(217) 555-0999")
    app.lab.set(admin, "report.confidence_intervals", "false")
    assert app.cases.report_pdf(dr, ACCESSION) == stored
    summary = text_of(app.cases.report_pdf(dr, ACCESSION, patient_summary=True))
    assert f"At night, on weekends and on holidays, call {PHONE}." in summary
    assert "555-0999" not in summary
    assert "95 % CI 9.3-15.2" in summary  # the version's own setting: intervals on
    [issued] = app.cases.versions(dr, ACCESSION)
    assert issued.sha256 == issued.content.sha256() == version.sha256
