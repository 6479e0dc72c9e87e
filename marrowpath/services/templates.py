"""The lab's text templates: read by everyone who writes reports, kept by admins and
pathologists (`cli.md` roles), every change audited with the text before and after.

Why audited like the lab settings: a template puts words into signed reports; who
changed "no evidence of lymphoma" into something else, and when, must be answerable.
An import is one transaction: a file with one bad template changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.errors import Forbidden, NotFound, Refused
from marrowpath.domain.text_templates import TextTemplate, check_library, template_from
from marrowpath.domain.users import Permission, User
from marrowpath.services.context import ServiceContext
from marrowpath.services.ports import UnitOfWork

T = TypeVar("T")


class TemplateService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def all(self, actor: User) -> list[TextTemplate]:
        """The library, by name (for everyone who writes or maintains reports)."""
        if not (actor.can(Permission.EDIT) or actor.can(Permission.TEMPLATES)):
            actor.require(Permission.TEMPLATES)  # the refusal names the role
        with self._ctx.uow(read_only=True) as uow:
            return uow.templates.list()

    def save(
        self, actor: User, data: dict[str, Any], *, replacing: str | None = None
    ) -> TextTemplate:
        """Add a template, or change the one named `replacing` (which may be renamed)."""
        what = f"template save {replacing or data.get('name')}"

        def work(uow: UnitOfWork) -> TextTemplate:
            template = template_from(data)
            existing = {t.name: t for t in uow.templates.list()}
            if replacing is not None and replacing not in existing:
                raise NotFound(f"template: no template named {replacing!r}")
            before = existing.pop(replacing, None) if replacing else None
            if template.name in existing and template.name != replacing:
                raise Refused(f"template {template.name!r}: a template of that name exists")
            check_library([*existing.values(), template], "template")
            if replacing is not None:
                uow.templates.delete(replacing)
            uow.templates.save(template, by=actor.username, at=self._ctx.clock.now())
            uow.record(_entry("template-save", actor, before, template))
            return template

        return self._change(actor, what, work)

    def delete(self, actor: User, name: str) -> None:
        def work(uow: UnitOfWork) -> None:
            before = uow.templates.get(name)
            if before is None or not uow.templates.delete(name):
                raise NotFound(f"template delete: no template named {name!r}")
            uow.record(_entry("template-delete", actor, before, None))

        self._change(actor, f"template delete {name}", work)

    def import_many(
        self, actor: User, items: Sequence[object], where: str = "templates"
    ) -> list[TextTemplate]:
        """Check every template, then add them, each replacing the one of its name; one
        bad template refuses the whole file, naming it."""

        def work(uow: UnitOfWork) -> list[TextTemplate]:
            templates = [
                template_from(item, f"{where}: template {index}")
                for index, item in enumerate(items, start=1)
            ]
            check_library(templates, where)
            existing = {t.name: t for t in uow.templates.list()}
            replaced = {t.name: existing.pop(t.name) for t in templates if t.name in existing}
            check_library([*existing.values(), *templates], where)
            for name in replaced:
                uow.templates.delete(name)
            now = self._ctx.clock.now()
            for template in templates:
                uow.templates.save(template, by=actor.username, at=now)
                uow.record(_entry("template-save", actor, replaced.get(template.name), template))
            return templates

        return self._change(actor, f"template import {where}", work)

    def _change(self, actor: User, what: str, work: Callable[[UnitOfWork], T]) -> T:
        try:
            actor.require(Permission.TEMPLATES)
            with self._ctx.uow() as uow:
                result = work(uow)
                uow.commit()
                return result
        except (Forbidden, Refused) as refusal:
            self._ctx.record_refusal(actor.username, what, str(refusal))
            raise


def _entry(
    action: str, actor: User, before: TextTemplate | None, after: TextTemplate | None
) -> AuditEntry:
    named = after or before
    assert named is not None
    return AuditEntry(
        action,
        actor.username,
        None,
        {
            "name": named.name,
            "before": before.to_json() if before else None,
            "after": after.to_json() if after else None,
        },
    )
