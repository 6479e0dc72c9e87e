"""Who may send a report where (issue 10, item 4): every role that sees issued reports
sends to a configured destination; only admins send to an ad-hoc address, which gets that
one message and never becomes a standing recipient; admins manage destinations; every
refusal is audited and sends nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.errors import Forbidden, NotFound
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.interfaces.support import (
    ACCESSION,
    Listener,
    add_destination,
    amend_example,
    field_value,
    import_example,
    sign,
)
from tests.interfaces.test_cli_interfaces import cli


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the network and the roles behave alike on both databases."""
    path = tmp_path / "marrowpath.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


Team = dict[str, User]


def refusals(app: App) -> list[dict[str, Any]]:
    with app.context.uow(read_only=True) as uow:
        return [
            {"user": e.username, "accession": e.accession, **e.detail}
            for e in uow.audit.events()
            if e.action == "refused"
        ]


def outbox_addresses(app: App, team: Team) -> list[str]:
    return [e.address for e in app.outbox.entries(team["admin"])]


def test_a_clinician_cannot_send_to_an_ad_hoc_address(app: App, team: Team) -> None:
    import_example(app, team)
    sign(app, team)
    with Listener() as anywhere:
        with pytest.raises(Forbidden) as refused:
            app.outbox.send_to_address(team["clinician"], ACCESSION, "127.0.0.1", anywhere.port)
        for who in ("drpark", "tech", "resident"):
            with pytest.raises(Forbidden):
                app.outbox.send_to_address(team[who], ACCESSION, "127.0.0.1", anywhere.port)
    assert str(refused.value) == (
        "clinician (clinician) may not manage destinations or send a report to an ad-hoc address"
    )
    assert anywhere.received == []
    assert outbox_addresses(app, team) == []  # nothing queued for that address either
    assert refusals(app)[0] == {
        "user": "clinician",
        "accession": ACCESSION,
        "action": f"send to 127.0.0.1:{anywhere.port}",
        "reason": str(refused.value),
    }
    assert [r["user"] for r in refusals(app)] == ["clinician", "drpark", "tech", "resident"]


def test_every_role_sends_to_a_configured_destination(app: App, team: Team) -> None:
    with Listener() as ehr:
        add_destination(app, team, "EHR", ehr.port)
        import_example(app, team)
        sign(app, team)
        app.outbox.deliver_due()
        for who in ("clinician", "tech", "drpark", "admin"):
            delivery = app.outbox.send_to(team[who], ACCESSION, "EHR")
            assert delivery.outcome == "sent" and delivery.entry.destination == "EHR"
        assert len(ehr.received) == 5
        with pytest.raises(NotFound, match=r"send: no destination named LIS \(EHR\)"):
            app.outbox.send_to(team["clinician"], ACCESSION, "LIS")
    assert refusals(app)[-1]["action"] == "send to LIS"


def test_an_ad_hoc_address_does_not_receive_later_versions(app: App, team: Team) -> None:
    """Before: every later correction of the case followed to the address given once."""
    with Listener() as ehr, Listener() as adhoc:
        add_destination(app, team, "EHR", ehr.port)
        import_example(app, team)
        sign(app, team, preliminary=True)
        sign(app, team)
        app.outbox.deliver_due()
        once = app.outbox.send_to_address(team["admin"], ACCESSION, "127.0.0.1", adhoc.port)
        assert once.outcome == "sent" and once.entry.destination == f"127.0.0.1:{adhoc.port}"
        amend_example(app, team, "Acute myeloid leukemia (AML-MR).")
        app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text="Karyotype normal.")
        app.cases.withdraw(team["drpark"], ACCESSION, PASSWORD, reason="Wrong patient.")
        app.outbox.deliver_due()
    assert [field_value(m, "OBR", 25) for m in adhoc.received] == ["F"]
    assert len(ehr.received) == 5  # preliminary, final, amendment, addendum, withdrawal
    assert outbox_addresses(app, team).count(f"127.0.0.1:{adhoc.port}") == 1


