"""The `marrowpath` command (`cli.md`): laboratory IT, scripts, batch printing, migration.

Every command calls the same services as the desktop app. A refusal prints one line on
stderr and exits 1; a usage error exits 2; a traceback never reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TextIO

from marrowpath import __version__, logs
from marrowpath.cli import interfaces, patients
from marrowpath.domain.errors import Refused
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.redline import ChangeRow
from marrowpath.domain.settings import SETTING_KEYS, settings_lines
from marrowpath.domain.users import PASSWORD_RULE, Role, User

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

# Commands that do not act as a signed-in user (cli.md).
NO_USER_COMMANDS = {"gui", "demo", "db", None}


class UsageError(Exception):
    """Wrong words on the command line: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="marrowpath",
        description="Bone marrow reporting for hematopathology "
        "laboratories. Without a command, the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"marrowpath {__version__}")
    _global_options(parser, suppress=False)
    common = _Parser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common])

    command("gui", "start the desktop app")

    db = command("db", "database administration")
    db_sub = db.add_subparsers(
        dest="db_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    upgrade = db_sub.add_parser("upgrade", help="create or migrate the schema", parents=[common])
    upgrade.add_argument(
        "--app-role",
        metavar="NAME",
        help="PostgreSQL: the role the workstations connect as, created if missing and "
        "given SELECT and INSERT only on issued versions and audit events (run as the owner)",
    )
    backup = db_sub.add_parser(
        "backup",
        help="write a consistent copy of a SQLite database while it is in use",
        parents=[common],
    )
    backup.add_argument("file", metavar="FILE")

    lab = command("lab", "the laboratory identity printed on every report")
    lab_sub = lab.add_subparsers(
        dest="lab_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    lab_set = lab_sub.add_parser("set", help="update identity fields", parents=[common])
    for option, help_text in (
        ("--name", "laboratory name"),
        ("--address", "postal address"),
        ("--clia-id", "CLIA number"),
        ("--director", "medical director"),
        ("--phone", "telephone number"),
    ):
        lab_set.add_argument(option, help=help_text)
    lab_sub.add_parser("show", help="print the identity", parents=[common])

    settings = command("settings", "lab rules: intervals, M:E rule, cellularity rule, ...")
    settings_sub = settings.add_subparsers(
        dest="settings_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    settings_sub.add_parser("show", help="print every setting", parents=[common])
    settings_set = settings_sub.add_parser("set", help="change one setting", parents=[common])
    settings_set.add_argument("key", metavar="KEY", help=", ".join(SETTING_KEYS))
    settings_set.add_argument("value", metavar="VALUE")

    user = command("user", "users and roles")
    user_sub = user.add_subparsers(
        dest="user_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    user_add = user_sub.add_parser(
        "add",
        help="add a user (password read from stdin)",
        description="Add a user. The first user of an empty database is added without "
        "--user and its password is the first stdin line; later users are added by an admin "
        f"(first line: the admin's password, second: the new user's). A password has "
        f"{PASSWORD_RULE}.",
        parents=[common],
    )
    user_add.add_argument("username", metavar="USERNAME")
    user_add.add_argument("--full-name", required=True)
    user_add.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_add.add_argument("--credentials")
    user_sub.add_parser("list", help="list users (admins)", parents=[common])
    for action, help_text in (
        ("unlock", "lift a lockout before it ends (session.lockout_minutes)"),
        ("deactivate", "deactivate an account"),
        ("activate", "reactivate an account"),
        (
            "reset-password",
            "set a new password (second stdin line; the password rule of `user add --help`)",
        ),
    ):
        p = user_sub.add_parser(action, help=help_text, parents=[common])
        p.add_argument("username", metavar="USERNAME")

    imp = command("import", "import marrowpath.case/1 files as drafts")
    imp.add_argument("files", nargs="+", metavar="FILE")

    sign = command("sign", "issue a preliminary or final report version")
    sign.add_argument("accession", metavar="ACCESSION")
    sign.add_argument("--preliminary", action="store_true")

    amend = command("amend", "issue an amendment with the findings in FILE")
    amend.add_argument("accession", metavar="ACCESSION")
    amend.add_argument("file", metavar="FILE")
    amend.add_argument(
        "--reason-category",
        required=True,
        help="misidentification, specimen_problem, interpretation_change, report_defect or other",
    )
    amend.add_argument("--reason", required=True)

    compare = command("compare", "the changes between two issued versions (label, was, now)")
    compare.add_argument("accession", metavar="ACCESSION")
    compare.add_argument("first", type=int, metavar="V1")
    compare.add_argument("second", type=int, metavar="V2")

    addendum = command("addendum", "issue an addendum")
    addendum.add_argument("accession", metavar="ACCESSION")
    addendum.add_argument("--text", required=True)
    addendum.add_argument(
        "--ancillary", metavar="FILE", help="JSON list of ancillary items replacing pending studies"
    )

    withdraw = command("withdraw", "mark an issued report entered in error")
    withdraw.add_argument("accession", metavar="ACCESSION")
    withdraw.add_argument("--reason", required=True)

    cancel = command("cancel", "cancel a draft or preliminary case")
    cancel.add_argument("accession", metavar="ACCESSION")
    cancel.add_argument("--reason", required=True)

    report = command("report", "write the PDF report")
    report.add_argument("accession", metavar="ACCESSION", nargs="?")
    report.add_argument("-o", "--output", metavar="FILE.pdf")
    report.add_argument("--version", type=int, dest="version_number", metavar="N")
    report.add_argument("--patient-summary", action="store_true")
    report.add_argument("--all", action="store_true", help="every issued case")
    report.add_argument("--out-dir", metavar="DIR")
    report.add_argument("--jobs", type=int, default=1, metavar="N")

    export = command("export", "export a case (json, hl7, fhir) or all cases (csv)")
    export.add_argument("accession", metavar="ACCESSION", nargs="?")
    export.add_argument("--format", required=True, choices=["json", "hl7", "fhir", "csv"])
    export.add_argument("--version", type=int, dest="version_number", metavar="N")
    export.add_argument("-o", "--output", metavar="FILE")
    export.add_argument("--all", action="store_true")
    export.add_argument("--deidentify", action="store_true")

    search = command("search", "find cases; one tab-separated line each")
    search.add_argument("text", nargs="*", metavar="TEXT")
    search.add_argument("--status", choices=[s.value for s in Status])
    search.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
    search.add_argument("--to", dest="date_to", type=_date, metavar="DATE")
    search.add_argument("--limit", type=int, metavar="N")

    audit = command("audit", "the audit trail")
    audit_sub = audit.add_subparsers(
        dest="audit_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    audit_sub.add_parser(
        "verify", help="check the hash chain and every version's hash", parents=[common]
    )

    send = command("send", "deliver the HL7 result over MLLP now and check the ACK")
    send.add_argument("accession", metavar="ACCESSION")
    send_to = send.add_mutually_exclusive_group(required=True)
    send_to.add_argument("--to", metavar="NAME", help="a configured destination")
    send_to.add_argument(
        "--mllp",
        metavar="HOST:PORT",
        help="an ad-hoc address (admins); it receives this message only, never later versions",
    )

    outbox = command("outbox", "list queued, sent and failed deliveries; retry failed ones")
    outbox.add_argument("--retry", action="store_true", help="queue failed ones again, send now")
    outbox.add_argument("--status", choices=["queued", "sending", "sent", "failed", "superseded"])
    outbox.add_argument("--accession", metavar="ACCESSION")
    outbox.add_argument("--limit", type=int, metavar="N")

    listen = command(
        "listen",
        "receive HL7 order messages over MLLP and create draft cases; at most 16 "
        "connections (more wait), 10 MB a message (larger ones are answered AR), a "
        "connection idle for 60 s is closed",
    )
    listen.add_argument(
        "--mllp", required=True, type=int, metavar="PORT", help="the TCP port to listen on"
    )
    listen.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0: all)",
    )
    listen.add_argument("--host", dest="bind", help=argparse.SUPPRESS)  # the former name
    listen.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="accept only senders in this range, e.g. 10.20.0.0/16 (repeatable; others "
        "are closed and audited)",
    )
    listen.add_argument("--count", type=int, metavar="N", help="stop after N messages")
    listen.add_argument(
        "--deliver-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="also deliver the outbox this often (0: never; default 30)",
    )

    destination = command("destination", "systems that receive every issued report (MLLP)")
    destination_sub = destination.add_subparsers(
        dest="destination_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    destination_add = destination_sub.add_parser(
        "add", help="add or replace a destination", parents=[common]
    )
    destination_add.add_argument("name", metavar="NAME")
    destination_add.add_argument("--mllp", required=True, metavar="HOST:PORT")
    destination_add.add_argument(
        "--receives",
        choices=["all", "final"],
        default="all",
        help="all: preliminary reports too; final: final reports and later changes",
    )
    destination_add.add_argument("--application", help="MSH-5 receiving application")
    destination_add.add_argument("--facility", help="MSH-6 receiving facility")
    destination_remove = destination_sub.add_parser(
        "remove", help="stop sending to a destination", parents=[common]
    )
    destination_remove.add_argument("name", metavar="NAME")
    destination_sub.add_parser("list", help="list destinations", parents=[common])

    patients.register(sub, parents=[common])

    demo = command(
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
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a date written YYYY-MM-DD, got {text!r}"
        ) from None


