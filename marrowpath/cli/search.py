"""`marrowpath search`: matching cases, one tab-separated line each.

Scripts run it often, so it imports only what a search needs: no ReportLab, no HL7."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marrowpath.cli.parser import (
    Subparsers,
    UsageError,
    add_command,
    date_argument,
    listed_only,
)
from marrowpath.cli.session import EXIT_OK, Session

if TYPE_CHECKING:
    pass


def register(subparsers: Subparsers) -> None:
    search = add_command(subparsers, "search", "find cases; one tab-separated line each")
    if listed_only(search):
        return
    from marrowpath.domain.lifecycle import Status

    search.add_argument("text", nargs="*", metavar="TEXT")
    search.add_argument("--status", choices=[s.value for s in Status])
    search.add_argument("--from", dest="date_from", type=date_argument, metavar="DATE")
    search.add_argument("--to", dest="date_to", type=date_argument, metavar="DATE")
    search.add_argument("--limit", type=int, metavar="N")
    search.set_defaults(handler=search_cases)


def search_cases(s: Session) -> int:
    from marrowpath.domain.lifecycle import Status

    actor = s.user()
    args = s.args
    if args.limit is not None and args.limit < 1:
        raise UsageError("marrowpath search: --limit must be at least 1")
    rows = s.app.case_search.search(
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
