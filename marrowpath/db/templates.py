"""The lab's text templates in the database: read whole, replaced by name."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marrowpath.db.models import TextTemplateRow

# The templates' rules read the document models (placeholders, drafts); every unit of
# work builds this repository, and most never read a template.
if TYPE_CHECKING:
    from marrowpath.domain.text_templates import TextTemplate


def _template(row: TextTemplateRow) -> TextTemplate:
    from marrowpath.domain.text_templates import TextTemplate

    return TextTemplate(row.name, row.abbreviation, tuple(row.targets), row.text)


class SqlTemplateRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def list(self) -> list[TextTemplate]:
        """Every template, by name."""
        rows = self._session.scalars(select(TextTemplateRow).order_by(TextTemplateRow.name))
        return [_template(row) for row in rows]

    def get(self, name: str) -> TextTemplate | None:
        row = self._row(name)
        return _template(row) if row is not None else None

    def save(self, template: TextTemplate, *, by: str, at: datetime) -> None:
        """Add the template, or replace the one of the same name."""
        row = self._row(template.name)
        if row is None:
            row = TextTemplateRow(name=template.name)
            self._session.add(row)
        row.abbreviation = template.abbreviation
        row.targets = list(template.targets)
        row.text = template.text
        row.updated_by = by
        row.updated_at = at
        self._session.flush()

    def delete(self, name: str) -> bool:
        """Remove a template; False when there was none of that name."""
        deleted = self._session.execute(delete(TextTemplateRow).where(TextTemplateRow.name == name))
        self._session.flush()
        return bool(getattr(deleted, "rowcount", 0))

    def _row(self, name: str) -> TextTemplateRow | None:
        return self._session.scalar(
            select(TextTemplateRow).where(TextTemplateRow.name == name).with_for_update()
        )