class Session:
    """One command's run: the parsed arguments, the services, stdin and output streams."""

    def __init__(
        self,
        args: argparse.Namespace,
        stdin: TextIO,
        stdout: TextIO,
        stderr: TextIO,
        hasher: Any = None,
    ) -> None:
        self.args = args
        self._hasher = hasher
        self._stdin_lines: list[str] | None = None
        self._stdin = stdin
        self.out = stdout
        self.err = stderr
        self._app: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:
            from marrowpath.bootstrap import build

            self._app = build(self.args.db, hasher=self._hasher)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()

    def password_line(self, index: int) -> str:
        if self._stdin_lines is None:
            self._stdin_lines = [line.rstrip("\r\n") for line in self._stdin.readlines()[:2]]
        if index >= len(self._stdin_lines):
            raise UsageError(
                f"marrowpath: expected a password on standard input (line {index + 1})"
            )
        return self._stdin_lines[index]

    def password(self) -> str:
        if not getattr(self.args, "password_stdin", False):
            raise UsageError("marrowpath: give --password-stdin and the password on standard input")
        return self.password_line(0)

    def user(self) -> User:
        if not self.args.user:
            raise UsageError(
                f"marrowpath: `{self.args.command}` acts as a user: give --user "
                "USERNAME --password-stdin"
            )
        user: User = self.app.auth.sign_in(self.args.user, self.password())
        return user

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


