"""Issued content is verified, not trusted (issue 10): the attacks of a hospital's security
review on the stored rows, on SQLite and PostgreSQL.

Each attack changes the database behind MarrowPath's back (as someone with the owner's
rights, `tests.tamper`) and then checks that `audit verify` names it and that printing,
the exports, `send` and the outbox refuse in words instead of handing out what was not
signed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marrowpath.bootstrap import App, build
from marrowpath.cli import main
from marrowpath.db.uow import SqlUnitOfWork
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER
from tests.interfaces.support import Listener, pdf_of
from tests.tamper import as_json, tamper, tampering

ACCESSION = "BM26-00042"
ADMIN = "Tell the laboratory's administrator."
Team = dict[str, User]


@pytest.fixture
def printing(app: App, team: Team) -> Iterator[App]:
    """The same database with the PDF renderer: PDFs are stored when signed."""
    application = build(app.url, hasher=TEST_HASHER)
    yield application
    application.close()


def signed(app: App, team: Team, accession: str = ACCESSION) -> None:
    app.cases.import_case(team["drpark"], {**example_case(), "accession": accession})
    app.cases.sign(team["drpark"], accession, PASSWORD)


def amended(app: App, team: Team) -> None:
    signed(app, team)
    data = example_case()
    data["diagnosis"]["lines"] = ["Acute myeloid leukemia with myelodysplasia-related changes."]
    app.cases.amend(
        team["drpark"],
        ACCESSION,
        data,
        PASSWORD,
        reason_category="interpretation_change",
        reason="Cytogenetics received.",
        acknowledge=["all"],  # AML named over 12 % blasts (C05): not what is tested here
    )


def stored(app: App, number: int = 1) -> tuple[bytes | None, str | None]:
    with app.engine.connect() as connection:
        row = connection.execute(
            text("SELECT pdf, pdf_sha256 FROM report_versions WHERE number = :n"), {"n": number}
        ).one()
    return (bytes(row.pdf) if row.pdf is not None else None), row.pdf_sha256


def forged_pdf(app: App, team: Team) -> bytes:
    """A genuine-looking PDF of the same case that was never signed (the patient summary
    edition: other bytes, same header and fingerprint)."""
    pdf = app.cases.report_pdf(team["drpark"], ACCESSION, patient_summary=True)
    assert pdf != stored(app)[0]
    return pdf


def swap_pdf(app: App, pdf: bytes | None, number: int = 1) -> None:
    """Replace the stored PDF and its hash column together, as the attack did."""
    digest = hashlib.sha256(pdf).hexdigest() if pdf is not None else None
    touched = tamper(
        app.engine,
        "UPDATE report_versions SET pdf = :pdf, pdf_sha256 = :sha WHERE number = :n",
        pdf=pdf,
        sha=digest,
        n=number,
    )
    assert touched == 1


def refusals(app: App) -> list[tuple[str, str, str]]:
    with app.context.uow(read_only=True) as uow:
        return [
            (e.username, e.detail["action"], e.detail["reason"])
            for e in uow.audit.events()
            if e.action == "refused"
        ]


def cli(db: str, user: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--db", db, "--user", user, "--password-stdin", *argv],
        stdin=io.StringIO(f"{PASSWORD}\n"),
        stdout=out,
        stderr=err,
    )
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def not_handed_out(words: str, done: str, number: int = 1) -> str:
    return f"{ACCESSION} version {number}: {words}; it was not {done}. {ADMIN}"


# ------------------------------------------------------------------ the swapped PDF


class TestSwappedPdf:
    def test_audit_verify_names_the_swapped_pdf(self, printing: App, team: Team) -> None:
        signed(printing, team)
        assert printing.audit.verify(team["admin"]).intact
        swap_pdf(printing, forged_pdf(printing, team))
        result = printing.audit.verify(team["admin"])
        assert result.problems == [
            f"{ACCESSION} version 1: the stored PDF does not match the one signed (altered)"
        ]

    def test_printing_refuses_in_words_and_audits(self, printing: App, team: Team) -> None:
        signed(printing, team)
        genuine = printing.cases.report_pdf(team["drpark"], ACCESSION)
        forged = forged_pdf(printing, team)
        swap_pdf(printing, forged)
        for purpose, done in (("print", "printed"), ("preview", "shown"), ("save", "saved")):
            with pytest.raises(Refused) as caught:
                printing.cases.report_pdf(team["clinician"], ACCESSION, purpose=purpose)  # type: ignore[arg-type]
            words = not_handed_out("the stored PDF does not match the one signed", done)
            assert str(caught.value) == words
            assert refusals(printing)[-1] == ("clinician", "print", words)
        # the patient summary is rendered from the verified version, never from the swap
        with pytest.raises(Refused, match="does not match the one signed"):
            printing.cases.report_pdf(team["drpark"], ACCESSION, patient_summary=True)
        # putting the genuine bytes back makes it printable again
        swap_pdf(printing, genuine)
        assert printing.cases.report_pdf(team["drpark"], ACCESSION) == genuine

    @pytest.mark.parametrize("rehashed", [False, True], ids=["edited", "rehashed"])
    def test_a_signing_event_rewritten_to_match_is_refused_too(
        self, printing: App, team: Team, rehashed: bool
    ) -> None:
        """The attacker also writes the forged PDF's hash into the signing event (and
        recomputes the event's own hash): the event no longer links into the chain."""
        signed(printing, team)
        forged = forged_pdf(printing, team)
        swap_pdf(printing, forged)
        with printing.context.uow(read_only=True) as uow:
            event = next(e for e in uow.audit.events() if e.action == "sign")
        detail = {**event.detail, "pdf_sha256": hashlib.sha256(forged).hexdigest()}
        digest = replace(event, detail=detail).expected_hash() if rehashed else event.hash
        tamper(
            printing.engine,
            f"UPDATE audit_events SET detail = {as_json(printing.engine, 'd')}, hash = :h "
            "WHERE seq = :seq",
            d=json.dumps(detail),
            h=digest,
            seq=event.seq,
        )
        with pytest.raises(Refused) as caught:
            printing.cases.report_pdf(team["clinician"], ACCESSION)
        assert str(caught.value) == not_handed_out(
            f"its signing event {event.seq} was altered", "printed"
        )
        assert not printing.audit.verify(team["admin"]).intact

    def test_report_command_refuses_and_writes_nothing(
        self, printing: App, team: Team, tmp_path: Path
    ) -> None:
        signed(printing, team)
        swap_pdf(printing, forged_pdf(printing, team))
        folder = tmp_path / "reports"
        folder.mkdir()
        out = folder / "report.pdf"
        code, _out, err = cli(printing.url, "clinician", "report", ACCESSION, "-o", str(out))
        assert code == 1
        assert err.splitlines() == [
            not_handed_out("the stored PDF does not match the one signed", "printed")
        ]
        assert not list(folder.iterdir())
        code, _out, err = cli(printing.url, "drpark", "report", "--all", "--out-dir", str(folder))
        assert code == 1
        assert "does not match the one signed" in err
        assert not list(folder.iterdir())

    def test_hl7_and_fhir_refuse(self, printing: App, team: Team) -> None:
        signed(printing, team)
        genuine = stored(printing)[0]
        assert pdf_of(printing.interfaces.export_hl7(team["clinician"], ACCESSION)) == genuine
        swap_pdf(printing, forged_pdf(printing, team))
        words = not_handed_out("the stored PDF does not match the one signed", "exported")
        with pytest.raises(Refused) as caught:
            printing.interfaces.export_hl7(team["clinician"], ACCESSION)
        assert str(caught.value) == words
        with pytest.raises(Refused) as caught:
            printing.interfaces.export_fhir(team["clinician"], ACCESSION)
        assert str(caught.value) == words
        assert [r[1] for r in refusals(printing)[-2:]] == ["export hl7", "export fhir"]

    def test_send_refuses(self, printing: App, team: Team) -> None:
        signed(printing, team)
        swap_pdf(printing, forged_pdf(printing, team))
        with Listener() as listener:
            with pytest.raises(Refused) as caught:
                printing.outbox.send_to_address(
                    team["admin"], ACCESSION, "127.0.0.1", listener.port
                )
            assert listener.received == []
            address = f"127.0.0.1:{listener.port}"
        assert str(caught.value) == not_handed_out(
            "the stored PDF does not match the one signed", "sent"
        )
        assert refusals(printing)[-1][:2] == ("admin", f"send to {address}")

    def test_the_outbox_refuses_a_message_whose_pdf_was_swapped(
        self, printing: App, team: Team
    ) -> None:
        with Listener() as listener:
            printing.lab.add_destination(
                team["admin"], name="EHR", host="127.0.0.1", port=listener.port
            )
            signed(printing, team)  # queued with the genuine PDF, not sent yet
            with printing.engine.connect() as connection:
                row = connection.execute(text("SELECT id, message FROM outbox_messages")).one()
            genuine = stored(printing)[0]
            assert genuine is not None and pdf_of(row.message) == genuine
            forged = forged_pdf(printing, team)
            message = row.message.replace(
                base64.b64encode(genuine).decode(), base64.b64encode(forged).decode()
            )
            tamper(
                printing.engine,
                "UPDATE outbox_messages SET message = :m WHERE id = :id",
                m=message,
                id=row.id,
            )
            (delivery,) = printing.outbox.deliver_due()
            assert listener.received == []
        words = not_handed_out(
            "the PDF in the queued message does not match the one signed", "sent"
        )
        assert (delivery.outcome, delivery.text) == ("failed", words)
        assert delivery.entry.status == "failed"
        assert refusals(printing)[-1] == ("outbox", "transmit", words)


