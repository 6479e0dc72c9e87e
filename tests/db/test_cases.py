"""Case services on SQLite and PostgreSQL: import, sign, amend, addendum, withdraw, cancel,
roles, search, concurrent saves, accession numbers and lab settings."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import summarise_differential
from marrowpath.domain.enums import DifferentialCategory as Cat
from marrowpath.domain.errors import (
    ConcurrentChange,
    Forbidden,
    InvalidCase,
    LifecycleRefused,
    NotFound,
    Refused,
)
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.users import Role, User
from marrowpath.domain.validation import parse_case
from tests.conftest import PASSWORD, example_case

ACCESSION = "BM26-00042"
Team = dict[str, User]


def findings(data: dict[str, Any] | None = None) -> CaseDocument:
    return parse_case(example_case() if data is None else data, today=date.today()).findings()


def variant(
    accession: str,
    *,
    mrn: str = "MRN0012345",
    family: str = "Delgado",
    given: str = "Tomás",
    birth_date: str = "1959-02-11",
    sex: str = "male",
    procedure_date: str = "2026-11-18",
    diagnosis: str | None = None,
) -> dict[str, Any]:
    data = example_case()
    data["accession"] = accession
    data["patient"] = {
        "mrn": mrn,
        "family_name": family,
        "given_names": given,
        "birth_date": birth_date,
        "sex": sex,
    }
    data["procedure"]["date"] = procedure_date
    data["received_at"] = f"{procedure_date}T15:20:00-05:00"
    if diagnosis is not None:
        data["diagnosis"] = {"lines": [diagnosis]}
    return data


def changed_diagnosis(
    text: str = "Acute myeloid leukemia with myelodysplasia-related changes.",
) -> dict[str, Any]:
    data = example_case()
    data["diagnosis"]["lines"] = [text]
    return data


def import_example(app: App, team: Team, data: dict[str, Any] | None = None) -> str:
    accession, created = app.cases.import_case(team["drpark"], data or example_case())
    assert created
    return accession


def signed_final(app: App, team: Team) -> str:
    accession = import_example(app, team)
    app.cases.sign(team["drpark"], accession, PASSWORD)
    return accession


def events(app: App) -> list[Any]:
    with app.context.uow(read_only=True) as uow:
        return list(uow.audit.events())


def status(app: App, team: Team, accession: str = ACCESSION) -> Status:
    return app.cases.open(team["drpark"], accession).record.status


# ------------------------------------------------------------------ import


class TestImport:
    def test_import_creates_a_draft(self, app: App, team: Team) -> None:
        accession, created = app.cases.import_case(team["drpark"], example_case())
        assert (accession, created) == (ACCESSION, True)
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.DRAFT
        assert view.versions == []
        assert view.document == findings()
        assert view.check.complete
        assert view.record.patient is not None
        assert view.record.patient.family_name == "Delgado"
        assert view.record.patient.given_names == "Tomás"
        assert view.record.assigned_pathologist == "drpark"
        created_events = [e for e in events(app) if e.action == "create"]
        assert [(e.username, e.accession, e.detail) for e in created_events] == [
            ("drpark", ACCESSION, {"source": "import"})
        ]

    def test_technologist_and_resident_may_import(self, app: App, team: Team) -> None:
        assert app.cases.import_case(team["tech"], example_case()) == (ACCESSION, True)
        assert app.cases.import_case(team["resident"], example_case()) == (ACCESSION, False)
        assert app.cases.open(team["tech"], ACCESSION).record.assigned_pathologist is None

    def test_reimport_replaces_a_draft(self, app: App, team: Team) -> None:
        import_example(app, team)
        before = app.cases.open(team["drpark"], ACCESSION).record.row_version
        accession, created = app.cases.import_case(team["drpark"], changed_diagnosis())
        assert (accession, created) == (ACCESSION, False)
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.DRAFT
        assert view.document == findings(changed_diagnosis())
        assert view.record.row_version == before + 1
        change = [e for e in events(app) if e.action == "change"][-1]
        assert change.detail["source"] == "import"
        paths = [c["path"] for c in change.detail["changes"]]
        assert "diagnosis.lines[0]" in paths and "diagnosis.lines[1]" in paths

    def test_reimport_replaces_the_working_document_of_a_preliminary_case(
        self, app: App, team: Team
    ) -> None:
        import_example(app, team)
        app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
        app.cases.import_case(team["drpark"], changed_diagnosis())
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.PRELIMINARY
        assert view.document == findings(changed_diagnosis())
        assert len(view.versions) == 1
        assert view.versions[0].content.document == findings()  # issued version untouched

    def test_reimport_refused_after_final_or_closed(self, app: App, team: Team) -> None:
        pathologist = team["drpark"]
        for accession, kind, expected in (
            ("BM26-00042", "final", Status.FINAL),
            ("BM26-00043", "withdrawn", Status.ENTERED_IN_ERROR),
            ("BM26-00044", "cancelled", Status.CANCELLED),
        ):
            import_example(app, team, variant(accession))
            if kind == "cancelled":
                app.cases.cancel(pathologist, accession, reason="duplicate order")
            else:
                app.cases.sign(pathologist, accession, PASSWORD)
            if kind == "withdrawn":
                app.cases.withdraw(pathologist, accession, PASSWORD, reason="wrong patient")
            before = app.cases.open(pathologist, accession)
            assert before.record.status is expected
            with pytest.raises(LifecycleRefused) as caught:
                app.cases.import_case(pathologist, variant(accession, diagnosis="Changed."))
            assert str(caught.value).startswith(f"{accession}: cannot edit the working document")
            after = app.cases.open(pathologist, accession)
            assert after.record.working == before.record.working
            assert after.record.row_version == before.record.row_version
            assert after.record.status == before.record.status
            assert len(after.versions) == len(before.versions)
            refusal = [e for e in events(app) if e.action == "refused"][-1]
            assert refusal.detail["action"] == "import"
            assert refusal.detail["reason"] == str(caught.value)

    def test_invalid_document_is_refused_and_nothing_stored(self, app: App, team: Team) -> None:
        data = example_case()
        data["aspirate"]["differential"]["blasts"] = -3
        with pytest.raises(InvalidCase) as caught:
            app.cases.import_case(team["drpark"], data)
        assert str(caught.value) == (
            "BM26-00042: aspirate.differential.blasts must be a whole number >= 0, got -3"
        )
        assert app.cases.search(team["drpark"]) == []
        with pytest.raises(NotFound):
            app.cases.open(team["drpark"], ACCESSION)

    def test_mrn_conflict_is_refused_naming_both_records(self, app: App, team: Team) -> None:
        import_example(app, team)
        for field, value, ours in (
            ("family", "Delgada", "DELGADA, Tomás (born 1959-02-11, male)"),
            ("given", "Tomasz", "DELGADO, Tomasz (born 1959-02-11, male)"),
            ("birth_date", "1959-02-12", "DELGADO, Tomás (born 1959-02-12, male)"),
            ("sex", "female", "DELGADO, Tomás (born 1959-02-11, female)"),
        ):
            other = variant("BM26-00043", **{field: value})
            with pytest.raises(InvalidCase) as caught:
                app.cases.import_case(team["drpark"], other)
            message = str(caught.value)
            assert message.startswith("BM26-00043: patient.mrn MRN0012345 belongs to "), field
            assert "DELGADO, Tomás (born 1959-02-11, male) in the database" in message
            assert f"this case has {ours}" in message
            with pytest.raises(NotFound):
                app.cases.open(team["drpark"], "BM26-00043")
        # the existing patient is not overwritten
        patient = app.cases.open(team["drpark"], ACCESSION).record.patient
        assert patient is not None
        assert (
            patient.family_name,
            patient.given_names,
            str(patient.birth_date),
            patient.sex.value,
        ) == (
            "Delgado",
            "Tomás",
            "1959-02-11",
            "male",
        )

    def test_same_patient_ignoring_case_and_normalisation(self, app: App, team: Team) -> None:
        import_example(app, team)
        second = variant("BM26-00043", family="DELGADO", given="toma\u0301s")
        assert app.cases.import_case(team["drpark"], second) == ("BM26-00043", True)
        first = app.cases.open(team["drpark"], ACCESSION).record.patient
        again = app.cases.open(team["drpark"], "BM26-00043").record.patient
        assert first is not None and again is not None
        assert first.id == again.id

    def test_mrn_conflict_on_reimport_of_the_same_case(self, app: App, team: Team) -> None:
        import_example(app, team)
        with pytest.raises(InvalidCase, match="patients are never merged or overwritten"):
            app.cases.import_case(team["drpark"], variant(ACCESSION, family="Other"))
        assert app.cases.open(team["drpark"], ACCESSION).document == findings()


# ------------------------------------------------------------------ signing


class TestSign:
    def test_sign_final(self, app: App, team: Team) -> None:
        import_example(app, team)
        version = app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        assert version.number == 1
        assert version.kind is VersionKind.FINAL
        assert version.sha256 == version.content.sha256()
        assert len(version.sha256) == 64
        content = version.content
        assert content.document == findings()
        assert (content.signed_by, content.signer_name, content.signer_credentials) == (
            "drpark",
            "Dana Park",
            "MD",
        )
        assert content.meaning == "final diagnosis"
        assert content.settings.identity.clia_id == "14D0123456"
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.FINAL
        assert view.record.issued_count == 1
        stored = view.versions
        assert [v.number for v in stored] == [1]
        assert stored[0].sha256 == version.sha256
        assert stored[0].content == version.content
        assert stored[0].intact()
        sign_event = [e for e in events(app) if e.action == "sign"][-1]
        assert sign_event.detail["sha256"] == version.sha256
        assert sign_event.detail["version"] == 1
        # signing final twice is refused
        with pytest.raises(
            LifecycleRefused, match="cannot sign the final report: the case is final"
        ):
            app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        assert len(app.cases.versions(team["drpark"], ACCESSION)) == 1

    def test_preliminary_then_final(self, app: App, team: Team) -> None:
        import_example(app, team)
        first = app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
        assert first.kind is VersionKind.PRELIMINARY
        assert status(app, team) is Status.PRELIMINARY
        second = app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        assert (second.number, second.kind) == (2, VersionKind.FINAL)
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.FINAL
        assert [(v.number, v.kind) for v in view.versions] == [
            (1, VersionKind.PRELIMINARY),
            (2, VersionKind.FINAL),
        ]
        assert all(v.intact() for v in view.versions)

    def test_identical_preliminary_twice_is_refused(self, app: App, team: Team) -> None:
        import_example(app, team)
        app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
        with pytest.raises(Refused, match="nothing changed since preliminary version 1"):
            app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
        assert len(app.cases.versions(team["drpark"], ACCESSION)) == 1
        # after a change a second preliminary is fine
        app.cases.import_case(team["drpark"], changed_diagnosis())
        # changed_diagnosis names AML over 12 % blasts: finding C05, acknowledged
        again = app.cases.sign(
            team["drpark"], ACCESSION, PASSWORD, preliminary=True, acknowledge=["C05"]
        )
        assert again.number == 2

    def test_sign_refused_without_lab_identity(self, app: App) -> None:
        app.auth.add_first_user(
            "drpark", full_name="Dana Park", role=Role.PATHOLOGIST, password=PASSWORD
        )
        pathologist = app.auth.sign_in("drpark", PASSWORD)
        app.cases.import_case(pathologist, example_case())
        with pytest.raises(Refused) as caught:
            app.cases.sign(pathologist, ACCESSION, PASSWORD)
        message = str(caught.value)
        assert message.startswith(
            f"{ACCESSION}: cannot sign: the lab identity has no name, address"
        )
        assert "lab set" in message
        view = app.cases.open(pathologist, ACCESSION)
        assert view.record.status is Status.DRAFT
        assert view.versions == []
        # with the identity set the same case signs
        app.lab.set_identity(pathologist, name="Lab", address="1 Road", clia_id="14D0000001")
        assert app.cases.sign(pathologist, ACCESSION, PASSWORD).number == 1

    def test_sign_refused_for_incomplete_draft(self, app: App, team: Team) -> None:
        partial = {
            "accession": "BM26-00077",
            "patient": {
                "mrn": "MRN77",
                "family_name": "Nowak",
                "given_names": "Anna",
                "birth_date": "1970-05-05",
                "sex": "female",
            },
            "procedure": {"date": "2026-11-18"},
        }
        record = app.cases.create(team["drpark"], partial)
        assert record.status is Status.DRAFT
        with pytest.raises(InvalidCase) as caught:
            app.cases.sign(team["drpark"], "BM26-00077", PASSWORD)
        message = str(caught.value)
        assert message.startswith("BM26-00077: cannot sign: ")
        for missing in (
            "ordering_provider is required",
            "procedure.site is required",
            "diagnosis is required",
        ):
            assert missing in message
        view = app.cases.open(team["drpark"], "BM26-00077")
        assert view.record.status is Status.DRAFT
        assert view.versions == []
        assert "diagnosis" in view.check.missing

    def test_sign_refused_for_wrong_password_or_unknown_case(self, app: App, team: Team) -> None:
        import_example(app, team)
        with pytest.raises(Refused, match=r"signature refused: wrong password \(4 attempts"):
            app.cases.sign(team["drpark"], ACCESSION, "not-the-password")
        assert status(app, team) is Status.DRAFT
        failed = [e for e in events(app) if e.action == "sign-in-failed"][-1]
        assert failed.detail["purpose"] == "signature"
        with pytest.raises(NotFound, match="BM26-99999: no such case"):
            app.cases.sign(team["drpark"], "BM26-99999", PASSWORD)


# ------------------------------------------------------------------ after final


class TestAmendAddendumWithdrawCancel:
    def test_identical_amendment_is_refused(self, app: App, team: Team) -> None:
        signed_final(app, team)
        with pytest.raises(Refused, match="the amendment is identical to version 1"):
            app.cases.amend(
                team["drpark"],
                ACCESSION,
                example_case(),
                PASSWORD,
                reason_category="report_defect",
                reason="typo",
            )
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.FINAL
        assert len(view.versions) == 1

    def test_amendment_is_a_new_version_and_version_1_is_unchanged(
        self, app: App, team: Team
    ) -> None:
        signed_final(app, team)
        original = app.cases.versions(team["drpark"], ACCESSION)[0]
        version = app.cases.amend(
            team["drpark"],
            ACCESSION,
            changed_diagnosis(),
            PASSWORD,
            reason_category="interpretation_change",
            reason="Blast count revised after CD34 review.",
            acknowledge=["C05"],  # AML named over 12 % blasts
        )
        assert (version.number, version.kind) == (2, VersionKind.AMENDMENT)
        assert version.content.reason_category == "interpretation_change"
        assert version.content.reason == "Blast count revised after CD34 review."
        assert version.content.document == findings(changed_diagnosis())
        assert version.sha256 == version.content.sha256()
        assert status(app, team) is Status.AMENDED

        versions = app.cases.versions(team["drpark"], ACCESSION)
        assert [v.kind for v in versions] == [VersionKind.FINAL, VersionKind.AMENDMENT]
        assert versions[0] == original
        assert versions[0].content.document == findings()
        request, _pdf = app.cases.report_requests(team["drpark"], ACCESSION, version=1)
        assert request.document == findings()
        assert [v.number for v in request.versions] == [1]
        assert request.version is not None and request.version.kind is VersionKind.FINAL
        latest, _pdf = app.cases.report_requests(team["drpark"], ACCESSION)
        assert latest.document == findings(changed_diagnosis())
        assert [v.number for v in latest.versions] == [1, 2]
        with pytest.raises(NotFound, match="has no version 3"):
            app.cases.report_requests(team["drpark"], ACCESSION, version=3)

    def test_misidentification_amendment_moves_the_case_to_the_right_patient(
        self, app: App, team: Team
    ) -> None:
        signed_final(app, team)
        app.cases.import_case(team["drpark"], variant("BM26-00043", mrn="M43", family="Rivera"))
        corrected = example_case()
        corrected["patient"] = {
            "mrn": "MRN0099999",
            "family_name": "Okafor",
            "given_names": "Ngozi",
            "birth_date": "1961-01-01",
            "sex": "female",
        }
        version = app.cases.amend(
            team["drpark"],
            ACCESSION,
            corrected,
            PASSWORD,
            reason_category="misidentification",
            reason="Specimen labelled with the wrong patient.",
        )
        assert version.content.document.patient.mrn == "MRN0099999"
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.patient is not None
        assert (view.record.patient.mrn, view.record.patient.family_name) == (
            "MRN0099999",
            "Okafor",
        )
        assert view.versions[0].content.document.patient.mrn == "MRN0012345"
        row = app.cases.search(team["drpark"], "okafor")[0]
        assert (row.accession, row.patient_name, row.mrn) == (
            ACCESSION,
            "OKAFOR, Ngozi",
            "MRN0099999",
        )
        assert app.cases.search(team["drpark"], "delgado") == []
        # a corrected MRN that belongs to someone else with other details is refused
        clash = example_case()
        clash["patient"] = variant("X", mrn="M43", family="Someone")["patient"]
        with pytest.raises(InvalidCase, match="M43 belongs to RIVERA, Tomás"):
            app.cases.amend(
                team["drpark"],
                ACCESSION,
                clash,
                PASSWORD,
                reason_category="misidentification",
                reason="x",
            )
        assert len(app.cases.versions(team["drpark"], ACCESSION)) == 2

    def test_amend_refusals(self, app: App, team: Team) -> None:
        pathologist = team["drpark"]
        import_example(app, team)
        with pytest.raises(LifecycleRefused, match="cannot amend: the case is draft"):
            app.cases.amend(
                pathologist,
                ACCESSION,
                changed_diagnosis(),
                PASSWORD,
                reason_category="other",
                reason="x",
            )
        app.cases.sign(pathologist, ACCESSION, PASSWORD)
        other = changed_diagnosis()
        other["accession"] = "BM26-00043"
        with pytest.raises(InvalidCase, match="BM26-00043 in the file does not match BM26-00042"):
            app.cases.amend(
                pathologist, ACCESSION, other, PASSWORD, reason_category="other", reason="x"
            )
        with pytest.raises(Refused, match="the reason category must be one of"):
            app.cases.amend(
                pathologist,
                ACCESSION,
                changed_diagnosis(),
                PASSWORD,
                reason_category="oops",
                reason="x",
            )
        with pytest.raises(Refused, match="the reason must not be empty"):
            app.cases.amend(
                pathologist,
                ACCESSION,
                changed_diagnosis(),
                PASSWORD,
                reason_category="other",
                reason="  ",
            )
        assert len(app.cases.versions(pathologist, ACCESSION)) == 1

    def test_amendment_in_progress_then_signed(self, app: App, team: Team) -> None:
        signed_final(app, team)
        pathologist = team["drpark"]
        record = app.cases.start_amendment(pathologist, ACCESSION)
        assert record.amendment_in_progress
        result = app.cases.save(
            pathologist, ACCESSION, changed_diagnosis(), expected_row_version=record.row_version
        )
        assert result.missing == []
        assert len(app.cases.versions(pathologist, ACCESSION)) == 1  # nothing issued yet
        version = app.cases.sign_amendment(
            pathologist,
            ACCESSION,
            PASSWORD,
            reason_category="report_defect",
            reason="wording",
            acknowledge=["C05"],  # AML named over 12 % blasts
        )
        assert (version.number, version.kind) == (2, VersionKind.AMENDMENT)
        view = app.cases.open(pathologist, ACCESSION)
        assert view.record.status is Status.AMENDED
        assert not view.record.amendment_in_progress

    def test_addendum_replaces_pending_karyotype(self, app: App, team: Team) -> None:
        signed_final(app, team)
        karyotype = {
            "kind": "karyotype",
            "status": "final",
            "result": "46,XY,del(5)(q13q33)[12]/46,XY[8]",
            "performed_by": "Cytogenetics laboratory",
            "reported_on": "2026-11-25",
        }
        fish = {"kind": "fish", "status": "final", "result": "No TP53 deletion."}
        version = app.cases.addendum(
            team["drpark"],
            ACCESSION,
            PASSWORD,
            text="Karyotype result: deletion 5q.",
            ancillary=[karyotype, fish],
        )
        assert (version.number, version.kind) == (2, VersionKind.ADDENDUM)
        assert version.content.addendum_text == "Karyotype result: deletion 5q."
        document = version.content.document
        original = findings()
        assert document.diagnosis == original.diagnosis
        ancillary = [a.model_dump(mode="json", exclude_none=True) for a in document.ancillary or []]
        assert ancillary[0] == example_case()["ancillary"][0]
        assert ancillary[1] == karyotype  # replaced in place
        assert ancillary[2] == {
            "kind": "molecular",
            "status": "pending",
            "performed_by": "Molecular diagnostics laboratory",
        }
        assert ancillary[3] == fish  # no pending fish: added
        assert len(ancillary) == 4
        assert status(app, team) is Status.APPENDED
        first = app.cases.versions(team["drpark"], ACCESSION)[0]
        assert first.content.document == original

    def test_addendum_refusals(self, app: App, team: Team) -> None:
        import_example(app, team)
        with pytest.raises(LifecycleRefused, match="cannot add an addendum: the case is draft"):
            app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text="x")
        app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        with pytest.raises(Refused, match="the addendum text must not be empty"):
            app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text=" ")
        with pytest.raises(
            InvalidCase, match=r"ancillary\[0\].result is required when the status is final"
        ):
            app.cases.addendum(
                team["drpark"],
                ACCESSION,
                PASSWORD,
                text="x",
                ancillary=[{"kind": "fish", "status": "final"}],
            )
        with pytest.raises(InvalidCase, match=r"ancillary\[0\].kind must be one of"):
            app.cases.addendum(
                team["drpark"],
                ACCESSION,
                PASSWORD,
                text="x",
                ancillary=[{"kind": "dna", "status": "pending"}],
            )
        assert len(app.cases.versions(team["drpark"], ACCESSION)) == 1

    def test_withdraw(self, app: App, team: Team) -> None:
        import_example(app, team)
        with pytest.raises(LifecycleRefused, match="cannot withdraw: the case is draft"):
            app.cases.withdraw(team["drpark"], ACCESSION, PASSWORD, reason="x")
        with pytest.raises(Refused, match="the reason must not be empty"):
            app.cases.withdraw(team["drpark"], ACCESSION, PASSWORD, reason=" ")
        app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        version = app.cases.withdraw(team["drpark"], ACCESSION, PASSWORD, reason="Wrong patient.")
        assert (version.number, version.kind) == (2, VersionKind.WITHDRAWAL)
        assert version.content.reason == "Wrong patient."
        assert version.content.document == findings()
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.ENTERED_IN_ERROR
        assert view.record.closing_reason == "Wrong patient."
        with pytest.raises(LifecycleRefused, match="the case is entered in error"):
            app.cases.withdraw(team["drpark"], ACCESSION, PASSWORD, reason="again")
        with pytest.raises(LifecycleRefused):
            app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text="late")
        assert len(app.cases.versions(team["drpark"], ACCESSION)) == 2

    @pytest.mark.parametrize("preliminary", [False, True])
    def test_cancel_draft_or_preliminary(self, app: App, team: Team, preliminary: bool) -> None:
        import_example(app, team)
        if preliminary:
            app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
        with pytest.raises(Refused, match="the reason must not be empty"):
            app.cases.cancel(team["drpark"], ACCESSION, reason="")
        assert status(app, team) is (Status.PRELIMINARY if preliminary else Status.DRAFT)
        app.cases.cancel(team["drpark"], ACCESSION, reason="Duplicate order.")
        view = app.cases.open(team["drpark"], ACCESSION)
        assert view.record.status is Status.CANCELLED
        assert view.record.closing_reason == "Duplicate order."
        assert len(view.versions) == (1 if preliminary else 0)
        with pytest.raises(LifecycleRefused, match="the case is cancelled"):
            app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        cancel_event = [e for e in events(app) if e.action == "cancel"][-1]
        assert cancel_event.detail == {"reason": "Duplicate order."}

    def test_cancel_final_is_refused(self, app: App, team: Team) -> None:
        signed_final(app, team)
        with pytest.raises(LifecycleRefused, match="cannot cancel: the case is final"):
            app.cases.cancel(team["drpark"], ACCESSION, reason="x")
        assert status(app, team) is Status.FINAL


# ------------------------------------------------------------------ roles


class TestRoles:
    def test_only_pathologists_sign(self, app: App, team: Team) -> None:
        import_example(app, team)
        for who, role in (
            ("tech", "technologist"),
            ("resident", "resident"),
            ("clinician", "clinician"),
            ("admin", "admin"),
        ):
            with pytest.raises(Forbidden) as caught:
                app.cases.sign(team[who], ACCESSION, PASSWORD)
            assert str(caught.value) == (
                f"{who} ({role}) may not sign, amend, add addenda, withdraw or cancel reports"
            )
            assert status(app, team) is Status.DRAFT
            refusal = [e for e in events(app) if e.action == "refused"][-1]
            assert (refusal.username, refusal.accession, refusal.detail["action"]) == (
                who,
                ACCESSION,
                "sign",
            )
        assert app.cases.versions(team["drpark"], ACCESSION) == []

    def test_non_pathologists_cannot_amend_addend_withdraw_cancel(
        self, app: App, team: Team
    ) -> None:
        signed_final(app, team)
        for who in ("tech", "resident"):
            actor = team[who]
            with pytest.raises(Forbidden):
                app.cases.amend(
                    actor,
                    ACCESSION,
                    changed_diagnosis(),
                    PASSWORD,
                    reason_category="other",
                    reason="x",
                )
            with pytest.raises(Forbidden):
                app.cases.addendum(actor, ACCESSION, PASSWORD, text="x")
            with pytest.raises(Forbidden):
                app.cases.withdraw(actor, ACCESSION, PASSWORD, reason="x")
            with pytest.raises(Forbidden):
                app.cases.cancel(actor, ACCESSION, reason="x")
        assert len(app.cases.versions(team["drpark"], ACCESSION)) == 1
        assert status(app, team) is Status.FINAL

    def test_admin_and_clinician_cannot_import_or_edit(self, app: App, team: Team) -> None:
        with pytest.raises(Forbidden, match=r"clinician \(clinician\) may not import"):
            app.cases.import_case(team["clinician"], example_case())
        assert app.cases.search(team["drpark"]) == []
        import_example(app, team)
        with pytest.raises(Forbidden):
            app.cases.save(
                team["clinician"], ACCESSION, changed_diagnosis(), expected_row_version=1
            )
        admin = team["admin"]
        with pytest.raises(Forbidden):
            app.cases.import_case(admin, changed_diagnosis())
        with pytest.raises(Forbidden):
            app.cases.save(admin, ACCESSION, changed_diagnosis(), expected_row_version=1)
        with pytest.raises(Forbidden):
            app.cases.create(admin, variant("BM26-00050", mrn="M50"))
        assert app.cases.open(team["drpark"], ACCESSION).document == findings()

    def test_clinician_sees_only_issued_cases(self, app: App, team: Team) -> None:
        import_example(app, team)
        app.cases.import_case(team["drpark"], variant("BM26-00043", mrn="M43", family="Smith"))
        app.cases.sign(team["drpark"], "BM26-00043", PASSWORD)
        clinician = team["clinician"]
        assert [r.accession for r in app.cases.search(clinician)] == ["BM26-00043"]
        assert [r.accession for r in app.cases.search(clinician, "delgado")] == []
        assert {r.accession for r in app.cases.search(team["drpark"])} == {ACCESSION, "BM26-00043"}
        assert {r.accession for r in app.cases.search(team["tech"])} == {ACCESSION, "BM26-00043"}
        with pytest.raises(NotFound, match="BM26-00042: no issued report"):
            app.cases.open(clinician, ACCESSION)
        with pytest.raises(NotFound):
            app.cases.export_json(clinician, ACCESSION)
        view = app.cases.open(clinician, "BM26-00043")
        assert view.record.status is Status.FINAL
        exported = app.cases.export_json(clinician, "BM26-00043")
        assert [v["number"] for v in exported["versions"]] == [1]

    def test_clinician_sees_the_issued_version_not_the_working_document(
        self, app: App, team: Team
    ) -> None:
        import_example(app, team)
        app.cases.sign(team["drpark"], ACCESSION, PASSWORD, preliminary=True)
        app.cases.import_case(team["drpark"], changed_diagnosis("Work in progress."))
        view = app.cases.open(team["clinician"], ACCESSION)
        assert view.document == findings()
        exported = app.cases.export_json(team["clinician"], ACCESSION)
        assert exported["diagnosis"]["lines"] == example_case()["diagnosis"]["lines"]
        assert app.cases.export_json(team["drpark"], ACCESSION)["diagnosis"]["lines"] == [
            "Work in progress."
        ]


# ------------------------------------------------------------------ search


@pytest.fixture
def cases_for_search(app: App, team: Team) -> Team:
    pathologist = team["drpark"]
    for data in (
        variant(ACCESSION),  # Delgado Tomás, 2026-11-18
        variant(
            "BM26-00050",
            mrn="M50",
            family="Łukasiewicz-Nguyễn",
            given="Zoë",
            birth_date="1980-03-03",
            sex="female",
            procedure_date="2026-10-01",
            diagnosis="Plasma cell neoplasm, 35% clonal plasma cells.",
        ),
        variant(
            "BM26-00051",
            mrn="M51",
            family="Петрова",
            given="Ольга",
            birth_date="1975-07-07",
            sex="female",
            procedure_date="2026-09-15",
            diagnosis="Normocellular marrow with trilineage hematopoiesis.",
        ),
        variant(
            "BM26-00052",
            mrn="M52",
            family="李",
            given="雪",
            birth_date="1990-01-01",
            sex="female",
            procedure_date="2026-11-20",
            diagnosis="Hypocellular marrow, consistent with aplastic anemia.",
        ),
        variant(
            "BM26-00053",
            mrn="M53",
            family="Strauß",
            given="Søren",
            birth_date="1950-12-12",
            sex="male",
            procedure_date="2026-06-30",
            diagnosis="Chronic myeloid leukemia, chronic phase.",
        ),
    ):
        app.cases.import_case(pathologist, data)
    app.cases.sign(pathologist, "BM26-00050", PASSWORD)
    app.cases.sign(pathologist, "BM26-00051", PASSWORD, preliminary=True)
    app.cases.cancel(pathologist, "BM26-00053", reason="duplicate")
    return team


def found(app: App, team: Team, text: str = "", **options: Any) -> list[str]:
    return [r.accession for r in app.cases.search(team["drpark"], text, **options)]


SEARCHES: list[tuple[str, list[str]]] = [
    ("lukasiewicz", ["BM26-00050"]),
    ("ŁUKASIEWICZ", ["BM26-00050"]),
    ("nguyen zoe", ["BM26-00050"]),
    ("TOMAS", [ACCESSION]),
    ("tomás delgado", [ACCESSION]),
    ("tomas petrova", []),  # every word must match
    ("ольга", ["BM26-00051"]),
    ("ПЕТРОВА", ["BM26-00051"]),
    ("李雪", ["BM26-00052"]),  # the name as printed
    ("李", ["BM26-00052"]),
    ("strauss soren", ["BM26-00053"]),
    ("STRAUSS SØREN", ["BM26-00053"]),
    ("mrn0012345", [ACCESSION]),
    ("M51", ["BM26-00051"]),
    ("bm26-00052", ["BM26-00052"]),
    ("plasma cell neoplasm", ["BM26-00050"]),
    ("aplastic", ["BM26-00052"]),
    ("myelodysplastic", [ACCESSION]),  # the second diagnosis line and classification
    ("80%", [ACCESSION]),  # LIKE wildcards are literal: "(80%)"
    ("35%", ["BM26-00050"]),
    ("n_rmo", []),
    ("*", []),  # and GLOB's
    ("[a-z]", []),
    # A word shorter than three characters matches the start of a name word, the
    # accession or the MRN only (issue 15): no name starts with "%".
    ("%", []),
    ("_", []),
    ("nobody", []),
]


class TestSearch:
    def test_text(self, app: App, cases_for_search: Team) -> None:
        for text, expected in SEARCHES:
            assert found(app, cases_for_search, text) == expected, text

    def test_every_case_newest_procedure_first(self, app: App, cases_for_search: Team) -> None:
        rows = app.cases.search(cases_for_search["drpark"])
        assert [r.accession for r in rows] == [
            "BM26-00052",  # 2026-11-20
            ACCESSION,  # 2026-11-18
            "BM26-00050",  # 2026-10-01
            "BM26-00051",  # 2026-09-15
            "BM26-00053",  # 2026-06-30
        ]
        first = rows[1]
        assert (first.status, first.patient_name, first.mrn, first.procedure_date) == (
            Status.DRAFT,
            "DELGADO, Tomás",
            "MRN0012345",
            date(2026, 11, 18),
        )
        assert first.diagnosis == example_case()["diagnosis"]["lines"][0]
        assert rows[0].patient_name == "李雪"
        assert rows[2].patient_name == "ŁUKASIEWICZ-NGUYỄN, Zoë"
        assert rows[3].patient_name == "ПЕТРОВА, Ольга"

    def test_status_filter(self, app: App, cases_for_search: Team) -> None:
        team = cases_for_search
        assert found(app, team, statuses=(Status.DRAFT,)) == ["BM26-00052", ACCESSION]
        assert found(app, team, statuses=(Status.FINAL,)) == ["BM26-00050"]
        assert found(app, team, statuses=(Status.PRELIMINARY, Status.CANCELLED)) == [
            "BM26-00051",
            "BM26-00053",
        ]
        assert found(app, team, statuses=(Status.AMENDED,)) == []
        assert found(app, team, "marrow", statuses=(Status.DRAFT,)) == ["BM26-00052", ACCESSION]

    def test_date_filters_are_inclusive(self, app: App, cases_for_search: Team) -> None:
        team = cases_for_search
        assert found(app, team, date_from=date(2026, 11, 18)) == ["BM26-00052", ACCESSION]
        assert found(app, team, date_to=date(2026, 9, 15)) == ["BM26-00051", "BM26-00053"]
        assert found(app, team, date_from=date(2026, 9, 15), date_to=date(2026, 11, 18)) == [
            ACCESSION,
            "BM26-00050",
            "BM26-00051",
        ]
        assert found(app, team, date_from=date(2027, 1, 1)) == []

    def test_limit(self, app: App, cases_for_search: Team) -> None:
        team = cases_for_search
        assert found(app, team, limit=2) == ["BM26-00052", ACCESSION]
        assert found(app, team, limit=1, statuses=(Status.FINAL, Status.PRELIMINARY)) == [
            "BM26-00050"
        ]
        assert len(found(app, team, limit=100)) == 5
        assert app.cases.count(team["drpark"]) == 5
        assert app.cases.count(team["drpark"], "marrow") == 3

    def test_search_follows_the_working_document(self, app: App, team: Team) -> None:
        import_example(app, team)
        assert found(app, team, "leukemia") == []
        app.cases.import_case(team["drpark"], changed_diagnosis())
        assert found(app, team, "leukemia") == [ACCESSION]
        row = app.cases.search(team["drpark"], "leukemia")[0]
        assert row.diagnosis == "Acute myeloid leukemia with myelodysplasia-related changes."


# ------------------------------------------------------------------ concurrent edits


class TestConcurrentSave:
    def test_stale_row_version_names_the_other_user(self, app: App, team: Team) -> None:
        import_example(app, team)
        loaded = app.cases.open(team["tech"], ACCESSION).record.row_version
        saved = app.cases.save(
            team["drpark"], ACCESSION, changed_diagnosis("Mine."), expected_row_version=loaded
        )
        assert saved.row_version == loaded + 1
        with pytest.raises(ConcurrentChange) as caught:
            app.cases.save(
                team["tech"], ACCESSION, changed_diagnosis("Theirs."), expected_row_version=loaded
            )
        message = str(caught.value)
        assert message.startswith(f"{ACCESSION}: changed by drpark at ")
        assert message.endswith("UTC; reload")
        assert app.cases.open(team["drpark"], ACCESSION).document == findings(
            changed_diagnosis("Mine.")
        )
        # with the current row version the save goes through
        again = app.cases.save(
            team["tech"],
            ACCESSION,
            changed_diagnosis("Theirs."),
            expected_row_version=saved.row_version,
        )
        assert again.row_version == saved.row_version + 1

    def test_stale_sign_is_refused(self, app: App, team: Team) -> None:
        import_example(app, team)
        loaded = app.cases.open(team["drpark"], ACCESSION).record.row_version
        app.cases.save(team["tech"], ACCESSION, changed_diagnosis(), expected_row_version=loaded)
        with pytest.raises(ConcurrentChange, match="changed by tech at"):
            app.cases.sign(team["drpark"], ACCESSION, PASSWORD, expected_row_version=loaded)
        assert app.cases.versions(team["drpark"], ACCESSION) == []

    def test_save_keeps_incomplete_drafts_and_lists_missing(self, app: App, team: Team) -> None:
        import_example(app, team)
        data = example_case()
        del data["diagnosis"]
        result = app.cases.save(team["drpark"], ACCESSION, data, expected_row_version=1)
        assert result.missing == ["diagnosis"]
        bad = example_case()
        bad["aspirate"]["differential"]["blasts"] = -3
        with pytest.raises(InvalidCase, match="must be a whole number >= 0, got -3"):
            app.cases.save(team["drpark"], ACCESSION, bad, expected_row_version=result.row_version)
        renamed = example_case()
        renamed["accession"] = "BM26-00099"
        with pytest.raises(InvalidCase, match="a case cannot be renamed"):
            app.cases.save(
                team["drpark"], ACCESSION, renamed, expected_row_version=result.row_version
            )

    def test_save_refused_for_final(self, app: App, team: Team) -> None:
        signed_final(app, team)
        row_version = app.cases.open(team["drpark"], ACCESSION).record.row_version
        with pytest.raises(LifecycleRefused, match="changed only by amend, addendum or withdraw"):
            app.cases.save(
                team["drpark"], ACCESSION, changed_diagnosis(), expected_row_version=row_version
            )


# ------------------------------------------------------------------ accession numbers


class TestAccessionNumbers:
    def test_sequential_above_existing_numbers(self, app: App, team: Team) -> None:
        prefix = f"BM{date.today():%y}-"
        app.cases.create(team["drpark"], variant(f"{prefix}00002", mrn="M2"))
        numbers = [app.cases.next_accession(team["tech"]) for _ in range(3)]
        assert numbers == [f"{prefix}00003", f"{prefix}00004", f"{prefix}00005"]

    def test_create_without_accession_takes_the_next_number(self, app: App, team: Team) -> None:
        prefix = f"BM{date.today():%y}-"
        data = variant("", mrn="M9")
        del data["accession"]
        record = app.cases.create(team["drpark"], data)
        assert record.accession == f"{prefix}00001"
        assert app.cases.next_accession(team["drpark"]) == f"{prefix}00002"

    def test_lab_pattern_roles_and_duplicates(self, app: App, team: Team) -> None:
        app.lab.set(team["admin"], "accession.pattern", "MYYYY-NNN")
        assert app.cases.next_accession(team["drpark"]) == f"M{date.today():%Y}-001"
        with pytest.raises(Forbidden):
            app.cases.next_accession(team["clinician"])
        import_example(app, team)
        with pytest.raises(Refused, match="a case with this accession already exists"):
            app.cases.create(team["drpark"], example_case())


class TestSettings:
    """Settings as issued versions keep them; the settings' own rules are service rules,
    tested on the fake unit of work (tests/unit/test_lab_settings_rules.py)."""

    def test_reference_interval_changes_marks_and_is_snapshotted(
        self, app: App, team: Team
    ) -> None:
        data = example_case()
        # 13 blasts of 500 = 2.6 %: H under 0-2, unmarked under 0-3
        data["aspirate"]["differential"]["blasts"] = 13
        data["aspirate"]["differential"]["lymphocytes"] = 107
        document = findings(data)

        assert document.aspirate is not None and document.aspirate.differential is not None
        differential = document.aspirate.differential

        def blasts_mark() -> str:
            summary = summarise_differential(differential, app.lab.settings())
            row = next(r for r in summary.rows if r.category is Cat.BLASTS)
            assert str(row.percent) == "2.6"
            return row.mark

        assert blasts_mark() == "H"
        app.lab.set(team["admin"], "reference.blasts", "0-3")
        assert blasts_mark() == ""
        app.cases.import_case(team["drpark"], data)
        # the diagnosis still says 12 % blasts (C01) and IB2 (C06): acknowledged
        version = app.cases.sign(team["drpark"], ACCESSION, PASSWORD, acknowledge=["all"])
        interval = version.content.settings.interval("blasts")
        assert interval is not None and interval.high == 3
        # a later change does not alter the issued version's snapshot
        app.lab.set(team["admin"], "reference.blasts", "0-2")
        stored = app.cases.versions(team["drpark"], ACCESSION)[0]
        interval = stored.content.settings.interval("blasts")
        assert interval is not None and interval.high == 3
        assert stored.intact()


# ------------------------------------------------------------------ settings
