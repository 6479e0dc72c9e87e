"""`marrowpath communicate`: record a critical-result communication (`bench.md` 4).

Before final sign-out the call joins the working document; after it, the call is issued
as an addendum signed with the same password (read from standard input, as for `sign`),
and what the addendum queued is delivered at once, as after `addendum`. The rules (who
may, not in the future, not on a closed case) are the service's, so the app and the
command line refuse alike.

`--not-reached` records an attempt that did not reach the clinician: `bench.md` asks
for those too, and without it every entry would claim the call went through.
"""

from __future__ import annotations

from marrowpath.cli import interfaces
from marrowpath.cli.parser import Subparsers, add_command
from marrowpath.cli.session import EXIT_OK, Session


def register(subparsers: Subparsers) -> None:
    command = add_command(
        subparsers,
        "communicate",
        "record a critical-result communication; after final sign-out it issues an "
        "addendum carrying it (password required as for signing)",
    )
    command.add_argument("accession", metavar="ACCESSION")
    command.add_argument("--to", required=True, metavar="NAME", help="who was told")
    command.add_argument(
        "--method",
        required=True,
        metavar="M",
        help="phone, in_person, secure_message, page or other",
    )
    command.add_argument("--role", metavar="R", help="their role, e.g. hematology fellow")
    command.add_argument("--read-back", action="store_true", help="the result was read back to you")
    command.add_argument(
        "--not-reached",
        action="store_true",
        help="an attempt that did not reach the clinician (recorded too)",
    )
    command.add_argument("--note", metavar="TEXT")
    command.add_argument(
        "--at",
        metavar="DATETIME",
        help="when, with an offset or Z (e.g. 2026-11-18T15:20:00-05:00); default now",
    )
    command.set_defaults(handler=interfaces.deliver_after(communicate))


def communicate(s: Session) -> int:
    """Prints `ACCESSION<TAB>communication recorded`, or for an addendum the line
    `addendum` prints: `ACCESSION<TAB>version N<TAB>addendum<TAB>SHA256`."""
    args = s.args
    actor = s.user()
    entry = {
        "to": args.to,
        "method": args.method,
        "role": args.role,
        "reached": not args.not_reached,
        "read_back": bool(args.read_back),
        "note": args.note,
        "at": args.at,
    }
    recorded = s.app.communications.record(actor, args.accession, entry, password=s.password())
    if recorded.version is not None:
        version = recorded.version
        s.print(f"{args.accession}\tversion {version.number}\taddendum\t{version.sha256}")
    else:
        s.print(f"{args.accession}\tcommunication recorded")
    return EXIT_OK