# ------------------------------------------------------------------ the PDF set to NULL


class TestMissingPdf:
    def test_a_pdf_set_to_null_is_named_and_never_rendered_again(
        self, printing: App, team: Team
    ) -> None:
        signed(printing, team)
        swap_pdf(printing, None)
        assert printing.audit.verify(team["admin"]).problems == [
            f"{ACCESSION} version 1: the stored PDF is missing (altered)"
        ]
        words = not_handed_out("the stored PDF is missing", "printed")
        with pytest.raises(Refused) as caught:
            printing.cases.report_pdf(team["drpark"], ACCESSION)
        assert str(caught.value) == words
        with pytest.raises(Refused, match="the stored PDF is missing; it was not exported"):
            printing.interfaces.export_hl7(team["drpark"], ACCESSION)

    def test_the_hash_column_alone_set_to_null_is_named_too(
        self, printing: App, team: Team
    ) -> None:
        signed(printing, team)
        tamper(printing.engine, "UPDATE report_versions SET pdf_sha256 = NULL")
        assert printing.audit.verify(team["admin"]).problems == [
            f"{ACCESSION} version 1: the stored PDF does not match the one signed (altered)"
        ]


# ------------------------------------------------------------------ demo versions


class TestVersionsSignedWithoutAPdf:
    """Bulk demo cases (docs/decisions.md 7) and installations without a renderer store no
    PDF; their signing events say so, and printing renders them from the verified version."""

    @pytest.fixture
    def demo(self, database_url: str) -> Iterator[tuple[App, User]]:
        """A demo database with three generated cases, and its pathologist."""
        application = build(
            database_url, hasher=TEST_HASHER
        )  # with the renderer, which bulk loading skips
        users, _ = application.demo.ensure_users_and_lab()
        assert application.demo.load_bulk(users, 3, application.context.clock.today()) == 3
        yield application, next(u for u in users.values() if u.role.value == "pathologist")
        application.close()

    @staticmethod
    def first_version(app: App) -> tuple[str, int]:
        with app.engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT c.accession, v.number, v.pdf FROM report_versions v "
                    "JOIN cases c ON c.id = v.case_id ORDER BY v.id LIMIT 1"
                )
            ).one()
        assert row.pdf is None
        return row.accession, row.number

    def test_bulk_versions_stay_printable(self, demo: tuple[App, User]) -> None:
        app, reader = demo
        accession, number = self.first_version(app)
        assert app.audit.verify(reader).intact
        pdf = app.cases.report_pdf(reader, accession, version=number)
        assert accession in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        with app.context.uow(read_only=True) as uow:
            event = next(e for e in uow.audit.for_case(accession) if e.action == "sign")
        assert event.detail["pdf_sha256"] is None  # recorded: no PDF was stored

    def test_a_pdf_slipped_into_a_version_signed_without_one_is_refused(
        self, demo: tuple[App, User]
    ) -> None:
        app, reader = demo
        accession, number = self.first_version(app)
        forged = app.cases.report_pdf(reader, accession, version=number)
        tamper(
            app.engine,
            "UPDATE report_versions SET pdf = :pdf, pdf_sha256 = :sha "
            "WHERE number = :n AND case_id = (SELECT id FROM cases WHERE accession = :a)",
            pdf=forged,
            sha=hashlib.sha256(forged).hexdigest(),
            n=number,
            a=accession,
        )
        assert app.audit.verify(reader).problems == [
            f"{accession} version {number}: a PDF is stored but none was signed (altered)"
        ]
        with pytest.raises(Refused) as caught:
            app.cases.report_pdf(reader, accession, version=number)
        assert str(caught.value) == (
            f"{accession} version {number}: a PDF is stored but none was signed; "
            f"it was not printed. {ADMIN}"
        )


