"""The template library on SQLite and PostgreSQL through the service: renaming, the one
abbreviation rule, delete, the demo's templates (valid, and loaded once)."""

from __future__ import annotations

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.errors import NotFound, Refused
from marrowpath.domain.text_templates import fill_for
from marrowpath.domain.users import User
from marrowpath.domain.validation import parse_case
from tests.conftest import example_case

Team = dict[str, User]
NORMAL = {"name": "Normal", "abbreviation": "nml", "target": "comment", "text": "Normal."}


def test_a_template_is_renamed_in_place_and_deleted(app: App, team: Team) -> None:
    dr = team["drpark"]
    app.templates.save(dr, NORMAL)

    app.templates.save(dr, {**NORMAL, "name": "Normal marrow"}, replacing="Normal")

    assert [(t.name, t.abbreviation) for t in app.templates.all(dr)] == [("Normal marrow", "nml")]
    app.templates.delete(team["admin"], "Normal marrow")
    assert app.templates.all(dr) == []
    with pytest.raises(NotFound, match="no template named 'Normal marrow'"):
        app.templates.delete(dr, "Normal marrow")
    with app.context.uow(read_only=True) as uow:
        actions = [e.action for e in uow.audit.events() if e.action.startswith("template")]
    assert actions == ["template-save", "template-save", "template-delete"]


def test_an_abbreviation_names_one_template(app: App, team: Team) -> None:
    dr = team["drpark"]
    app.templates.save(dr, NORMAL)

    with pytest.raises(
        Refused, match="the abbreviation 'nml' of 'Other' is already used by 'Normal'"
    ):
        app.templates.save(dr, {**NORMAL, "name": "Other", "abbreviation": "NML"})
    with pytest.raises(Refused, match="a template of that name exists"):
        app.templates.save(dr, {**NORMAL, "abbreviation": "n2"})
    assert [t.name for t in app.templates.all(dr)] == ["Normal"]


def test_the_demo_templates_load_once_and_fill_from_the_example_case(app: App) -> None:
    users, _empty = app.demo.ensure_users_and_lab()

    added = app.demo.load_templates(users)
    again = app.demo.load_templates(users)

    admin = next(user for user in users.values() if user.role.value == "admin")
    library = app.templates.all(admin)
    assert (added, again, len(library)) == (6, 0, 6)
    case = parse_case(example_case(), today=app.context.clock.today())
    settings = app.lab.settings()
    normal = next(t for t in library if t.abbreviation == "nml")
    filled = fill_for(normal, case, settings)
    assert filled.missing == ()
    assert filled.text.startswith("Marrow hypercellular for age (80 %; expected 23-43 %)")
