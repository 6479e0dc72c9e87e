"""The persistent outbox: queued with the signing, delivered over MLLP to listeners on
127.0.0.1 (accepting, rejecting, down), retried with the same MSH-10, never lost or sent
twice across restarts, and corrections sent to everyone who had the earlier version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import marrowpath.services.cases as cases_module
from marrowpath.bootstrap import App, build
from marrowpath.domain import hl7v2
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User
from marrowpath.services.context import Clock
from marrowpath.services.outbox import LEASE
from marrowpath.services.outbox import queue_version as outbox_queue_version
from tests.conftest import PASSWORD
from tests.hashing import TEST_HASHER
from tests.interfaces.support import (
    ACCESSION,
    Listener,
    add_destination,
    amend_example,
    field_value,
    free_port,
    hl7apy_message,
    import_example,
    pdf_of,
    sign,
)

Team = dict[str, User]


def later(minutes: float) -> Clock:
    """A clock `minutes` ahead: the back-off has passed (a restarted workstation)."""
    return Clock(now=lambda: datetime.now(UTC) + timedelta(minutes=minutes))


def events(app: App, action: str) -> list[Any]:
    with app.context.uow(read_only=True) as uow:
        return [e for e in uow.audit.events() if e.action == action]


def test_signing_queues_the_message_in_its_own_transaction(
    app: App, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_destination(app, team, "EHR", free_port())
    import_example(app, team)

    def queue_then_fail(*args: Any, **kwargs: Any) -> None:
        real_queue(*args, **kwargs)
        raise Refused("the database went away")

    real_queue = outbox_queue_version
    monkeypatch.setattr(cases_module, "queue_version", queue_then_fail)
    with pytest.raises(Refused, match="went away"):
        sign(app, team)
    assert app.outbox.entries(team["admin"]) == []
    assert app.cases.versions(team["drpark"], ACCESSION) == []  # nothing issued either
    monkeypatch.setattr(cases_module, "queue_version", real_queue)

    version = sign(app, team)
    (entry,) = app.outbox.entries(team["admin"])
    assert (entry.status, entry.accession, entry.version_number, entry.event) == (
        "queued",
        ACCESSION,
        version.number,
        "final",
    )
    assert (entry.destination, entry.attempts, entry.control_id[:2]) == ("EHR", 0, "MP")
    (queued,) = events(app, "transmit-queued")
    assert queued.detail["control_id"] == entry.control_id
    sign_event = events(app, "sign")[-1]
    assert queued.seq > sign_event.seq  # recorded in the same commit, after the signature


def test_delivery_to_an_accepting_listener(app: App, team: Team) -> None:
    with Listener("AA") as listener:
        add_destination(app, team, "EHR", listener.port, application="EPIC", facility="GH")
        import_example(app, team)
        sign(app, team)
        (delivery,) = app.outbox.deliver_due()
        assert delivery.outcome == "sent"
        assert app.outbox.deliver_due() == []  # nothing left to send
    (entry,) = app.outbox.entries(team["admin"])
    assert (entry.status, entry.ack_code, entry.attempts) == ("sent", "AA", 1)
    assert entry.sent_at is not None
    (message,) = listener.received
    hl7apy_message(message)
    assert listener.control_ids == [entry.control_id]
    assert field_value(message, "MSH", 5) == "EPIC" and field_value(message, "MSH", 6) == "GH"
    assert field_value(message, "OBR", 25) == "F"
    (transmit,) = events(app, "transmit")
    assert transmit.detail["outcome"] == "sent" and transmit.detail["ack"] == "AA"


def test_rejections_are_recorded_with_the_receivers_words(app: App, team: Team) -> None:
    with (
        Listener("AE", "Unknown patient MRN0012345") as engine,
        Listener("AR", "Message type not supported") as archive,
    ):
        add_destination(app, team, "ENGINE", engine.port)
        add_destination(app, team, "ARCHIVE", archive.port)
        import_example(app, team)
        sign(app, team)
        outcomes = {d.entry.destination: d for d in app.outbox.deliver_due()}
    assert {name: d.outcome for name, d in outcomes.items()} == {
        "ENGINE": "rejected",
        "ARCHIVE": "rejected",
    }
    entries = {e.destination: e for e in app.outbox.entries(team["admin"])}
    assert entries["ENGINE"].status == "failed" and entries["ENGINE"].ack_code == "AE"
    assert entries["ENGINE"].error == "AE: Unknown patient MRN0012345"
    assert entries["ARCHIVE"].error == "AR: Message type not supported"
    assert app.outbox.deliver_due() == []  # a rejection is not retried by itself
    with Listener("AA", port=engine.port) as fixed:
        retried = app.outbox.retry(team["admin"], accession=ACCESSION)
    assert {d.entry.destination: d.outcome for d in retried}["ENGINE"] == "sent"
    assert fixed.control_ids == [entries["ENGINE"].control_id]  # the same MSH-10


def test_a_down_listener_is_retried_with_the_same_control_id_after_a_restart(
    app: App, team: Team, database_url: str
) -> None:
    port = free_port()  # nothing listens there yet
    add_destination(app, team, "EHR", port)
    import_example(app, team)
    sign(app, team)
    (attempt,) = app.outbox.deliver_due()
    assert attempt.outcome == "retry" and "cannot reach" in attempt.text
    (entry,) = app.outbox.entries(team["admin"])
    assert (entry.status, entry.attempts) == ("queued", 1)
    assert entry.next_attempt_at is not None and entry.next_attempt_at > datetime.now(UTC)
    assert app.outbox.deliver_due() == []  # waiting for its back-off
    with Listener("AA", port=port) as listener:
        restarted = build(database_url, with_renderer=False, clock=later(5), hasher=TEST_HASHER)
        try:
            (delivery,) = restarted.outbox.deliver_due()
            assert delivery.outcome == "sent"
        finally:
            restarted.close()
        again = build(database_url, with_renderer=False, clock=later(120), hasher=TEST_HASHER)
        try:
            assert again.outbox.deliver_due() == []
        finally:
            again.close()
    assert listener.control_ids == [entry.control_id]  # once, with the queued MSH-10
    (sent,) = app.outbox.entries(team["admin"])
    assert (sent.status, sent.attempts) == ("sent", 2)


def test_a_sender_that_died_mid_send_is_taken_over_once_its_lease_expires(
    app: App, team: Team, database_url: str
) -> None:
    with Listener("AA") as listener:
        add_destination(app, team, "EHR", listener.port)
        import_example(app, team)
        sign(app, team)
        (entry,) = app.outbox.entries(team["admin"])
        now = datetime.now(UTC)
        with app.context.uow() as uow:  # a workstation claims it, then loses power
            assert uow.outbox.claim(entry.id, now=now, lease_until=now + LEASE) is not None
            uow.commit()
        assert app.outbox.deliver_due() == []  # still leased: nobody else sends it
        takeover = build(
            database_url,
            with_renderer=False,
            clock=later(LEASE.seconds / 60 + 1),
            hasher=TEST_HASHER,
        )
        try:
            (delivery,) = takeover.outbox.deliver_due()
        finally:
            takeover.close()
    assert delivery.outcome == "sent"
    assert listener.control_ids == [entry.control_id]


def test_corrections_go_to_every_destination_that_had_an_earlier_version(database_url: str) -> None:
    # with the PDF renderer: the new PDF travels with the correction
    app = build(database_url, hasher=TEST_HASHER)
    try:
        team = _team(app)
        with Listener() as ehr, Listener() as archive, Listener() as clinic:
            add_destination(app, team, "EHR", ehr.port)
            add_destination(app, team, "ARCHIVE", archive.port, receives="final")
            import_example(app, team)
            sign(app, team, preliminary=True)
            sign(app, team)
            app.outbox.deliver_due()
            manual = app.outbox.send_to_address(team["admin"], ACCESSION, "127.0.0.1", clinic.port)
            assert (
                manual.outcome == "sent" and manual.entry.destination == f"127.0.0.1:{clinic.port}"
            )
            amendment = amend_example(app, team, "Acute myeloid leukemia (AML-MR).")
            deliveries = app.outbox.deliver_due(team["drpark"].username)
            assert sorted(d.outcome for d in deliveries) == ["sent"] * 2
            stored = app.cases.report_pdf(team["drpark"], ACCESSION, version=amendment.number)
            # the ad-hoc address had the final report once; the amendment did not follow
            assert "".join(field_value(m, "OBR", 25) for m in clinic.received) == "F"
            for listener, statuses in ((ehr, "PFC"), (archive, "FC")):
                got = "".join(field_value(m, "OBR", 25) for m in listener.received)
                assert got == statuses
                last = listener.received[-1]
                hl7apy_message(last)
                assert pdf_of(last) == stored and stored.startswith(b"%PDF")
                assert {o.get(11) for o in hl7v2.parse(last).all("OBX")} == {"C"}
            assert len({*ehr.control_ids, *archive.control_ids, *clinic.control_ids}) == 6
    finally:
        app.close()


def _team(app: App) -> Team:
    from marrowpath.domain.users import Role

    app.auth.add_first_user("admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD)
    admin = app.auth.sign_in("admin", PASSWORD)
    for username, role in (("drpark", Role.PATHOLOGIST), ("clinician", Role.CLINICIAN)):
        app.auth.add_user(admin, username, full_name=username.title(), role=role, password=PASSWORD)
    app.lab.set_identity(
        admin, name="Riverside Lab", address="200 River Road, Springfield, IL", clia_id="14D0123456"
    )
    return {
        "admin": admin,
        "drpark": app.auth.sign_in("drpark", PASSWORD),
        "clinician": app.auth.sign_in("clinician", PASSWORD),
    }


def test_withdrawal_and_cancellation_reach_the_earlier_receivers(app: App, team: Team) -> None:
    with Listener() as ehr:
        add_destination(app, team, "EHR", ehr.port)
        import_example(app, team)
        sign(app, team)
        app.cases.withdraw(team["drpark"], ACCESSION, PASSWORD, reason="Wrong patient.")
        second = import_example(app, team, accession="BM26-00043")
        sign(app, team, second, preliminary=True)
        app.cases.cancel(team["drpark"], second, reason="Procedure abandoned.")
        third = import_example(app, team, accession="BM26-00044")
        app.cases.cancel(team["drpark"], third, reason="Duplicate order.")  # never sent
        app.outbox.deliver_due()
    by_case: dict[str, list[str]] = {}
    for message in ehr.received:
        statuses = {o.get(11) for o in hl7v2.parse(message).all("OBX")}
        by_case.setdefault(field_value(message, "OBR", 3).split("^")[0], []).append(
            field_value(message, "OBR", 25) + "/" + "".join(sorted(statuses))
        )
    assert by_case == {ACCESSION: ["F/F", "C/W"], "BM26-00043": ["P/P", "X/X"]}
    events_by_kind = [e.event for e in app.outbox.entries(team["admin"])]
    assert sorted(events_by_kind) == ["cancellation", "final", "preliminary", "withdrawal"]


def test_a_removed_destination_gets_nothing_new(app: App, team: Team) -> None:
    with Listener() as ehr:
        add_destination(app, team, "EHR", ehr.port)
        import_example(app, team)
        sign(app, team)
        app.outbox.deliver_due()
        app.lab.remove_destination(team["admin"], "EHR")
        app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text="Karyotype normal.")
        assert app.outbox.deliver_due() == []
    assert len(ehr.received) == 1
    assert [replace(e, id=0).event for e in app.outbox.entries(team["admin"])] == ["final"]
