"""The report's "Prior marrows at this laboratory" (issue 14, item 2), read back from the
PDF: the earlier issued marrows, part of the version signed (a reprint never changes),
turned off by a lab setting. SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from marrowpath.bootstrap import App, build
from marrowpath.domain.timeline import BLAST_EQUIVALENTS
from marrowpath.domain.users import Role, User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

TITLE = "PRIOR MARROWS AT THIS LABORATORY"  # the heading, in small capitals


@pytest.fixture
def lab(database_url: str) -> Iterator[tuple[App, User]]:
    app = build(database_url, hasher=TEST_HASHER)  # with the PDF renderer
    app.auth.add_first_user(
        "drpark", full_name="Dana Park", role=Role.PATHOLOGIST, password=PASSWORD
    )
    user = app.auth.sign_in("drpark", PASSWORD)
    app.lab.set_identity(
        user, name="Riverside Hematopathology Laboratory", address="200 River Road",
        clia_id="14D0123456",
    )  # fmt: skip
    yield app, user
    app.close()


def marrow(accession: str, day: str, blasts: int) -> dict[str, Any]:
    data = example_case()
    data["accession"] = accession
    data["procedure"]["date"] = day
    data["received_at"] = f"{day}T15:00:00Z"
    data["aspirate"]["differential"]["blasts"] = blasts
    return data


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def signed(app: App, user: User, *cases: dict[str, Any]) -> None:
    for data in cases:
        app.cases.import_case(user, data)
        # the blasts vary while the diagnosis text stays: its findings are acknowledged
        app.cases.sign(user, data["accession"], PASSWORD, acknowledge=["all"])


def test_the_report_lists_the_earlier_marrows_as_signed(lab: tuple[App, User]) -> None:
    app, user = lab
    signed(
        app, user, marrow("BM26-00010", "2026-06-01", 40), marrow("BM26-00011", "2026-08-01", 10)
    )
    app.cases.import_case(user, marrow("BM26-00012", "2026-10-01", 5))  # a draft: not listed
    signed(app, user, marrow("BM26-00013", "2026-11-18", 20))

    first = text_of(app.cases.report_pdf(user, "BM26-00010"))
    assert TITLE not in first  # nothing earlier
    latest = app.cases.versions(user, "BM26-00013")[-1]
    priors = latest.content.prior_marrows
    assert priors is not None
    assert [p.accession for p in priors] == ["BM26-00011", "BM26-00010"]  # newest first
    text = text_of(app.cases.report_pdf(user, "BM26-00013"))
    assert TITLE in text
    assert text.index("BM26-00011") < text.index("BM26-00010")
    assert "BM26-00012" not in text
    assert "Trend (this marrow last)" in text and "Blast equivalents" in text
    # a later marrow does not change the report as signed
    signed(app, user, marrow("BM26-00014", "2026-11-20", 30))
    again = app.cases.versions(user, "BM26-00013")[-1]
    assert again.content.prior_marrows == priors and again.sha256 == latest.sha256
    assert "BM26-00014" not in text_of(app.cases.report_pdf(user, "BM26-00013"))


def test_a_lab_setting_turns_the_section_off(lab: tuple[App, User]) -> None:
    app, user = lab
    app.lab.set(user, "report.prior_marrows", "false")
    signed(
        app, user, marrow("BM26-00010", "2026-06-01", 40), marrow("BM26-00011", "2026-08-01", 10)
    )
    assert app.cases.versions(user, "BM26-00011")[-1].content.prior_marrows is None
    assert TITLE not in text_of(app.cases.report_pdf(user, "BM26-00011"))


def test_a_merged_patients_earlier_marrow_is_a_prior_marrow_and_the_snapshot_stays(
    app: App, team: dict[str, User]
) -> None:
    """`bench.md` 6 against 5: after a merge the survivor's next report lists the moved
    case among its prior marrows; unmerging or correcting the patient afterwards leaves
    that report as signed (its prior marrows are part of the version)."""
    drpark, admin = team["drpark"], team["admin"]
    duplicate = marrow("BM26-00010", "2026-06-01", 40)
    duplicate["patient"]["mrn"] = "MRN0099999"
    signed(app, drpark, duplicate)
    app.cases.import_case(drpark, marrow("BM26-00013", "2026-11-18", 20))
    app.patients.merge(admin, "MRN0099999", "MRN0012345", reason="Duplicate registration")

    app.cases.sign(drpark, "BM26-00013", PASSWORD, acknowledge=["all"])
    latest = app.cases.versions(drpark, "BM26-00013")[-1]
    priors = latest.content.prior_marrows
    assert priors is not None and [p.accession for p in priors] == ["BM26-00010"]
    # 40 blasts of 480 cells (the example counts 500, 60 of them blasts)
    assert priors[0].value(BLAST_EQUIVALENTS) == Decimal("8.3")

    app.patients.unmerge(admin, "MRN0099999")
    app.patients.correct(drpark, "MRN0012345", reason="Typo", family_name="Delgado-Ruiz")
    again = app.cases.versions(drpark, "BM26-00013")[-1]
    assert again.sha256 == latest.sha256 and again.content.prior_marrows == priors
