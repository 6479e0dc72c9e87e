"""`marrowpath demo [--cases N]`: demo users, the lab, showcase cases, generated cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marrowpath.cli.parser import Subparsers, add_command

if TYPE_CHECKING:
    from marrowpath.cli.session import Session


def register(subparsers: Subparsers) -> None:
    demo = add_command(
        subparsers,
        "demo",
        "fill the database with realistic demo data (users, lab, showcase cases) when it has "
        "no users; on a database with users it never signs in or changes users and only adds "
        "--cases",
    )
    demo.add_argument(
        "--cases",
        type=int,
        default=None,
        metavar="N",
        help="add N generated cases for performance work",
    )
    demo.set_defaults(handler=fill)


def fill(s: Session) -> int:
    return run_demo(s, s.args.cases)


def run_demo(s: Session, generated: int | None) -> int:
    from rich.progress import Progress

    from marrowpath.demo.people import DEMO_USERS

    app = s.app
    today = app.context.clock.today()
    users, empty = app.demo.ensure_users_and_lab()
    providers = app.demo.load_providers(users)
    s.print(f"demo: {providers} providers added to the directory")
    # the showcase signs cases with the demo passwords: only in the database just filled
    showcase = app.demo.load_showcase(users, today) if empty else 0
    s.print(f"demo: {showcase} showcase cases added")
    if empty:
        s.print(f"demo: {app.demo.load_templates(users)} text templates added")
    if generated:
        from rich.console import Console

        with Progress(console=Console(file=s.err)) as progress:
            task = progress.add_task("Generating cases", total=generated)
            added = app.demo.load_bulk(
                users, generated, today, progress=lambda done: progress.update(task, completed=done)
            )
        s.print(f"demo: {added} generated cases added")
    for spec in DEMO_USERS:
        s.print(f"user\t{spec['username']}\t{spec['role']}\tpassword: {spec['password']}")
    return 0