# ------------------------------------------------------------------ the deleted version


class TestDeletedVersion:
    def test_a_deleted_amendment_is_named(self, app: App, team: Team) -> None:
        amended(app, team)
        with app.context.uow(read_only=True) as uow:
            event = [e for e in uow.audit.for_case(ACCESSION) if e.action == "sign"][-1]
        assert event.detail["version"] == 2
        assert tamper(app.engine, "DELETE FROM report_versions WHERE number = 2") == 1
        assert app.audit.verify(team["admin"]).problems == [
            f"{ACCESSION} version 2: signed in event {event.seq} but the version is missing "
            "(deleted)",
            f"{ACCESSION}: the status is amended but its versions make it final (altered)",
            f"{ACCESSION}: 2 versions are counted but 1 is stored (altered)",
        ]

    def test_the_superseded_version_is_not_handed_out_as_current(
        self, app: App, team: Team
    ) -> None:
        amended(app, team)
        tamper(app.engine, "DELETE FROM report_versions WHERE number = 2")
        words = f"{ACCESSION} version 2: signed but missing from the database; "
        with pytest.raises(Refused) as caught:
            app.cases.report_pdf(team["clinician"], ACCESSION)
        assert str(caught.value) == f"{words}it was not printed. {ADMIN}"
        with pytest.raises(Refused) as caught:
            app.interfaces.export_hl7(team["clinician"], ACCESSION)
        assert str(caught.value) == f"{words}it was not exported. {ADMIN}"