Handler = Callable[[Session], int]


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    hasher: Any = None,
) -> int:
    """Run one command; returns the exit status (the console script exits with it).

    Args:
        hasher: the password hasher, for tests only (a cheap one); the console script
            passes none, so production always hashes at full cost.
    """
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        with contextlib.redirect_stdout(stdout):  # --help and --version print to stdout
            args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except UsageError as error:
        print(error, file=stderr)
        return EXIT_USAGE
    except SystemExit as done:  # argparse exits after --help and --version
        return done.code if isinstance(done.code, int) else EXIT_OK
    session = Session(args, stdin, stdout, stderr, hasher)
    try:
        return HANDLERS[_handler_key(args)](session)
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
        logging.getLogger("marrowpath.cli").exception("`%s` failed", _handler_key(args))
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


def _handler_key(args: argparse.Namespace) -> str:
    command = args.command or "gui"
    for sub in (
        "db_command",
        "lab_command",
        "settings_command",
        "user_command",
        "audit_command",
        "destination_command",
        "patient_command",
    ):
        if getattr(args, sub, None):
            return f"{command} {getattr(args, sub)}"
    return str(command)


# ---------------------------------------------------------------------- handlers


def _gui(s: Session) -> int:
    from marrowpath.launcher import launch_gui

    return launch_gui(s.args.db)


