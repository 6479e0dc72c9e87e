"""Clinicians see only what was signed (issue 10, item 2), on SQLite and PostgreSQL.

Search (matching and the displayed row), sorting, the opened case, exports and printing
are computed from the latest issued version; a word of an unsigned edit (of a
preliminary report, of an amendment in progress, of a draft) is never found; a case with
nothing issued is answered exactly like no case at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from marrowpath.bootstrap import App
from marrowpath.db import migrate
from marrowpath.db.repositories import issued_columns
from marrowpath.domain.errors import NotFound
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.services.documents import case_write
from tests.conftest import PASSWORD, PG_ADMIN_URL, example_case, no_postgres
from tests.db.test_cases import ACCESSION, import_example, variant

Team = dict[str, User]
ISSUED_LINE = example_case()["diagnosis"]["lines"][0]
UNSIGNED = "Patient has metastatic disease (draft, not reviewed)."


def clinician_rows(app: App, team: Team, text: str = "", **filters: Any) -> list[tuple[str, ...]]:
    return [
        (r.accession, r.status.value, r.patient_name, r.mrn, r.diagnosis)
        for r in app.cases.search(team["clinician"], text, **filters)
    ]


def found_by(app: App, user: User, text: str) -> list[str]:
    return [r.accession for r in app.cases.search(user, text)]


def with_diagnosis(line: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    data = data or example_case()
    data["diagnosis"] = {**data["diagnosis"], "lines": [line]}
    return data


def test_an_unsigned_edit_of_a_preliminary_report_is_not_findable(app: App, team: Team) -> None:
    import_example(app, team)
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
    app.cases.import_case(team["drpark"], with_diagnosis(UNSIGNED))

    for word in ("metastatic", "not reviewed", "draft"):
        assert found_by(app, team["clinician"], word) == []
        assert app.cases.count(team["clinician"], word) == 0
    assert found_by(app, team["drpark"], "metastatic") == [ACCESSION]
    # what the clinician finds and sees is the preliminary report as issued
    assert clinician_rows(app, team, "multilineage dysplasia") == [
        (ACCESSION, "preliminary", "DELGADO, Tomás", "MRN0012345", ISSUED_LINE)
    ]
    assert found_by(app, team["drpark"], "multilineage") == []  # staff: the working text
    assert app.cases.search(team["drpark"])[0].diagnosis == UNSIGNED
    # the status a clinician sees is the issued one
    assert clinician_rows(app, team, statuses=(Status.PRELIMINARY,))[0][1] == "preliminary"
    assert clinician_rows(app, team, statuses=(Status.DRAFT,)) == []
    view = app.cases.open(team["clinician"], ACCESSION)
    assert view.record.working["diagnosis"]["lines"] == example_case()["diagnosis"]["lines"]
    assert view.record.status is Status.PRELIMINARY
    assert view.record.updated_by == "drpark" and not view.record.amendment_in_progress

    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)  # signed: now it is what was signed
    assert clinician_rows(app, team, "metastatic") == [
        (ACCESSION, "final", "DELGADO, Tomás", "MRN0012345", UNSIGNED)
    ]


def test_an_amendment_in_progress_is_not_findable(app: App, team: Team) -> None:
    """A final case shows clinicians its signed diagnosis, not "no lymphoma seen
    (unsigned)" while its report says lymphoma."""
    signed = with_diagnosis("Involvement by follicular lymphoma.")
    import_example(app, team, signed)
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
    record = app.cases.start_amendment(team["drpark"], ACCESSION)
    app.cases.save(
        team["drpark"],
        ACCESSION,
        with_diagnosis("No lymphoma seen (unsigned).", signed),
        expected_row_version=record.row_version,
    )

    assert found_by(app, team["clinician"], "unsigned") == []
    assert found_by(app, team["clinician"], "no lymphoma seen") == []
    assert found_by(app, team["drpark"], "unsigned") == [ACCESSION]
    assert clinician_rows(app, team, "follicular") == [
        (ACCESSION, "final", "DELGADO, Tomás", "MRN0012345", "Involvement by follicular lymphoma.")
    ]
    view = app.cases.open(team["clinician"], ACCESSION)
    assert view.document is not None
    assert view.document.diagnosis.lines == ["Involvement by follicular lymphoma."]
    assert not view.record.amendment_in_progress
    exported = app.cases.export_json(team["clinician"], ACCESSION)
    assert exported["diagnosis"]["lines"] == ["Involvement by follicular lymphoma."]


