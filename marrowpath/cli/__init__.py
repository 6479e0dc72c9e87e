"""The `marrowpath` command (`cli.md`): laboratory IT, scripts, batch printing, migration.

Every command calls the same services as the desktop app. A refusal prints one line on
stderr and exits 1; a usage error exits 2; a traceback never reaches the user.

The parser is assembled from one module per command group (`gui`, `database`, `lab`,
`users`, `cases`, `communicate`, `report`, `export`, `search`, `patients`, `templates`, `providers`, `quality`, `audit`, `interfaces`, `demo`); each
exposes `register(subparsers)`, which adds its commands and stores each one's handler
with `set_defaults(handler=...)`. A handler takes the `Session` and returns the exit
status. Those modules import only `argparse` at the top, so that `marrowpath --help`
stays quick: it lists every command but builds none (`parser.Commands`; a `register`
that needs the domain for choices or wording returns early when `listed_only` says its
command is only listed, and imports it after); the domain, services, SQLAlchemy,
ReportLab, HL7 and Qt are imported inside the handler that needs them (the services
through `Session.app`).

Adding a command group: write `cli/<group>.py` with `register(subparsers)` (use
`parser.add_command`, and `add_actions`/`add_action` for `marrowpath <group> ACTION`),
its handlers typed against the real services, then add the module to `GROUPS` below, at
the place where its commands should appear in `marrowpath --help`. Nothing else changes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

from marrowpath import __version__
from marrowpath.cli import (
    audit,
    cases,
    communicate,
    database,
    demo,
    export,
    gui,
    interfaces,
    lab,
    patients,
    providers,
    quality,
    report,
    search,
    templates,
    users,
)
from marrowpath.cli.parser import Chosen, Commands, Parser, UsageError, global_options
from marrowpath.cli.session import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Handler, Session

if TYPE_CHECKING:
    from marrowpath.services.ports import PasswordHasher

# In the order `marrowpath --help` lists their commands.
GROUPS = (
    gui,
    database,
    lab,
    users,
    cases,
    communicate,
    report,
    export,
    search,
    patients,
    templates,
    providers,
    quality,
    audit,
    interfaces,
    demo,
)

__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "Session", "UsageError", "main", "run"]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with `only`, just that command is built and the others are only
    listed (`parser.Commands`): `main` parses with `only=""` (nothing built, enough for
    `--help`, `--version` and the desktop app), then builds the command the words name."""
    parser = Parser(
        prog="marrowpath",
        description="Bone marrow reporting for hematopathology "
        "laboratories. Without a command, the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"marrowpath {__version__}")
    global_options(parser, suppress=False)
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=Parser, action=Commands
    )
    assert isinstance(subparsers, Commands)
    subparsers.only = only
    for group in GROUPS:
        group.register(subparsers)
    return parser


def command_name(args: argparse.Namespace) -> str:
    """`lab show`, `search`, `gui`: how the command is named in the fault log."""
    command = args.command or "gui"
    action = getattr(args, f"{command}_command", None)
    return f"{command} {action}" if action else str(command)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    hasher: PasswordHasher | None = None,
    log_faults: bool = False,
) -> int:
    """Run one command; returns the exit status (the console script exits with it).

    Args:
        hasher: the password hasher, for tests only (a cheap one); the console script
            passes none, so production always hashes at full cost.
        log_faults: set up the fault log (`marrowpath.logs`) once the words are
            understood: the console script does, tests do not; `--help`, `--version`
            and usage errors never need it.
    """
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        with contextlib.redirect_stdout(stdout):  # --help and --version print to stdout
            words = list(sys.argv[1:] if argv is None else argv)
            try:
                args = build_parser(only="").parse_args(words)
            except Chosen as chosen:
                args = build_parser(only=chosen.command).parse_args(words)
    except UsageError as error:
        print(error, file=stderr)
        return EXIT_USAGE
    except SystemExit as done:  # argparse exits after --help and --version
        return done.code if isinstance(done.code, int) else EXIT_OK
    handler: Handler = getattr(args, "handler", gui.start)  # no command: the desktop app
    if log_faults:
        _log_faults(stderr)
    from marrowpath.domain.errors import Refused  # after the words: --help needs no domain

    session = Session(args, stdin, stdout, stderr, hasher)
    try:
        return handler(session)
    except UsageError as error:
        print(error, file=stderr)
        return EXIT_USAGE
    except Refused as refusal:
        print(refusal, file=stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("marrowpath: interrupted", file=stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # a bug or an unexpected fault: one line, never a traceback
        if os.environ.get("MARROWPATH_DEBUG") == "1":
            raise
        from marrowpath import logs
        from marrowpath.loggers import logger

        logger("marrowpath.cli").exception("`%s` failed", command_name(args))
        log_file = logs.log_file()
        where = (
            f"details were saved to {log_file}"
            if log_file is not None
            else "set MARROWPATH_DEBUG=1 for details"
        )
        print(
            f"marrowpath: unexpected error ({type(error).__name__}: {error}); {where}",
            file=stderr,
        )
        return EXIT_REFUSED
    finally:
        session.close()


def _log_faults(stderr: TextIO) -> None:
    from marrowpath import logs

    try:
        logs.setup()
        logs.install_excepthooks()
    except OSError as error:  # no writable log folder: the program still works
        print(f"marrowpath: faults cannot be logged ({error.strerror or error})", file=stderr)


def run() -> NoReturn:
    """Console-script entry point: faults go to the log file (`marrowpath.logs`)."""
    sys.exit(main(log_faults=True))