def _db_upgrade(s: Session) -> int:
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


def _db_backup(s: Session) -> int:
    from marrowpath.bootstrap import backup_database

    target = backup_database(s.args.db, Path(s.args.file))
    s.print(f"backup written to {target}")
    return EXIT_OK


def _lab_set(s: Session) -> int:
    actor = s.user()
    fields = {
        "name": s.args.name,
        "address": s.args.address,
        "clia_id": s.args.clia_id,
        "director": s.args.director,
        "phone": s.args.phone,
    }
    if all(value is None for value in fields.values()):
        raise UsageError(
            "marrowpath lab set: give at least one of --name, --address, "
            "--clia-id, --director, --phone"
        )
    identity = s.app.lab.set_identity(actor, **fields)
    for key, value in identity.model_dump().items():
        s.print(f"lab.{key}\t{value}")
    return EXIT_OK


def _lab_show(s: Session) -> int:
    s.user()
    for key, value in s.app.lab.settings().identity.model_dump().items():
        s.print(f"lab.{key}\t{value}")
    return EXIT_OK


def _settings_show(s: Session) -> int:
    s.user()
    for line in settings_lines(s.app.lab.settings()):
        s.print(line)
    return EXIT_OK


def _settings_set(s: Session) -> int:
    actor = s.user()
    settings = s.app.lab.set(actor, s.args.key, s.args.value)
    for line in settings_lines(settings):
        if line.split("\t")[0] == s.args.key:
            s.print(line)
    return EXIT_OK


def _user_add(s: Session) -> int:
    args = s.args
    role = Role(args.role)
    if s.app.auth.needs_first_user():
        password = s.password_line(0) if args.password_stdin else _prompt_first_password(s)
        s.app.auth.add_first_user(
            args.username,
            full_name=args.full_name,
            role=role,
            password=password,
            credentials=args.credentials,
        )
    else:
        actor = s.user()
        s.app.auth.add_user(
            actor,
            args.username,
            full_name=args.full_name,
            role=role,
            password=s.password_line(1),
            credentials=args.credentials,
        )
    s.print(f"added {args.username} ({role.value})")
    return EXIT_OK


def _prompt_first_password(s: Session) -> str:
    raise UsageError(
        "marrowpath user add: give --password-stdin and the new user's password on standard input"
    )


def _user_list(s: Session) -> int:
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


def _user_change(action: str) -> Handler:
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


def _import(s: Session) -> int:
    actor = s.user()
    refused = 0
    for name in s.args.files:
        hl7 = interfaces.read_if_hl7(Path(name))
        if hl7 is not None:  # an HL7 v2 order file (starts with MSH|)
            accessions, bad = interfaces.import_orders(s, actor, name, hl7)
            refused += bad
            for accession in accessions:
                s.print(accession)
            continue
        try:
            data = _read_audited(s, actor, Path(name), "import")
            accession, _created = s.app.cases.import_case(actor, data)
        except Refused as refusal:
            refused += 1
            print(f"{name}: {refusal}", file=s.err, flush=True)
            continue
        s.print(accession)
        for flag in _identity_flags(data):  # imported, but a person should look at it
            print(f"{name}: {accession}: advisory: {flag.message}", file=s.err, flush=True)
    return EXIT_REFUSED if refused else EXIT_OK


def _identity_flags(data: Any) -> list[Any]:
    from marrowpath.domain.flags import name_flags

    patient = data.get("patient") if isinstance(data, dict) else None
    if not isinstance(patient, dict):
        return []
    return name_flags(patient.get("family_name"), patient.get("given_names"))


