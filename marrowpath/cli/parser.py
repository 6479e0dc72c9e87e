"""The building blocks every command group's `register(subparsers)` uses.

Kept apart from the handlers so that building the whole parser (for `--help`, or to
find the one handler to run) imports nothing but `argparse`.
"""

from __future__ import annotations

import argparse
from typing import NoReturn, TypeAlias

# What `add_subparsers` returns: where a group adds its commands (argparse names the
# class privately; typeshed types it).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """Wrong words on the command line: exit 2."""


class Parser(argparse.ArgumentParser):
    """An argparse parser that raises `UsageError` instead of exiting, so that `main`
    prints one line and returns 2 (and tests can call `main` in-process)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """`--db`, `--user` and `--password-stdin`: before the command, or (suppressed, so
    the value given before is kept) after it."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--db",
        default=default,
        metavar="URL",
        help="SQLAlchemy URL or SQLite file path (default: MARROWPATH_DB, "
        "else the embedded database)",
    )
    parser.add_argument(
        "--user",
        default=default,
        metavar="USERNAME",
        help="act as this user (with --password-stdin); 5 wrong passwords in a row lock "
        "the account for session.lockout_minutes (default 15) or until an admin unlocks it",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="read the password from the first line of standard input",
    )


def _common() -> Parser:
    """The parent parser that lets the global options follow a command's own words."""
    common = Parser(add_help=False)
    global_options(common, suppress=True)
    return common


def add_command(subparsers: Subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    """A top-level command (`marrowpath NAME ...`); its help is also its description."""
    return subparsers.add_parser(name, help=help_text, description=help_text, parents=[_common()])


def add_actions(command: argparse.ArgumentParser, name: str) -> Subparsers:
    """The actions of the command group `name` (`marrowpath lab set|show`): one is
    required, stored as `<name>_command`."""
    return command.add_subparsers(
        dest=f"{name}_command",
        metavar="ACTION",
        required=True,
        parser_class=Parser,
    )


def add_action(
    actions: Subparsers, name: str, help_text: str, description: str | None = None
) -> argparse.ArgumentParser:
    """One action of a command group (`marrowpath lab show`)."""
    return actions.add_parser(name, help=help_text, description=description, parents=[_common()])
