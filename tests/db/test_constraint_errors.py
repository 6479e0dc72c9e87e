"""The unit of work tells refusals apart by the name of the constraint the database broke
(`db/errors.py`), on SQLite and PostgreSQL alike, never by the driver's wording."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from marrowpath.bootstrap import App
from marrowpath.db.errors import Violation, violation
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User
from marrowpath.services.ports import CaseWrite

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _broken(url: str, statement: str) -> Violation:
    engine = create_engine(url)
    try:
        with engine.begin() as connection, pytest.raises(IntegrityError) as refused:
            connection.execute(text(statement))
        return violation(refused.value)
    finally:
        engine.dispose()


PATIENT = (
    "INSERT INTO patients (id, mrn, family_name, given_names, birth_date, sex, search_key) "
    "VALUES ({id}, '{mrn}', 'Doe', 'Jane', '1960-01-02', 'female', 'doe')"
)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (PATIENT.format(id=2, mrn="MRN1"), Violation("uq_patients_mrn", "patients")),
        (PATIENT.format(id=1, mrn="MRN2"), Violation("pk_patients", "patients")),
    ],
    ids=["unique", "primary-key"],
)
def test_a_broken_constraint_is_known_by_its_name(
    database_url: str, statement: str, expected: Violation
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(PATIENT.format(id=1, mrn="MRN1")))
    engine.dispose()
    assert _broken(database_url, statement) == expected


def test_a_duplicate_accession_is_refused_as_in_use(app: App, team: dict[str, User]) -> None:
    write = CaseWrite(
        working={},
        search_key="",
        patient_id=None,
        procedure_date=None,
        diagnosis="",
        ordering_provider="",
    )

    def add_case() -> None:
        with app.context.uow() as uow:
            uow.cases.add(
                accession="BM26-00001",
                write=write,
                user="admin",
                at=NOW,
                assigned_pathologist=None,
                resident=None,
            )
            uow.commit()

    add_case()
    with pytest.raises(Refused, match=r"^that accession number is already in use$"):
        add_case()
