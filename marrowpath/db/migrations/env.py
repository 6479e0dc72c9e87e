"""Alembic environment: runs inside the application over a connection it is given."""

from __future__ import annotations

from alembic import context

from marrowpath.db.migrate import for_dialect
from marrowpath.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the API runs migrations
    raise RuntimeError("MarrowPath migrations run through marrowpath.db.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
    include_object=for_dialect(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