def test_a_misidentification_in_progress_keeps_the_issued_patient(app: App, team: Team) -> None:
    """Patient, MRN, procedure date and provider come from the issued version too."""
    import_example(app, team)
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
    record = app.cases.start_amendment(team["drpark"], ACCESSION)
    corrected = variant(ACCESSION, mrn="MRN0077777", family="Okafor", given="Grace")
    corrected["procedure"]["date"] = "2026-11-17"
    corrected["ordering_provider"] = {"name": "Zed Unsigned, MD"}
    app.cases.save(team["drpark"], ACCESSION, corrected, expected_row_version=record.row_version)

    for word in ("okafor", "MRN0077777", "unsigned"):
        assert found_by(app, team["clinician"], word) == []
    (row,) = app.cases.search(team["clinician"], "delgado MRN0012345")
    assert (row.patient_name, row.mrn) == ("DELGADO, Tomás", "MRN0012345")
    assert row.procedure_date == date(2026, 11, 18)
    assert row.ordering_provider == "Priya Raman, MD"
    assert app.cases.search(team["clinician"], date_to=date(2026, 11, 17)) == []
    assert app.cases.search(team["drpark"], date_to=date(2026, 11, 17))[0].mrn == "MRN0077777"


def test_clinicians_sort_by_the_issued_text(app: App, team: Team) -> None:
    import_example(app, team, with_diagnosis("Beta issued."))
    app.cases.import_case(
        team["drpark"], variant("BM26-00043", mrn="M43", diagnosis="Alpha issued.")
    )
    for accession in (ACCESSION, "BM26-00043"):
        app.cases.sign(team["drpark"], accession, PASSWORD, preliminary=True)
    app.cases.import_case(team["drpark"], with_diagnosis("Aaa unsigned."))  # would sort first
    rows = app.cases.search(team["clinician"], sort="diagnosis", descending=False)
    assert [r.diagnosis for r in rows] == ["Alpha issued.", "Beta issued."]
    rows = app.cases.search(team["drpark"], sort="diagnosis", descending=False)
    assert [r.diagnosis for r in rows] == ["Aaa unsigned.", "Alpha issued."]


def test_a_draft_word_is_not_findable_and_a_draft_is_answered_like_no_case(
    app: App, team: Team
) -> None:
    import_example(app, team, with_diagnosis(UNSIGNED))
    clinician = team["clinician"]
    assert found_by(app, clinician, "metastatic") == []
    assert found_by(app, clinician, "delgado") == []
    assert app.cases.search(clinician) == []
    for accession in (ACCESSION, "BM26-99999"):  # a draft, and no case at all
        expected = f"{accession}: no issued report"
        for read in (
            lambda a: app.cases.open(clinician, a),
            lambda a: app.cases.versions(clinician, a),
            lambda a: app.cases.export_json(clinician, a),
            lambda a: app.cases.report_pdf(clinician, a),
            lambda a: app.cases.report_requests(clinician, a),
            lambda a: app.interfaces.export_hl7(clinician, a),
            lambda a: app.interfaces.export_fhir(clinician, a),
        ):
            with pytest.raises(NotFound) as refused:
                read(accession)
            assert str(refused.value) == expected
    # staff still learn which it is
    with pytest.raises(NotFound, match="BM26-99999: no such case"):
        app.cases.open(team["drpark"], "BM26-99999")
    with app.context.uow(read_only=True) as uow:
        refusals = [e for e in uow.audit.events() if e.action == "refused"]
    assert {e.detail["reason"] for e in refusals if e.username == "clinician"} == {
        f"{ACCESSION}: no issued report",
        "BM26-99999: no issued report",
    }


