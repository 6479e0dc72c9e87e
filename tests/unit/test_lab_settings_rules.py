"""The lab settings' rules (which values are refused and in which words, who may change
them, what is audited), on the in-memory unit of work (`tests/fakes.py`): service rules
that need no database. Moved from tests/db/test_cases.py; settings snapshotted into
issued versions are tested there on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from marrowpath.domain.errors import Forbidden, Refused
from marrowpath.domain.users import User
from tests.fakes import FakeApp, fake_app, fake_team

Team = dict[str, User]


@pytest.fixture
def app() -> FakeApp:
    return fake_app()


@pytest.fixture
def team(app: FakeApp) -> Team:
    return fake_team(app)


BAD_SETTINGS: list[tuple[str, str, str]] = [
    ("me_ratio.include_monocytes", "yes", "must be true or false, got 'yes'"),
    ("cellularity.rule", "guess", "must be one of hundred_minus_age, age_bands, got 'guess'"),
    ("reference.blasts", "3-1", "must have LOW <= HIGH (and at most 100 %), got '3-1'"),
    ("reference.blasts", "0-200", "must have LOW <= HIGH (and at most 100 %), got '0-200'"),
    ("reference.blasts", "low", "must be LOW-HIGH such as 0-2, got 'low'"),
    ("reference.unicorns", "0-2", "has an unknown category 'unicorns'"),
    (
        "session.idle_minutes",
        "0",
        "must be a whole number of minutes from 1 to 240, got '0'",
    ),
    (
        "session.idle_minutes",
        "241",
        "must be a whole number of minutes from 1 to 240, got '241'",
    ),
    ("accession.pattern", "bm-nnnnn", "must be uppercase letters, digits and '-'"),
]


class TestSettings:
    def test_bad_values_are_refused_naming_key_and_rule(self, app: FakeApp, team: Team) -> None:
        before = app.lab.settings()
        for key, value, rule in BAD_SETTINGS:
            with pytest.raises(Refused) as caught:
                app.lab.set(team["admin"], key, value)
            assert str(caught.value).startswith(f"settings: {key} {rule}"), key
            assert app.lab.settings() == before
            refusal = [e for e in app.events() if e.action == "refused"][-1]
            assert refusal.detail["action"] == f"settings set {key}"
            assert refusal.detail["reason"] == str(caught.value)
        with pytest.raises(Refused, match="settings: unknown key 'colour'; known keys: "):
            app.lab.set(team["admin"], "colour", "blue")

    def test_good_values_are_saved_and_audited(self, app: FakeApp, team: Team) -> None:
        lab = app.lab
        lab.set(team["drpark"], "me_ratio.include_monocytes", "true")
        lab.set(team["admin"], "cellularity.rule", "age_bands")
        lab.set(team["admin"], "session.idle_minutes", "30")
        settings = lab.settings()
        assert settings.me_ratio_include_monocytes is True
        assert settings.cellularity_rule == "age_bands"
        assert settings.idle_minutes == 30
        change = [e for e in app.events() if e.action == "settings-change"][-1]
        assert change.detail["changes"] == [{"path": "idle_minutes", "before": 15, "after": 30}]
        identity = app.lab.set_identity(team["drpark"], phone="217-555-0199", name=None)
        assert identity.phone == "217-555-0199"
        assert identity.name == "Riverside Hematopathology Laboratory"
        with pytest.raises(Refused, match="too long"):
            app.lab.set_identity(team["admin"], name="x" * 301)

    def test_only_admins_and_pathologists_change_settings(self, app: FakeApp, team: Team) -> None:
        for who in ("resident", "tech", "clinician"):
            with pytest.raises(Forbidden, match="may not change the lab identity and settings"):
                app.lab.set(team[who], "reference.blasts", "0-3")
            with pytest.raises(Forbidden):
                app.lab.set_identity(team[who], name="Elsewhere")
        settings = app.lab.settings()
        blasts = settings.interval("blasts")
        assert blasts is not None and blasts.high == 2
        assert settings.identity.name == "Riverside Hematopathology Laboratory"
