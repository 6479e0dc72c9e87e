"""`timeline`, `patient correct`, `patient merge`, `patient unmerge` (`cli.md`).

A command group of its own (`register(subparsers)`, see `marrowpath.cli`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marrowpath.cli.parser import Subparsers, add_action, add_actions, add_command, listed_only
from marrowpath.cli.session import EXIT_OK, Session

if TYPE_CHECKING:
    from decimal import Decimal

    from marrowpath.domain.timeline import Timeline, TimelineEntry
    from marrowpath.services.patients import PatientChange


def register(subparsers: Subparsers) -> None:
    timeline_command = add_command(
        subparsers,
        "timeline",
        "the patient's cases by procedure date with blast equivalents, plasma cells, "
        "cellularity, M:E, fibrosis and the ancillary measurements (tab-separated, or JSON "
        "with the therapy periods)",
    )
    timeline_command.add_argument("mrn", metavar="MRN")
    timeline_command.add_argument("--format", choices=["tsv", "json"], default="tsv")
    timeline_command.set_defaults(handler=timeline)

    patient = add_command(subparsers, "patient", "correct, merge or unmerge patient records")
    if listed_only(patient):
        return
    from marrowpath.domain.enums import Sex

    actions = add_actions(patient, "patient")
    correct = add_action(
        actions,
        "correct",
        "correct a patient's name, birth date or sex (admins, pathologists)",
        "Correct a patient's record: every working document and search key follows; "
        "issued reports stay as signed, and those that printed the old value are listed "
        "for an amendment (misidentification).",
    )
    correct.add_argument("mrn", metavar="MRN")
    correct.add_argument("--family-name", metavar="F")
    correct.add_argument("--given-names", metavar="G")
    correct.add_argument("--birth-date", metavar="D", help="YYYY-MM-DD")
    correct.add_argument("--sex", metavar="S", choices=[s.value for s in Sex])
    correct.add_argument("--reason", required=True, metavar="TEXT")
    correct.set_defaults(handler=patient_correct)
    merge = add_action(
        actions, "merge", "merge a duplicate registration into the surviving record (admins)"
    )
    merge.add_argument("from_mrn", metavar="FROM_MRN")
    merge.add_argument("into_mrn", metavar="INTO_MRN")
    merge.add_argument("--reason", required=True, metavar="TEXT")
    merge.set_defaults(handler=patient_merge)
    unmerge = add_action(
        actions, "unmerge", "undo a merge: the cases that moved go back to FROM_MRN (admins)"
    )
    unmerge.add_argument("from_mrn", metavar="FROM_MRN")
    unmerge.set_defaults(handler=patient_unmerge)


# ---------------------------------------------------------------------- timeline


def timeline(s: Session) -> int:
    actor = s.user()
    result = s.app.timeline.timeline(actor, s.args.mrn)
    if s.args.format == "json":
        import json

        s.print(json.dumps(timeline_json(result), ensure_ascii=False, indent=2))
        return EXIT_OK
    for entry in result.entries:
        s.print("\t".join(tsv_fields(entry)))
    return EXIT_OK


def tsv_fields(entry: TimelineEntry) -> list[str]:
    """accession, procedure date, status, the values (`timeline.SERIES`: blast
    equivalents %, plasma cells %, cellularity %, age verdict, M:E, fibrosis grade), then
    `name=value unit` each."""
    from marrowpath.domain.timeline import SERIES

    head = [
        entry.accession,
        entry.procedure_date.isoformat() if entry.procedure_date else "",
        entry.status.value,
    ]
    values = entry.values
    if values is None:
        return head + [""] * len(SERIES)
    return [
        *head,
        *(series.text(values.of(series)) for series in SERIES),
        *(m.text for m in values.measurements),
    ]


def timeline_json(result: Timeline) -> dict[str, Any]:
    """The cases as in tsv (numbers as numbers, the unit and kind as the case format
    spells them), then the therapy periods with the case format's field names."""
    return {
        "mrn": result.mrn,
        "patient": result.patient_name,
        "cases": [_entry_json(entry) for entry in result.entries],
        "therapy": [
            {
                "name": period.name,
                "kind": period.kind.value,
                "started_on": period.start.isoformat(),
                "ended_on": period.end.isoformat() if period.end else None,
            }
            for period in result.therapy
        ],
    }


def _entry_json(entry: TimelineEntry) -> dict[str, Any]:
    from marrowpath.domain.timeline import SERIES

    values = entry.values
    data: dict[str, Any] = {
        "accession": entry.accession,
        "procedure_date": entry.procedure_date.isoformat() if entry.procedure_date else None,
        "status": entry.status.value,
        "version": entry.version,
        "plotted": entry.plotted,
    }
    if values is None:
        return data
    return data | {
        **{series.key: series.json(values.of(series)) for series in SERIES},
        "measurements": [
            {"name": m.name, "value": _entered(m.value), "unit": m.unit.value}
            for m in values.measurements
        ],
    }


def _entered(value: Decimal) -> int | float:
    """A measurement as it was entered: 59 stays 59, 0.06 is 0.06."""
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------------- patient records


def patient_correct(s: Session) -> int:
    actor = s.user()
    args = s.args
    service = s.app.patients
    seen = service.patient(actor, args.mrn)
    result = service.correct(
        actor,
        args.mrn,
        reason=args.reason,
        family_name=args.family_name,
        given_names=args.given_names,
        birth_date=args.birth_date,
        sex=args.sex,
        expected=seen,
    )
    changes = "; ".join(f"{c.label} {c.was} -> {c.now}" for c in result.changes)
    s.print(f"{args.mrn}: corrected {changes}")
    _print_outcome(s, result, "working documents updated")
    return EXIT_OK


def patient_merge(s: Session) -> int:
    actor = s.user()
    args = s.args
    service = s.app.patients
    seen = (service.patient(actor, args.from_mrn), service.patient(actor, args.into_mrn))
    result = service.merge(actor, args.from_mrn, args.into_mrn, reason=args.reason, expected=seen)
    s.print(f"{args.from_mrn}: merged into {args.into_mrn}")
    _print_outcome(s, result, f"cases moved to {args.into_mrn}")
    return EXIT_OK


def patient_unmerge(s: Session) -> int:
    actor = s.user()
    result = s.app.patients.unmerge(actor, s.args.from_mrn)
    s.print(f"{s.args.from_mrn}: unmerged")
    _print_outcome(s, result, f"cases moved back to {s.args.from_mrn}")
    return EXIT_OK


def _print_outcome(s: Session, result: PatientChange, what: str) -> None:
    """The cases that changed, then one line per final report that printed another
    identity: accession, version, what it printed."""
    s.print(
        f"{len(result.cases)} {what}" + (f": {', '.join(result.cases)}" if result.cases else "")
    )
    for report in result.printed:
        s.print(f"{report.accession}\tversion {report.version}\tprinted {report.text}")
    if result.printed:
        s.print(
            f"{len(result.printed)} issued reports printed another identity; amend each with "
            "--reason-category misidentification"
        )