# ------------------------------------------------------------------ the status reset


class TestStatusReset:
    def test_a_final_case_reset_to_draft_is_named(self, app: App, team: Team) -> None:
        signed(app, team)
        tamper(app.engine, "UPDATE cases SET status = 'draft', issued_count = 0")
        assert app.audit.verify(team["admin"]).problems == [
            f"{ACCESSION}: the status is draft but its versions make it final (altered)",
            f"{ACCESSION}: 0 versions are counted but 1 is stored (altered)",
        ]

    def test_it_cannot_be_signed_final_a_second_time(self, app: App, team: Team) -> None:
        signed(app, team)
        tamper(app.engine, "UPDATE cases SET status = 'draft'")
        words = (
            f"{ACCESSION}: the case's status (draft) does not follow from its issued versions "
            f"(final); nothing was changed. {ADMIN}"
        )
        for attempt in (
            lambda: app.cases.sign(team["drpark"], ACCESSION, PASSWORD),
            lambda: app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True),
            lambda: app.cases.cancel(team["drpark"], ACCESSION, reason="Duplicate."),
        ):
            with pytest.raises(Refused) as caught:
                attempt()
            assert str(caught.value) == words
        view = app.cases.open(team["drpark"], ACCESSION)
        with pytest.raises(Refused) as caught:
            app.cases.save(
                team["drpark"],
                ACCESSION,
                view.record.working,
                expected_row_version=view.record.row_version,
            )
        assert str(caught.value) == words
        assert [v.number for v in app.cases.versions(team["drpark"], ACCESSION)] == [1]
        assert refusals(app)[-1] == ("drpark", "save", words)

    def test_a_cancelled_case_needs_its_cancellation(self, app: App, team: Team) -> None:
        app.cases.import_case(team["drpark"], example_case())
        app.cases.cancel(team["drpark"], ACCESSION, reason="Duplicate order.")
        assert app.audit.verify(team["admin"]).intact
        tamper(app.engine, "UPDATE cases SET status = 'draft'")
        assert app.audit.verify(team["admin"]).problems == [
            f"{ACCESSION}: the status is draft but its versions and cancellation make it "
            "cancelled (altered)"
        ]
        app.cases.import_case(team["drpark"], {**example_case(), "accession": "BM26-00043"})
        tamper(app.engine, "UPDATE cases SET status = 'cancelled' WHERE accession = 'BM26-00043'")
        assert app.audit.verify(team["admin"]).problems[-1] == (
            "BM26-00043: the status is cancelled but its versions make it draft (altered)"
        )