def _read_audited(
    s: Session, actor: User, path: Path, action: str, accession: str | None = None
) -> Any:
    """`_read_case_file`, with a refused file recorded in the audit trail like any refusal."""
    try:
        return _read_case_file(path)
    except Refused as refusal:
        s.app.context.record_refusal(actor.username, action, f"{path}: {refusal}", accession)
        raise


def _read_case_file(path: Path) -> Any:
    from marrowpath.domain.errors import InvalidCase, Problem
    from marrowpath.domain.validation import NESTING_RULE, accession_of, nesting_too_deep

    try:
        raw = path.read_bytes()
    except OSError as error:
        raise Refused(f"cannot be read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidCase(
            None, [Problem("", f"is not UTF-8 text (byte {error.start} cannot be read)")]
        ) from None
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except RecursionError:  # thousands of nested brackets: refused like any bad file
        raise InvalidCase(None, [Problem("", NESTING_RULE)]) from None
    except ValueError as error:
        raise InvalidCase(None, [Problem("", f"is not valid JSON ({error})")]) from None
    if nesting_too_deep(data):
        raise InvalidCase(accession_of(data), [Problem("", NESTING_RULE)])
    return data


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not allowed in JSON")


def _sign(s: Session) -> int:
    actor = s.user()
    version = s.app.cases.sign(
        actor, s.args.accession, s.password(), preliminary=s.args.preliminary
    )
    s.print(f"{s.args.accession}\tversion {version.number}\t{version.kind.value}\t{version.sha256}")
    return EXIT_OK


def _amend(s: Session) -> int:
    actor = s.user()
    data = _read_audited(s, actor, Path(s.args.file), "amend", s.args.accession)
    version = s.app.cases.amend(
        actor,
        s.args.accession,
        data,
        s.password(),
        reason_category=s.args.reason_category,
        reason=s.args.reason,
    )
    s.print(f"{s.args.accession}\tversion {version.number}\tamendment\t{version.sha256}")
    _print_changes(s, version.content.changes or ())
    return EXIT_OK


def _compare(s: Session) -> int:
    args = s.args
    rows = s.app.cases.compare(s.user(), args.accession, args.first, args.second)
    _print_changes(s, rows)
    return EXIT_OK


def _print_changes(s: Session, rows: Sequence[ChangeRow]) -> None:
    """The changes table, one row a line: label, was, now, tab-separated (tabs and line
    breaks inside a value become spaces, so a row stays one line)."""
    for row in rows:
        s.print("\t".join(" ".join(cell.split()) for cell in (row.label, row.was, row.now)))


def _addendum(s: Session) -> int:
    actor = s.user()
    ancillary = (
        _read_audited(s, actor, Path(s.args.ancillary), "addendum", s.args.accession)
        if s.args.ancillary
        else None
    )
    version = s.app.cases.addendum(
        actor, s.args.accession, s.password(), text=s.args.text, ancillary=ancillary
    )
    s.print(f"{s.args.accession}\tversion {version.number}\taddendum\t{version.sha256}")
    return EXIT_OK


def _withdraw(s: Session) -> int:
    actor = s.user()
    version = s.app.cases.withdraw(actor, s.args.accession, s.password(), reason=s.args.reason)
    s.print(f"{s.args.accession}\tversion {version.number}\twithdrawal\t{version.sha256}")
    return EXIT_OK


def _cancel(s: Session) -> int:
    actor = s.user()
    s.app.cases.cancel(actor, s.args.accession, reason=s.args.reason)
    s.print(f"{s.args.accession}\tcancelled")
    return EXIT_OK


def _report(s: Session) -> int:
    from marrowpath.cli.report import report_all, report_one

    args = s.args
    if args.all:
        if not args.out_dir or args.accession:
            raise UsageError("marrowpath report --all: give --out-dir DIR and no ACCESSION")
        return report_all(s, s.user(), Path(args.out_dir), max(1, args.jobs))
    if not args.accession or not args.output:
        raise UsageError(
            "marrowpath report: give ACCESSION and -o FILE.pdf (or --all --out-dir DIR)"
        )
    return report_one(
        s, s.user(), args.accession, Path(args.output), args.version_number, args.patient_summary
    )


