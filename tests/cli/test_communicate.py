"""`marrowpath communicate` (`cli.md`, `bench.md` 4) run through `main()` as a script
would, on SQLite and PostgreSQL: before final sign-out the call joins the working
document; after it, the call is issued as an addendum; refusals change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.errors import ConcurrentChange
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.users import User
from tests.cli.test_cli import ACCESSION, as_user, db, event_count, imported, signed_line
from tests.conftest import example_case

__all__ = ["db"]  # the fixture, used by name

CALL = (
    *("--to", "Dr Lena Ortiz", "--role", "hematology fellow", "--method", "phone"),
    *("--read-back", "--at", "2026-11-18T15:20:00-05:00"),
)


def working(app: App) -> dict[str, Any]:
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None
        return case.working


def case_events(app: App, action: str) -> list[Any]:
    with app.context.uow(read_only=True) as uow:
        return [e for e in uow.audit.for_case(ACCESSION) if e.action == action]


def test_before_sign_out_the_call_joins_the_working_document(
    app: App, db: str, tmp_path: Path
) -> None:
    imported(db, tmp_path)
    result = as_user(db, "drpark", "communicate", ACCESSION, *CALL, "--note", "Admit today.")
    assert (result.code, result.lines, result.err) == (
        0,
        [f"{ACCESSION}\tcommunication recorded"],
        "",
    )
    assert working(app)["communications"] == [
        {
            "at": "2026-11-18T15:20:00-05:00",
            "to": "Dr Lena Ortiz",
            "role": "hematology fellow",
            "method": "phone",
            "reached": True,
            "read_back": True,
            "by": "drpark",
            "note": "Admit today.",
        }
    ]
    change = case_events(app, "change")[-1]
    assert change.username == "drpark"
    assert change.detail["source"] == "communicate"
    assert change.detail["changes"][0]["path"] == "communications[0]"
    assert change.detail["changes"][0]["after"]["to"] == "Dr Lena Ortiz"
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None and case.status is Status.DRAFT
        assert uow.versions.list(case.id) == []

    # an attempt that did not reach the clinician is recorded too; time defaults to now
    before = datetime.now(UTC).replace(microsecond=0)
    missed = as_user(
        db, "drpark", "communicate", ACCESSION, "--to", "Dr Ortiz", "--method", "page",
        "--not-reached",
    )  # fmt: skip
    assert missed.code == 0, missed.err
    second = working(app)["communications"][1]
    assert (second["reached"], second["read_back"], second["method"]) == (False, False, "page")
    assert before <= datetime.fromisoformat(second["at"]) <= datetime.now(UTC)

    # signed with the report: the final version carries both
    final = signed_line(as_user(db, "drpark", "sign", ACCESSION), 1, "final")
    assert final
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None
        document = uow.versions.list(case.id)[0].content.document
    assert [c.to for c in document.communications or []] == ["Dr Lena Ortiz", "Dr Ortiz"]


def test_after_final_sign_out_the_call_is_an_addendum(app: App, db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    signed_line(as_user(db, "drpark", "sign", ACCESSION), 1, "final")
    result = as_user(db, "drpark", "communicate", ACCESSION, *CALL)
    line = signed_line(result, 2, "addendum")
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None
        assert case.status is Status.APPENDED
        first, second = uow.versions.list(case.id)
    assert second.sha256 == line
    content = second.content
    assert content.kind is VersionKind.ADDENDUM
    assert content.signed_by == "drpark"
    assert content.addendum_text == (
        "Critical result communicated to Dr Lena Ortiz (hematology fellow) by phone on "
        "2026-11-18 at 15:20 UTC-05:00 by Dana Park, MD; read back."
    )
    communications = content.document.communications or []
    assert [(c.to, c.method.value, c.reached, c.read_back, c.by) for c in communications] == [
        ("Dr Lena Ortiz", "phone", True, True, "drpark")
    ]
    # earlier text unchanged: the addendum's document is version 1's plus the call
    assert content.document.model_copy(update={"communications": None}) == first.content.document
    assert first.content.document.communications is None
    assert working(app)["communications"][0]["to"] == "Dr Lena Ortiz"
    sign = case_events(app, "sign")[-1]
    assert (sign.detail["version"], sign.detail["kind"]) == (2, "addendum")
    paths = [c["path"] for c in sign.detail["changes"]]
    assert paths and all(path.startswith("communications[0].") for path in paths)
    # the trail still verifies
    verified = as_user(db, "admin", "audit", "verify")
    assert verified.code == 0, verified.err

    # a wrong password issues nothing
    wrong = as_user(db, "drpark", "communicate", ACCESSION, *CALL, password="not the password")
    assert wrong.code == 1
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None and len(uow.versions.list(case.id)) == 2


def test_refusals_name_the_case_and_the_rule_and_change_nothing(
    app: App, db: str, tmp_path: Path
) -> None:
    imported(db, tmp_path)
    before = working(app)
    events = event_count(app)
    resident = as_user(db, "resident", "communicate", ACCESSION, *CALL)
    assert (resident.code, resident.errors) == (
        1,
        [
            f"{ACCESSION}: resident (resident) may not record a critical-result "
            "communication: only those who may sign the case (pathologists) record "
            "critical results"
        ],
    )
    clinician = as_user(db, "clinician", "communicate", ACCESSION, *CALL)
    assert clinician.code == 1 and clinician.err.startswith(f"{ACCESSION}: clinician (clinician)")
    future = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()
    later = as_user(
        db, "drpark", "communicate", ACCESSION, "--to", "Dr Ortiz", "--method", "phone",
        "--at", future,
    )  # fmt: skip
    assert later.code == 1
    assert len(later.errors) == 1
    assert later.err.startswith(f"{ACCESSION}: communications.at ")
    assert "is in the future" in later.err
    method = as_user(db, "drpark", "communicate", ACCESSION, "--to", "Dr Ortiz", "--method", "fax")
    assert (method.code, method.errors) == (
        1,
        [
            f"{ACCESSION}: communications.method must be one of phone, in_person, "
            "secure_message, page, other, got 'fax'"
        ],
    )
    naive = as_user(
        db, "drpark", "communicate", ACCESSION, "--to", "Dr Ortiz", "--method", "phone",
        "--at", "2026-11-18 15:20",
    )  # fmt: skip
    assert naive.code == 1 and naive.err.startswith(f"{ACCESSION}: communications.at must be")
    blank = as_user(db, "drpark", "communicate", ACCESSION, "--to", "", "--method", "phone")
    assert blank.code == 1 and blank.err.startswith(f"{ACCESSION}: communications.to ")
    unknown = as_user(db, "drpark", "communicate", "BM26-99999", *CALL)
    assert (unknown.code, unknown.errors) == (1, ["BM26-99999: no such case"])
    usage = as_user(db, "drpark", "communicate", ACCESSION, "--method", "phone")
    assert usage.code == 2
    assert working(app) == before
    refused = [e for e in case_events(app, "refused") if "critical-result" in str(e.detail)]
    assert len(refused) >= 2  # the resident's and the clinician's refusals are audited
    assert event_count(app) > events

    # a cancelled case takes no call
    cancelled = as_user(db, "drpark", "cancel", ACCESSION, "--reason", "Wrong patient.")
    assert cancelled.code == 0, cancelled.err
    closed = as_user(db, "drpark", "communicate", ACCESSION, *CALL)
    assert (closed.code, closed.errors) == (
        1,
        [
            f"{ACCESSION}: cannot record a critical-result communication: the case is "
            "cancelled (a closed case takes no further report)"
        ],
    )


def test_a_withdrawn_report_takes_no_call(app: App, db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    signed_line(as_user(db, "drpark", "sign", ACCESSION), 1, "final")
    withdrawn = as_user(db, "drpark", "withdraw", ACCESSION, "--reason", "Wrong patient.")
    assert withdrawn.code == 0, withdrawn.err
    closed = as_user(db, "drpark", "communicate", ACCESSION, *CALL)
    assert (closed.code, closed.errors) == (
        1,
        [
            f"{ACCESSION}: cannot record a critical-result communication: the case is "
            "withdrawn (entered in error) (a closed case takes no further report)"
        ],
    )
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None and len(uow.versions.list(case.id)) == 2


def test_a_preliminary_case_keeps_the_call_in_its_working_document(
    app: App, db: str, tmp_path: Path, team: dict[str, User]
) -> None:
    imported(db, tmp_path)
    signed_line(as_user(db, "drpark", "sign", ACCESSION, "--preliminary"), 1, "preliminary")
    result = as_user(db, "drpark", "communicate", ACCESSION, *CALL)
    assert (result.code, result.lines) == (0, [f"{ACCESSION}\tcommunication recorded"])
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None and case.status is Status.PRELIMINARY
        assert len(uow.versions.list(case.id)) == 1
    assert working(app)["communications"][0]["to"] == "Dr Lena Ortiz"

    # the editor's row version guards the working document like a save
    dr = team["drpark"]
    stale = app.cases.open(dr, ACCESSION).record.row_version - 1
    with pytest.raises(ConcurrentChange, match=rf"^{ACCESSION}: changed by drpark at "):
        app.communications.record(
            dr, ACCESSION, {"to": "Dr Ortiz", "method": "phone"}, expected_row_version=stale
        )
    assert len(working(app)["communications"]) == 1


def test_an_amendment_in_progress_refuses_the_addendum(
    app: App, db: str, tmp_path: Path, team: dict[str, User]
) -> None:
    imported(db, tmp_path)
    signed_line(as_user(db, "drpark", "sign", ACCESSION), 1, "final")
    app.cases.start_amendment(team["drpark"], ACCESSION)
    refused = as_user(db, "drpark", "communicate", ACCESSION, *CALL)
    assert (refused.code, refused.errors) == (
        1,
        [
            f"{ACCESSION}: cannot add an addendum: the case is final (an amendment is in "
            "progress; sign or discard it first)"
        ],
    )


def test_signing_an_acute_leukemia_advises_when_no_call_is_recorded(
    db: str, tmp_path: Path
) -> None:
    leukemia = example_case()
    leukemia["aspirate"]["differential"].update(blasts=150, polychromatic_normoblasts=20)
    leukemia["diagnosis"]["lines"] = ["Acute myeloid leukemia with maturation."]
    leukemia["diagnosis"].pop("classification", None)
    imported(db, tmp_path, leukemia)
    preliminary = as_user(db, "drpark", "sign", ACCESSION, "--preliminary", "--acknowledge", "all")
    signed_line(preliminary, 1, "preliminary")
    advice = (
        "advisory: No critical-result communication recorded: the diagnosis names an acute "
        "leukemia. Record the call once the clinician is told (Critical results in the "
        "editor, or `marrowpath communicate`)."
    )
    assert advice in preliminary.errors  # advisory only: the version was issued
    assert as_user(db, "drpark", "communicate", ACCESSION, *CALL).code == 0
    final = as_user(db, "drpark", "sign", ACCESSION, "--acknowledge", "all")
    signed_line(final, 2, "final")
    assert not any("critical-result" in line for line in final.errors)
