"""The provider directory's service on SQLite and PostgreSQL: changes are audited, a
deactivated provider leaves the type-ahead, an id stays unique, a refused import changes
nothing, and the demo loads its providers once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from marrowpath.bootstrap import App
from marrowpath.demo.people import DEMO_PROVIDERS
from marrowpath.domain.errors import Forbidden, Refused
from marrowpath.domain.providers import DirectoryProvider, search_providers
from marrowpath.domain.users import User

Team = dict[str, User]
RAMAN = DirectoryProvider(name="Priya Raman, MD", family_name="Raman", id="1234567893")


def actions(app: App) -> list[str]:
    with app.context.uow(read_only=True) as uow:
        return [event.action for event in uow.audit.events()]


def test_changes_are_audited_and_a_deactivated_provider_is_not_offered(
    app: App, team: Team
) -> None:
    dr = team["drpark"]
    added = app.providers.add(dr, RAMAN)
    assert added.key is not None
    changed = app.providers.update(dr, added.key, replace(RAMAN, organization="Oncology"))
    assert changed.organization == "Oncology"
    app.providers.set_active(team["admin"], added.key, False)
    assert app.providers.directory(team["tech"]) == []
    [inactive] = app.providers.directory(dr, include_inactive=True)
    assert not inactive.active and search_providers([inactive], "raman") == []
    assert actions(app)[-3:] == ["provider-added", "provider-changed", "provider-changed"]


def test_an_id_stays_unique_and_refusals_are_audited(app: App, team: Team) -> None:
    dr = team["drpark"]
    app.providers.add(dr, RAMAN)
    other = app.providers.add(dr, DirectoryProvider(name="Omar Haddad, DO", id="1122334455"))
    assert other.key is not None
    with pytest.raises(Refused, match="id 1234567893 is already Priya Raman, MD's"):
        app.providers.update(dr, other.key, replace(other, id="1234567893"))
    with pytest.raises(Forbidden):
        app.providers.add(team["resident"], DirectoryProvider(name="X"))
    with pytest.raises(Forbidden):
        app.providers.directory(team["clinician"])
    assert actions(app)[-2:] == ["refused", "refused"]
    assert [p.id for p in app.providers.directory(dr)] == ["1122334455", "1234567893"]


def test_a_refused_import_changes_nothing(app: App, team: Team) -> None:
    dr = team["drpark"]
    app.providers.add(dr, RAMAN)
    text = (
        "name,family_name,given_names,id,organization,phone\n"
        "P. Raman,Raman,Priya,1234567893,Changed,\n"
        "Bo Chen,Chen,Bo,1234567893,,\n"
    )
    with pytest.raises(Refused, match=r"list\.csv: line 3: id 1234567893 is also on line 2"):
        app.providers.import_csv(dr, text, source="list.csv")
    assert app.providers.directory(dr) == [RAMAN]


def test_the_demo_loads_its_providers_once(app: App) -> None:
    users, _empty = app.demo.ensure_users_and_lab()
    assert app.demo.load_providers(users) == len(DEMO_PROVIDERS)
    assert app.demo.load_providers(users) == 0
    admin = next(u for u in users.values() if u.role.value == "admin")
    listed = app.providers.directory(admin)
    assert sorted(p.id or "" for p in listed) == sorted(p["id"] for p in DEMO_PROVIDERS)
    raman = next(p for p in listed if p.family_name == "Raman")
    assert raman.case_fields() == DEMO_PROVIDERS[0]
    assert raman.phone is not None and raman.phone.startswith("(555) 014-")
