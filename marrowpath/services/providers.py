"""The provider directory: read by everyone who enters cases (the editor's type-ahead),
maintained by admins and pathologists (`cli.md` roles: "provider directory").

Every change is one transaction with its audit entry; a refusal changes nothing and is
audited too. An import replaces the entries it names (by id, or by name for providers
without one) and adds the others, all in one transaction: one bad row and nothing
changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.errors import Forbidden, NotFound, Refused
from marrowpath.domain.providers import DirectoryProvider, parse_csv
from marrowpath.domain.users import Permission, User
from marrowpath.services.context import ServiceContext
from marrowpath.services.ports import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class ImportResult:
    added: int
    replaced: int


class ProviderService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def directory(self, actor: User, *, include_inactive: bool = False) -> list[DirectoryProvider]:
        """The directory, by family name: those who enter cases read it to fill them."""
        if not (actor.can(Permission.EDIT) or actor.can(Permission.PROVIDERS)):
            raise Forbidden(f"{actor.username} ({actor.role.value}) may not read the directory")
        with self._ctx.uow(read_only=True) as uow:
            providers = uow.providers.list()
        return providers if include_inactive else [p for p in providers if p.active]

    def add(self, actor: User, provider: DirectoryProvider) -> DirectoryProvider:
        """A new provider; an id already in the directory is refused, naming its holder."""

        def work(uow: UnitOfWork) -> DirectoryProvider:
            self._refuse_duplicate(uow, provider, "provider add")
            added = uow.providers.add(provider, by=actor.username, at=self._ctx.clock.now())
            uow.record(_entry("provider-added", actor, added))
            return added

        return self._change(actor, f"provider add {provider.name}", work)

    def update(self, actor: User, key: int, provider: DirectoryProvider) -> DirectoryProvider:
        """Change an entry (the administration screen); cases keep what they printed."""

        def work(uow: UnitOfWork) -> DirectoryProvider:
            before = uow.providers.get(key, for_update=True)
            if before is None:
                raise NotFound(f"provider {provider.name}: no longer in the directory; reload")
            if provider.id is not None and provider.id != before.id:
                self._refuse_duplicate(uow, provider, "provider change")
            changed = uow.providers.replace(
                key, provider, by=actor.username, at=self._ctx.clock.now()
            )
            uow.record(_entry("provider-changed", actor, changed, before=before))
            return changed

        return self._change(actor, f"provider change {provider.name}", work)

    def set_active(self, actor: User, key: int, active: bool) -> DirectoryProvider:
        """Deactivate (no longer offered by the type-ahead) or reactivate an entry."""

        def work(uow: UnitOfWork) -> DirectoryProvider:
            before = uow.providers.get(key, for_update=True)
            if before is None:
                raise NotFound("that provider is no longer in the directory; reload")
            changed = uow.providers.replace(
                key, replace(before, active=active), by=actor.username, at=self._ctx.clock.now()
            )
            uow.record(_entry("provider-changed", actor, changed, before=before))
            return changed

        return self._change(actor, "provider activate" if active else "provider deactivate", work)

    def import_csv(self, actor: User, text: str, *, source: str) -> ImportResult:
        """Load a CSV file (`domain.providers.parse_csv`): all of it, or nothing."""

        def work(uow: UnitOfWork) -> ImportResult:
            providers = parse_csv(text, source=source)
            at, added, replaced = self._ctx.clock.now(), 0, 0
            for provider in providers:
                existing = (
                    uow.providers.by_identifier(provider.id)
                    if provider.id is not None
                    else uow.providers.by_name_without_id(provider.name)
                )
                if existing is not None and existing.key is not None:
                    uow.providers.replace(existing.key, provider, by=actor.username, at=at)
                    replaced += 1
                else:
                    uow.providers.add(provider, by=actor.username, at=at)
                    added += 1
            uow.record(
                AuditEntry(
                    "providers-imported",
                    actor.username,
                    None,
                    {"source": source, "added": added, "replaced": replaced},
                )
            )
            return ImportResult(added=added, replaced=replaced)

        return self._change(actor, f"provider import {source}", work)

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _refuse_duplicate(uow: UnitOfWork, provider: DirectoryProvider, what: str) -> None:
        if provider.id is not None:
            holder = uow.providers.by_identifier(provider.id)
            if holder is not None:
                raise Refused(f"{what}: id {provider.id} is already {holder.name}'s")
        elif uow.providers.by_name_without_id(provider.name) is not None:
            raise Refused(f"{what}: {provider.name} is already in the directory without an id")

    def _change(self, actor: User, what: str, work: Callable[[UnitOfWork], T]) -> T:
        try:
            actor.require(Permission.PROVIDERS)
            with self._ctx.uow() as uow:
                result = work(uow)
                uow.commit()
                return result
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, what, str(refusal))
            raise


def _entry(
    action: str,
    actor: User,
    provider: DirectoryProvider,
    *,
    before: DirectoryProvider | None = None,
) -> AuditEntry:
    detail: dict[str, object] = {"provider": _fields(provider)}
    if before is not None:
        detail["before"] = _fields(before)
    return AuditEntry(action, actor.username, None, detail)


def _fields(provider: DirectoryProvider) -> dict[str, object]:
    return {
        "name": provider.name,
        "family_name": provider.family_name,
        "given_names": provider.given_names,
        "id": provider.id,
        "organization": provider.organization,
        "phone": provider.phone,
        "active": provider.active,
    }
