"""The building blocks every command group's `register(subparsers)` uses.

Kept apart from the handlers so that building the whole parser (for `--help`, or to
find the one handler to run) imports nothing but `argparse`.
"""

from __future__ import annotations

import argparse
import functools
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

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


class Chosen(Exception):
    """The words name a command that was listed but not built (`Commands`): build that
    one and parse again."""

    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command


class _Unbuilt(Parser):
    """A command as `marrowpath --help` needs it: a name and a line of help, nothing
    else. Building all 60 commands and actions with their arguments cost more than the
    rest of `--help` (argparse sets up each parser, and looks up translations for its
    words); only the command the words name is built (`Commands`). Everything a group's
    `register` does to a command is accepted and dropped; parsing it raises `Chosen`."""

    def __init__(self, **kwargs: object) -> None:  # deliberately not argparse's set-up
        self.prog = str(kwargs.get("prog"))
        self.command = self.prog.rsplit(" ", 1)[-1]  # set by `Commands` for a command

    def add_argument(self, *args: object, **kwargs: object) -> argparse.Action:
        return argparse.Action(option_strings=[], dest=argparse.SUPPRESS)

    def set_defaults(self, **kwargs: object) -> None:
        pass

    def add_mutually_exclusive_group(self, **kwargs: Any) -> Any:
        return self  # what is added to the group is dropped like the rest

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        return self

    def add_subparsers(self, **kwargs: object) -> Subparsers:  # type: ignore[override]
        return argparse._SubParsersAction(option_strings=[], prog=self.prog, parser_class=_Unbuilt)

    def parse_known_args(self, args: object = None, namespace: object = None) -> NoReturn:
        raise Chosen(self.command)

    def _parse_known_args(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise Chosen(self.command)  # whichever entry a Python version's argparse calls

    def _parse_known_args2(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise Chosen(self.command)


if TYPE_CHECKING:
    from datetime import date

    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    _SubParsers = argparse._SubParsersAction


def date_argument(text: str) -> date:
    """A `--from`/`--to` date as argparse reads it: YYYY-MM-DD, else the usage error."""
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a date written YYYY-MM-DD, got {text!r}"
        ) from None


def listed_only(command: argparse.ArgumentParser) -> bool:
    """Whether `command` is only listed (for `--help`, or because another command runs).
    A group's `register` may stop there, before importing what its arguments need from
    the domain (choices, wording), so that `--help` imports no domain module."""
    return isinstance(command, _Unbuilt)


class Commands(_SubParsers):
    """The top-level commands, built lazily: with `only` set to a command's name, every
    other command is listed (for `--help` and the "invalid choice" message) but left
    unbuilt; with `only` None, all are built (tests walk every command's help)."""

    only: str | None = None

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if self.only is None or name == self.only:
            return super().add_parser(name, **kwargs)
        kwargs.pop("parents", None)
        built, self._parser_class = self._parser_class, _Unbuilt
        try:
            listed = super().add_parser(name, **kwargs)
        finally:
            self._parser_class = built
        assert isinstance(listed, _Unbuilt)
        listed.command = name  # what `Chosen` names: the command, whatever its prog
        return listed


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


@functools.cache
def _common() -> Parser:
    """The parent parser that lets the global options follow a command's own words.

    One for the whole parser: argparse copies a parent's actions into each child and
    never changes the parent, and making it anew for each of some 60 commands and
    actions was half the time of building the parser (each costs a parser's set-up)."""
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
