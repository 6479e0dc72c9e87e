"""`marrowpath user add|list|unlock|deactivate|activate|reset-password`."""

from __future__ import annotations

from marrowpath.cli.parser import (
    Subparsers,
    UsageError,
    add_action,
    add_actions,
    add_command,
    listed_only,
)
from marrowpath.cli.session import EXIT_OK, Handler, Session


def register(subparsers: Subparsers) -> None:
    command = add_command(subparsers, "user", "users and roles")
    if listed_only(command):
        return
    from marrowpath.domain.users import PASSWORD_RULE, Role

    actions = add_actions(command, "user")
    add = add_action(
        actions,
        "add",
        "add a user (password read from stdin)",
        description="Add a user. The first user of an empty database is added without "
        "--user and its password is the first stdin line; later users are added by an admin "
        f"(first line: the admin's password, second: the new user's). A password has "
        f"{PASSWORD_RULE}.",
    )
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--full-name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--credentials")
    add.set_defaults(handler=add_user)
    add_action(actions, "list", "list users (admins)").set_defaults(handler=list_users)
    for action, help_text in (
        ("unlock", "lift a lockout before it ends (session.lockout_minutes)"),
        ("deactivate", "deactivate an account"),
        ("activate", "reactivate an account"),
        (
            "reset-password",
            "set a new password (second stdin line; the password rule of `user add --help`)",
        ),
    ):
        change = add_action(actions, action, help_text)
        change.add_argument("username", metavar="USERNAME")
        change.set_defaults(handler=_change_user(action))


def add_user(s: Session) -> int:
    args = s.args
    from marrowpath.domain.users import Role

    role = Role(args.role)
    auth = s.app.auth
    if auth.needs_first_user():
        if not args.password_stdin:
            raise UsageError(
                "marrowpath user add: give --password-stdin and the new user's password "
                "on standard input"
            )
        auth.add_first_user(
            args.username,
            full_name=args.full_name,
            role=role,
            password=s.password_line(0),
            credentials=args.credentials,
        )
    else:
        actor = s.user()
        auth.add_user(
            actor,
            args.username,
            full_name=args.full_name,
            role=role,
            password=s.password_line(1),
            credentials=args.credentials,
        )
    s.print(f"added {args.username} ({role.value})")
    return EXIT_OK


def list_users(s: Session) -> int:
    actor = s.user()
    now = s.app.context.clock.now()
    for user in s.app.auth.list_users(actor):
        locked = user.is_locked(now)
        state = "locked" if locked else ("inactive" if not user.active else "active")
        s.print(
            f"{user.username}\t{user.role.value}\t{user.full_name}\t"
            f"{user.credentials or ''}\t{state}"
        )
    return EXIT_OK


def _change_user(action: str) -> Handler:
    """The handler of one account action; they differ only in the service call."""

    def handler(s: Session) -> int:
        actor = s.user()
        auth = s.app.auth
        if action == "unlock":
            auth.unlock(actor, s.args.username)
        elif action == "deactivate":
            auth.set_active(actor, s.args.username, False)
        elif action == "activate":
            auth.set_active(actor, s.args.username, True)
        else:
            auth.reset_password(actor, s.args.username, s.password_line(1))
        s.print(f"{s.args.username}: {action} done")
        return EXIT_OK

    return handler
