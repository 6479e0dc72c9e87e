"""`marrowpath db upgrade|backup`: schema and copies, without signing in."""

from __future__ import annotations

from pathlib import Path

from marrowpath.cli.parser import Subparsers, add_action, add_actions, add_command
from marrowpath.cli.session import EXIT_OK, Session


def register(subparsers: Subparsers) -> None:
    actions = add_actions(add_command(subparsers, "db", "database administration"), "db")
    upgrade = add_action(actions, "upgrade", "create or migrate the schema")
    upgrade.add_argument(
        "--app-role",
        metavar="NAME",
        help="PostgreSQL: the role the workstations connect as, created if missing and "
        "given SELECT and INSERT only on issued versions and audit events (run as the owner)",
    )
    upgrade.set_defaults(handler=upgrade_schema)
    backup = add_action(
        actions, "backup", "write a consistent copy of a SQLite database while it is in use"
    )
    backup.add_argument("file", metavar="FILE")
    backup.set_defaults(handler=backup_copy)


def upgrade_schema(s: Session) -> int:
    from marrowpath.bootstrap import upgrade_database

    done = upgrade_database(s.args.db, app_role=s.args.app_role)
    s.print(f"{done.label}: schema is up to date")
    if done.app_role is not None:
        how = "created" if done.app_role.created else "granted"
        s.print(
            f"application role {done.app_role.name} {how}: issued versions and audit events "
            "may be read and added, never changed or deleted"
        )
    return EXIT_OK


def backup_copy(s: Session) -> int:
    from marrowpath.bootstrap import backup_database

    target = backup_database(s.args.db, Path(s.args.file))
    s.print(f"backup written to {target}")
    return EXIT_OK
