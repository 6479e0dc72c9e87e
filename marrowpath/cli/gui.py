"""`marrowpath gui` (and `marrowpath` without a command): the desktop app."""

from __future__ import annotations

from marrowpath.cli.parser import Subparsers, add_command
from marrowpath.cli.session import Session


def register(subparsers: Subparsers) -> None:
    add_command(subparsers, "gui", "start the desktop app").set_defaults(handler=start)


def start(s: Session) -> int:
    """Qt and the desktop app are imported here only: no other command pays for them."""
    from marrowpath.launcher import launch_gui

    return launch_gui(s.args.db)