def test_the_issued_key_is_folded_like_the_working_key(app: App, team: Team) -> None:
    data = variant(ACCESSION, family="Łukasiewicz-Nguyễn", given="Zoë", diagnosis="Straße ØRSTED")
    import_example(app, team, data)
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
    engine = create_engine(app.url)
    try:
        with engine.connect() as connection:
            working, issued = connection.execute(
                text("SELECT search_key, issued_search_key FROM cases")
            ).one()
    finally:
        engine.dispose()
    # hyphens inside names are ignored (cli.md: obrien finds O'Brien)
    assert issued == working and "lukasiewicznguyen, zoe" in issued and "strasse orsted" in issued
    assert found_by(app, team["clinician"], "LUKASIEWICZ strasse orsted") == [ACCESSION]


# ------------------------------------------------------------------ migration 0010


@contextmanager
def database_at_0003(kind: str, tmp_path: Path) -> Iterator[str]:
    """A new database migrated to 0003 (before the issued columns)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        cleanup = None
    else:
        name = f"marrowpath_migration_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:
            admin.dispose()
            no_postgres(error)
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

        def cleanup() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    engine = create_engine(url)
    config = migrate._config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
        yield url
    finally:
        engine.dispose()
        if cleanup is not None:
            cleanup()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_migration_0010_fills_the_issued_columns_from_the_latest_version(
    kind: str, tmp_path: Path
) -> None:
    """Cases signed before the migration: a final case amended in progress, a draft."""
    issued_document = example_case()
    working = with_diagnosis(UNSIGNED)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with database_at_0003(kind, tmp_path) as url:
        engine = create_engine(url)
        json_type = "::jsonb" if kind == "postgresql" else ""
        try:
            with engine.begin() as connection:
                for case_id, accession, status, count, document in (
                    (1, ACCESSION, "final", 2, working),
                    (2, "BM26-00043", "draft", 0, {**working, "accession": "BM26-00043"}),
                ):
                    write = case_write(document, None, None)
                    connection.execute(
                        text(
                            "INSERT INTO cases (id, accession, status, working, "
                            "amendment_in_progress, row_version, issued_count, procedure_date, "
                            "diagnosis, ordering_provider, patient_name, mrn, search_key, "
                            "created_at, updated_at, updated_by) VALUES (:id, :accession, "
                            f":status, CAST(:working AS TEXT){json_type}, :aip, 1, :count, "
                            ":date, :diagnosis, '', '', '', :key, :now, :now, 'drpark')"
                        ),
                        {
                            "id": case_id,
                            "accession": accession,
                            "status": status,
                            "working": _json(document),
                            "aip": count > 0,
                            "count": count,
                            "date": write.procedure_date,
                            "diagnosis": write.diagnosis,
                            "key": write.search_key,
                            "now": now.replace(tzinfo=None) if kind == "sqlite" else now,
                        },
                    )
                for number, document in (
                    (1, with_diagnosis("Superseded line.")),
                    (2, issued_document),
                ):
                    connection.execute(
                        text(
                            "INSERT INTO report_versions (case_id, number, kind, content, "
                            "signed_by, signed_at, sha256) VALUES (1, :number, 'final', "
                            f"CAST(:content AS TEXT){json_type}, 'drpark', :now, :sha)"
                        ),
                        {
                            "number": number,
                            "content": _json({"number": number, "document": document}),
                            "now": now.replace(tzinfo=None) if kind == "sqlite" else now,
                            "sha": "0" * 64,
                        },
                    )
            migrate.upgrade(engine)
            with engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT accession, issued_search_key, issued_diagnosis, "
                        "issued_patient_name, issued_mrn, issued_procedure_date, "
                        "issued_ordering_provider FROM cases ORDER BY id"
                    )
                ).all()
        finally:
            engine.dispose()
    expected = issued_columns(case_write(issued_document, None, None))
    expected["issued_procedure_date"] = "2026-11-18"  # as text: SQLite has no date type
    assert (*rows[0][:5], str(rows[0][5]), rows[0][6]) == (ACCESSION, *expected.values())
    assert rows[0][2] == ISSUED_LINE and "metastatic" not in rows[0][1]
    assert rows[1] == ("BM26-00043", "", "", "", "", None, "")


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