def test_an_ad_hoc_address_does_not_receive_a_cancellation(app: App, team: Team) -> None:
    with Listener() as adhoc:
        import_example(app, team)
        sign(app, team, preliminary=True)
        app.outbox.send_to_address(team["admin"], ACCESSION, "127.0.0.1", adhoc.port)
        app.cases.cancel(team["drpark"], ACCESSION, reason="Specimen lost.")
        assert app.outbox.deliver_due() == []
    assert len(adhoc.received) == 1


def test_only_admins_manage_destinations(app: App, team: Team) -> None:
    with pytest.raises(Forbidden, match=r"drpark \(pathologist\) may not manage destinations"):
        app.lab.add_destination(team["drpark"], name="EHR", host="127.0.0.1", port=2575)
    add_destination(app, team, "EHR", 2575)
    with pytest.raises(Forbidden):
        app.lab.remove_destination(team["drpark"], "EHR")
    # nor through the whole-settings save of the administration screen
    settings = app.lab.settings()
    with pytest.raises(Forbidden):
        app.lab.replace(team["drpark"], settings.model_copy(update={"destinations": None}))
    app.lab.replace(team["drpark"], settings.model_copy(update={"idle_minutes": 20}))
    assert [d.name for d in app.lab.settings().destinations or ()] == ["EHR"]
    assert [r["action"] for r in refusals(app)] == [
        "destination add EHR",
        "destination remove EHR",
        "settings",
    ]


# ------------------------------------------------------------------ the command line


def test_send_on_the_command_line(app: App, team: Team, database_url: str, tmp_path: Path) -> None:
    db = database_url
    case = tmp_path / "case.json"
    case.write_text(json.dumps(example_case()), encoding="utf-8")
    assert cli(db, "drpark", "import", str(case)).code == 0
    with Listener() as ehr, Listener() as adhoc:
        assert (
            cli(db, "admin", "destination", "add", "EHR", "--mllp", f"127.0.0.1:{ehr.port}").code
            == 0
        )
        pathologist = cli(db, "drpark", "destination", "add", "X", "--mllp", "127.0.0.1:1")
        assert pathologist.code == 1
        assert pathologist.err == (
            "drpark (pathologist) may not manage destinations or send a report to an ad-hoc "
            "address\n"
        )
        # a draft and a case that does not exist get the same answer
        for accession in (ACCESSION, "BM26-99999"):
            answer = cli(db, "clinician", "send", accession, "--to", "EHR")
            assert (answer.code, answer.err) == (1, f"{accession}: no issued report\n")
        draft = cli(db, "drpark", "send", ACCESSION, "--to", "EHR")
        assert draft.code == 1 and "nothing was issued yet (the case is draft)" in draft.err
        assert cli(db, "drpark", "sign", ACCESSION).code == 0
        to_ehr = cli(db, "clinician", "send", ACCESSION, "--to", "EHR")
        assert to_ehr.code == 0 and "\tEHR\t" in to_ehr.out and "\tsent\t" in to_ehr.out
        refused = cli(db, "clinician", "send", ACCESSION, "--mllp", f"127.0.0.1:{adhoc.port}")
        assert (refused.code, refused.err) == (
            1,
            "clinician (clinician) may not manage destinations or send a report to an ad-hoc "
            "address\n",
        )
        assert adhoc.received == []
        by_admin = cli(db, "admin", "send", ACCESSION, "--mllp", f"127.0.0.1:{adhoc.port}")
        assert by_admin.code == 0 and len(adhoc.received) == 1
        unknown = cli(db, "clinician", "send", ACCESSION, "--to", "LIS")
        assert (unknown.code, unknown.err) == (1, "send: no destination named LIS (EHR)\n")
    neither = cli(db, "clinician", "send", ACCESSION)
    assert neither.code == 2 and "one of the arguments --to --mllp is required" in neither.err
    both = cli(db, "admin", "send", ACCESSION, "--to", "EHR", "--mllp", "127.0.0.1:1")
    assert both.code == 2 and "not allowed with argument" in both.err
