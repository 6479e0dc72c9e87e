"""The provider directory in the database (`domain/providers.py`)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marrowpath.db.models import ProviderRow
from marrowpath.domain.providers import DirectoryProvider


def _provider(row: ProviderRow) -> DirectoryProvider:
    return DirectoryProvider(
        name=row.name,
        family_name=row.family_name,
        given_names=row.given_names,
        id=row.identifier,
        organization=row.organization,
        phone=row.phone,
        active=row.active,
        key=row.id,
    )


def _columns(provider: DirectoryProvider) -> dict[str, object]:
    return {
        "name": provider.name,
        "family_name": provider.family_name,
        "given_names": provider.given_names,
        "identifier": provider.id,
        "organization": provider.organization,
        "phone": provider.phone,
        "active": provider.active,
    }


class SqlProviderRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def list(self) -> list[DirectoryProvider]:
        """Every provider, by family name (the name as printed when there is none)."""
        rows = self._session.scalars(
            select(ProviderRow).order_by(
                func.lower(func.coalesce(ProviderRow.family_name, ProviderRow.name)),
                func.lower(ProviderRow.name),
                ProviderRow.id,
            )
        )
        return [_provider(row) for row in rows]

    def get(self, key: int, *, for_update: bool = False) -> DirectoryProvider | None:
        row = self._session.get(ProviderRow, key, with_for_update=for_update)
        return _provider(row) if row is not None else None

    def by_identifier(self, identifier: str) -> DirectoryProvider | None:
        row = self._session.scalar(select(ProviderRow).where(ProviderRow.identifier == identifier))
        return _provider(row) if row is not None else None

    def by_name_without_id(self, name: str) -> DirectoryProvider | None:
        row = self._session.scalar(
            select(ProviderRow)
            .where(ProviderRow.name == name, ProviderRow.identifier.is_(None))
            .order_by(ProviderRow.id)
            .limit(1)
        )
        return _provider(row) if row is not None else None

    def add(self, provider: DirectoryProvider, *, by: str, at: datetime) -> DirectoryProvider:
        row = ProviderRow(**_columns(provider), updated_at=at, updated_by=by)
        self._session.add(row)
        self._session.flush()
        return _provider(row)

    def add_many(
        self, providers: Sequence[DirectoryProvider], *, by: str, at: datetime
    ) -> builtins.list[DirectoryProvider]:
        return [self.add(provider, by=by, at=at) for provider in providers]

    def replace(
        self, key: int, provider: DirectoryProvider, *, by: str, at: datetime
    ) -> DirectoryProvider:
        row = self._session.get(ProviderRow, key)
        assert row is not None
        for name, value in _columns(provider).items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = at, by
        self._session.flush()
        return _provider(row)