# ------------------------------------------------------------------ immutable tables


def _direct(app: App, sql: str, **params: Any) -> None:
    with app.engine.begin() as connection:
        connection.execute(text(sql), params)


class TestImmutableTables:
    CHANGES = (
        ("report_versions", "UPDATE report_versions SET pdf_sha256 = 'x'"),
        ("report_versions", "UPDATE report_versions SET content = content"),
        ("report_versions", "DELETE FROM report_versions"),
        ("audit_events", "UPDATE audit_events SET username = 'mallory'"),
        (
            "audit_events",
            "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)",
        ),
    )

    def test_update_and_delete_are_refused(self, app: App, team: Team) -> None:
        signed(app, team)
        for table, sql in self.CHANGES:
            with app.engine.connect() as connection:
                before = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            with pytest.raises(DBAPIError) as caught:
                _direct(app, sql)
            assert f"{table} rows are never updated or deleted" in str(caught.value), sql
            with app.engine.connect() as connection:
                after = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            assert after == before, sql
        assert app.audit.verify(team["admin"]).intact

    def test_inserting_still_works_and_the_outbox_stays_mutable(self, app: App, team: Team) -> None:
        with Listener() as listener:
            app.lab.add_destination(team["admin"], name="EHR", host="127.0.0.1", port=listener.port)
            signed(app, team)
            app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text="Karyotype 46,XY[20].")
            deliveries = app.outbox.deliver_due()
            assert [d.outcome for d in deliveries] == ["sent", "sent"]
        assert app.audit.verify(team["admin"]).intact

    def test_a_refused_change_reads_as_words(self, app: App, team: Team) -> None:
        signed(app, team)
        with pytest.raises(Refused) as caught, app.context.uow() as uow:
            assert isinstance(uow, SqlUnitOfWork)
            uow.session.execute(text("DELETE FROM report_versions"))
        assert str(caught.value) == (
            "the database refused to change an issued report version or an audit event: "
            "they are never updated or deleted"
        )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backup_keeps_the_triggers(app: App, team: Team, tmp_path: Path) -> None:
    signed(app, team)
    code, out, _err = cli(app.url, "admin", "db", "backup", str(tmp_path / "copy.db"))
    assert code == 0, out
    copy = build(str(tmp_path / "copy.db"), with_renderer=False, hasher=TEST_HASHER)
    try:
        assert copy.audit.verify(team["admin"]).intact
        with pytest.raises(DBAPIError, match="report_versions rows are never updated"):
            _direct(copy, "DELETE FROM report_versions")
    finally:
        copy.close()


def test_the_tamper_helper_restores_the_triggers(app: App, team: Team) -> None:
    signed(app, team)
    content = json.dumps({"tampered": True})
    with tampering(app.engine) as connection:
        connection.execute(
            text(f"UPDATE audit_events SET detail = {as_json(app.engine, 'c')} WHERE seq = 1"),
            {"c": content},
        )
    with pytest.raises(DBAPIError, match="audit_events rows are never updated"):
        _direct(app, "UPDATE audit_events SET username = 'x' WHERE seq = 1")