def _export(s: Session) -> int:
    args = s.args
    if args.format != "json":
        return interfaces.export(s)
    if args.all or args.deidentify:
        raise UsageError(
            "marrowpath export --format json: give one ACCESSION "
            "(--all --deidentify is for --format csv)"
        )
    if not args.accession:
        raise UsageError("marrowpath export: give ACCESSION")
    actor = s.user()
    if args.version_number is not None:
        raise UsageError(
            "marrowpath export --format json exports the case with all its "
            "versions; --version applies to hl7 and fhir"
        )
    data = s.app.cases.export_json(actor, args.accession)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        from marrowpath.files import write_whole

        write_whole(Path(args.output), text.encode("utf-8"), what="export")
    else:
        s.out.write(text)
    return EXIT_OK


def _search(s: Session) -> int:
    actor = s.user()
    args = s.args
    if args.limit is not None and args.limit < 1:
        raise UsageError("marrowpath search: --limit must be at least 1")
    rows = s.app.cases.search(
        actor,
        " ".join(args.text),
        statuses=(Status(args.status),) if args.status else (),
        date_from=args.date_from,
        date_to=args.date_to,
        limit=args.limit,
    )
    for row in rows:
        s.print(
            "\t".join(
                [
                    row.accession,
                    row.status.value,
                    row.patient_name,
                    row.mrn,
                    row.procedure_date.isoformat() if row.procedure_date else "",
                    row.diagnosis.replace("\t", " ").replace("\n", " "),
                ]
            )
        )
    return EXIT_OK


def _audit_verify(s: Session) -> int:
    actor = s.user()
    result = s.app.audit.verify(actor)
    s.print(f"events\t{result.events}")
    s.print(f"head\t{result.head}")
    s.print(f"versions\t{result.versions}")
    if not result.intact:
        for problem in result.problems:
            print(f"audit verify: {problem}", file=s.err)
        return EXIT_REFUSED
    s.print("intact")
    return EXIT_OK


def _demo(s: Session) -> int:
    from marrowpath.cli.demo import run_demo

    return run_demo(s, s.args.cases)


HANDLERS: dict[str, Handler] = {
    "gui": _gui,
    "db upgrade": _db_upgrade,
    "db backup": _db_backup,
    "lab set": _lab_set,
    "lab show": _lab_show,
    "settings show": _settings_show,
    "settings set": _settings_set,
    "user add": _user_add,
    "user list": _user_list,
    "user unlock": _user_change("unlock"),
    "user deactivate": _user_change("deactivate"),
    "user activate": _user_change("activate"),
    "user reset-password": _user_change("reset-password"),
    "import": _import,
    "sign": interfaces.deliver_after(_sign),
    "amend": interfaces.deliver_after(_amend),
    "compare": _compare,
    "addendum": interfaces.deliver_after(_addendum),
    "withdraw": interfaces.deliver_after(_withdraw),
    "cancel": interfaces.deliver_after(_cancel),
    "report": _report,
    "export": _export,
    "search": _search,
    "audit verify": _audit_verify,
    "demo": _demo,
    "send": interfaces.send,
    "outbox": interfaces.outbox,
    "listen": interfaces.listen,
    "destination add": interfaces.destination_add,
    "destination remove": interfaces.destination_remove,
    "destination list": interfaces.destination_list,
    **patients.HANDLERS,
}


def run() -> NoReturn:
    """Console-script entry point: faults go to the log file (`marrowpath.logs`)."""
    try:
        logs.setup()
        logs.install_excepthooks()
    except OSError as error:  # no writable log folder: the program still works
        print(f"marrowpath: faults cannot be logged ({error.strerror or error})", file=sys.stderr)
    sys.exit(main())
