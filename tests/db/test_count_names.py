"""Who counted the differential prints by name (`bench.md` section 1), on SQLite and
PostgreSQL: the user store's name on a draft, the name as signed on an issued version
and in its HL7 text (a later rename changes neither), the username as stored for
someone who is no user of this database, with no trace in the signed JSON."""

from __future__ import annotations

from typing import Any

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.domain.versions import IssuedVersion
from tests.conftest import PASSWORD, example_case_v2

ACCESSION = "BM26-00042"
COUNTED = "500-cell differential counted with the on-screen counter by"


def versions(app: App) -> list[IssuedVersion]:
    with app.context.uow(read_only=True) as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None
        return uow.versions.list(case.id)


def counted_by(username: str) -> dict[str, Any]:
    data = example_case_v2()
    data["aspirate"]["count"]["counted_by"] = username
    return data


def test_a_users_name_prints_and_stays_as_signed(app: App, team: dict[str, User]) -> None:
    dr = team["drpark"]
    app.cases.import_case(dr, counted_by("drpark"))
    draft, _ = app.cases.report_requests(dr, ACCESSION)
    assert draft.names == {"drpark": "Dana Park"}
    app.cases.sign(dr, ACCESSION, PASSWORD)
    (signed,) = versions(app)
    assert signed.content.people == {"drpark": "Dana Park"}
    assert signed.content.stored()["people"] == {"drpark": "Dana Park"}  # covered by the hash
    with app.context.uow() as uow:
        uow.users.update("drpark", full_name="Dana Park-Lee")
        uow.commit()
    message = app.interfaces.export_hl7(dr, ACCESSION)
    assert f"{COUNTED} Dana Park," in message and "Park-Lee" not in message
    issued, _ = app.cases.report_requests(dr, ACCESSION)
    assert issued.names == {"drpark": "Dana Park"}


def test_someone_who_is_no_user_prints_as_stored(app: App, team: dict[str, User]) -> None:
    dr = team["drpark"]
    app.cases.import_case(dr, counted_by("achen"))  # counted elsewhere
    app.cases.sign(dr, ACCESSION, PASSWORD)
    (signed,) = versions(app)
    assert signed.content.people is None and "people" not in signed.content.stored()
    assert f"{COUNTED} achen," in app.interfaces.export_hl7(dr, ACCESSION)
