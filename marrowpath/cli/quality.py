"""`marrowpath qc second-counts`: the laboratory's QC export of second observers' counts
(`bench.md` section 1).

A command group of its own (`register(subparsers)`, see `marrowpath.cli`). CSV on
stdout, a header row then one row per case with a second count, by procedure date: who
counted each count and how, the cells of each, and for blasts and plasma cells each
count's percentage and exact 95 % interval and whether the two agree (each value within
the other's interval). The columns are `COLUMNS` and are documented in the README.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marrowpath.cli.parser import (
    Subparsers,
    add_action,
    add_actions,
    add_command,
    date_argument,
)
from marrowpath.cli.session import EXIT_OK, Session

if TYPE_CHECKING:
    from marrowpath.domain.concordance import Agreement
    from marrowpath.services.quality import SecondCountRecord

COLUMNS = (
    "accession",
    "procedure_date",
    "status",
    "counted_by",
    "method",
    "cells",
    "second_counted_by",
    "second_method",
    "second_cells",
    "blasts_pct",
    "blasts_ci",
    "second_blasts_pct",
    "second_blasts_ci",
    "blasts_concordant",
    "plasma_cells_pct",
    "plasma_cells_ci",
    "second_plasma_cells_pct",
    "second_plasma_cells_ci",
    "plasma_cells_concordant",
    "concordant",
)


def register(subparsers: Subparsers) -> None:
    actions = add_actions(
        add_command(subparsers, "qc", "the laboratory's quality-control exports"), "qc"
    )
    second = add_action(
        actions,
        "second-counts",
        "second observers' counts and their concordance with the differential reported "
        "(CSV on stdout)",
        "Every case with a second observer's count, by procedure date, as CSV on stdout: "
        "both counts' counters and cells, and for blasts and plasma cells each count's "
        "percentage, its 95 % interval and whether each value lies within the other's "
        "interval.",
    )
    second.add_argument("--from", dest="date_from", type=date_argument, metavar="DATE")
    second.add_argument("--to", dest="date_to", type=date_argument, metavar="DATE")
    second.set_defaults(handler=second_counts)


def second_counts(s: Session) -> int:
    import csv

    records = s.app.quality.second_counts(s.user(), start=s.args.date_from, end=s.args.date_to)
    writer = csv.writer(s.out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow(row(record))
    s.out.flush()
    return EXIT_OK


def row(record: SecondCountRecord) -> list[str]:
    """One case's row in the order of `COLUMNS`; a comparison that cannot be made (a
    count with no cells) leaves its cells empty."""
    result = record.concordance
    cells = [
        record.accession,
        record.procedure_date.isoformat() if record.procedure_date else "",
        record.status.value,
        record.counted_by,
        record.method,
        str(result.first_cells),
        record.second_counted_by,
        record.second_method,
        str(result.second_cells),
    ]
    by_category = {agreement.category: agreement for agreement in result.agreements}
    for category in ("blasts", "plasma_cells"):
        cells += _agreement(by_category.get(category))
    cells.append(_yes_no(result.concordant) if result.comparable else "")
    return cells


def _agreement(agreement: Agreement | None) -> list[str]:
    if agreement is None:
        return [""] * 5
    from marrowpath.domain.thresholds import DISPLAY_THRESHOLDS, interval_text, shown

    quantity = agreement.category
    thresholds = DISPLAY_THRESHOLDS.get(quantity, ())
    return [
        str(shown(agreement.first.percent, thresholds)),
        interval_text(agreement.first.interval, quantity),
        str(shown(agreement.second.percent, thresholds)),
        interval_text(agreement.second.interval, quantity),
        _yes_no(agreement.concordant),
    ]


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
