"""`marrowpath import|check|sign|amend|compare|addendum|withdraw|cancel`: a case's life,
from its file to its issued versions. Signing commands deliver what they queued right
away (`interfaces.deliver_after`).

`sign` and `amend` run the consistency findings in the service (`clinical-rules.md` 6):
a discordant finding not named in `--acknowledge` refuses the signature, and this module
only prints what the service judged, so the app and the command line obey one rule."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from marrowpath.cli import interfaces
from marrowpath.cli.case_files import identity_flags, read_audited
from marrowpath.cli.parser import Subparsers, UsageError, add_command
from marrowpath.cli.session import EXIT_OK, EXIT_REFUSED, Session

if TYPE_CHECKING:
    from marrowpath.domain.acknowledgement import FindingsNotAcknowledged
    from marrowpath.domain.checks import CheckReport
    from marrowpath.domain.findings import Finding
    from marrowpath.domain.flags import Flag
    from marrowpath.domain.redline import ChangeRow
    from marrowpath.domain.versions import IssuedVersion

ACKNOWLEDGE_HELP = "discordant finding codes acknowledged (comma-separated, e.g. C01,C04), or all"


def register(subparsers: Subparsers) -> None:
    imp = add_command(subparsers, "import", "import marrowpath.case/2 (or /1) files as drafts")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(handler=import_files)

    check = add_command(
        subparsers,
        "check",
        "print the advisory flags and consistency findings of a case or a case file",
    )
    check.add_argument("accession", nargs="?", metavar="ACCESSION")
    check.add_argument("--file", metavar="FILE", help="a case file instead of a stored case")
    check.set_defaults(handler=check_case)

    sign = add_command(subparsers, "sign", "issue a preliminary or final report version")
    sign.add_argument("accession", metavar="ACCESSION")
    sign.add_argument("--preliminary", action="store_true")
    sign.add_argument("--acknowledge", metavar="CODES", help=ACKNOWLEDGE_HELP)
    sign.set_defaults(handler=interfaces.deliver_after(sign_case))

    amend = add_command(subparsers, "amend", "issue an amendment with the findings in FILE")
    amend.add_argument("accession", metavar="ACCESSION")
    amend.add_argument("file", metavar="FILE")
    amend.add_argument(
        "--reason-category",
        required=True,
        help="misidentification, specimen_problem, interpretation_change, report_defect or other",
    )
    amend.add_argument("--reason", required=True)
    amend.add_argument("--acknowledge", metavar="CODES", help=ACKNOWLEDGE_HELP)
    amend.set_defaults(handler=interfaces.deliver_after(amend_case))

    compare = add_command(
        subparsers, "compare", "the changes between two issued versions (label, was, now)"
    )
    compare.add_argument("accession", metavar="ACCESSION")
    compare.add_argument("first", type=int, metavar="V1")
    compare.add_argument("second", type=int, metavar="V2")
    compare.set_defaults(handler=compare_versions)

    addendum = add_command(subparsers, "addendum", "issue an addendum")
    addendum.add_argument("accession", metavar="ACCESSION")
    addendum.add_argument("--text", required=True)
    addendum.add_argument(
        "--ancillary", metavar="FILE", help="JSON list of ancillary items replacing pending studies"
    )
    addendum.set_defaults(handler=interfaces.deliver_after(add_addendum))

    withdraw = add_command(subparsers, "withdraw", "mark an issued report entered in error")
    withdraw.add_argument("accession", metavar="ACCESSION")
    withdraw.add_argument("--reason", required=True)
    withdraw.set_defaults(handler=interfaces.deliver_after(withdraw_report))

    cancel = add_command(subparsers, "cancel", "cancel a draft or preliminary case")
    cancel.add_argument("accession", metavar="ACCESSION")
    cancel.add_argument("--reason", required=True)
    cancel.set_defaults(handler=interfaces.deliver_after(cancel_case))


def import_files(s: Session) -> int:
    """Each file is its own transaction; a refused file is named and the others go on."""
    from marrowpath.domain.errors import Refused

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
            data = read_audited(s, actor, Path(name), "import")
            accession, _created = s.app.cases.import_case(actor, data)
        except Refused as refusal:
            refused += 1
            print(f"{name}: {refusal}", file=s.err, flush=True)
            continue
        s.print(accession)
        for flag in identity_flags(data):  # imported, but a person should look at it
            print(f"{name}: {accession}: advisory: {flag.message}", file=s.err, flush=True)
    return EXIT_REFUSED if refused else EXIT_OK


def check_case(s: Session) -> int:
    """`check ACCESSION` / `check --file FILE`: one line per flag and finding on stdout;
    exit 1 (the rules broken on stderr) when the document is not valid."""
    from marrowpath.domain.errors import Refused

    if (s.args.accession is None) == (s.args.file is None):
        raise UsageError("marrowpath: check: give either ACCESSION or --file FILE")
    actor = s.user()
    if s.args.file is not None:
        try:
            data = read_audited(s, actor, Path(s.args.file), "check")
        except Refused as refusal:
            print(f"{s.args.file}: {refusal}", file=s.err, flush=True)
            return EXIT_REFUSED
        report = s.app.cases.check_file(actor, data)
    else:
        report = s.app.cases.check(actor, s.args.accession)
    for line in report.lines():
        s.print(line)
    if report.valid:
        return EXIT_OK
    print(_invalid_line(s, report), file=s.err, flush=True)
    return EXIT_REFUSED


def _invalid_line(s: Session, report: CheckReport) -> str:
    from marrowpath.domain.errors import InvalidCase

    text = str(InvalidCase(report.accession, list(report.problems)))
    return f"{s.args.file}: {text}" if s.args.file is not None else text


def acknowledged_codes(s: Session) -> list[str]:
    """The codes of `--acknowledge`; an unknown one is a usage error (exit 2)."""
    from marrowpath.domain.acknowledgement import parse_codes, unknown

    codes = parse_codes(s.args.acknowledge or "")
    bad = unknown(codes)
    if bad:
        raise UsageError(
            f"marrowpath: {s.args.command}: --acknowledge: unknown finding code "
            f"{', '.join(bad)} (the codes are C01 to C14, or all)"
        )
    return codes


def sign_case(s: Session) -> int:
    from marrowpath.domain.acknowledgement import FindingsNotAcknowledged

    codes = acknowledged_codes(s)
    actor = s.user()
    try:
        version = s.app.cases.sign(
            actor,
            s.args.accession,
            s.password(),
            preliminary=s.args.preliminary,
            acknowledge=codes,
        )
    except FindingsNotAcknowledged as refusal:
        return _refused_for_findings(s, refusal)
    _print_checks_of(s, version)
    s.print(f"{s.args.accession}\tversion {version.number}\t{version.kind.value}\t{version.sha256}")
    return EXIT_OK


def amend_case(s: Session) -> int:
    from marrowpath.domain.acknowledgement import FindingsNotAcknowledged

    codes = acknowledged_codes(s)
    actor = s.user()
    data = read_audited(s, actor, Path(s.args.file), "amend", s.args.accession)
    try:
        version = s.app.cases.amend(
            actor,
            s.args.accession,
            data,
            s.password(),
            reason_category=s.args.reason_category,
            reason=s.args.reason,
            acknowledge=codes,
        )
    except FindingsNotAcknowledged as refusal:
        return _refused_for_findings(s, refusal)
    _print_checks_of(s, version)
    s.print(f"{s.args.accession}\tversion {version.number}\tamendment\t{version.sha256}")
    _print_changes(s, version.content.changes or ())
    return EXIT_OK


def _refused_for_findings(s: Session, refusal: FindingsNotAcknowledged) -> int:
    """What does not block first, then one `ACCESSION: CODE: TEXT` line per discordant
    finding not acknowledged (the refusal)."""
    _print_not_blocking(s, refusal.flags, refusal.findings, acknowledged=())
    print(refusal, file=s.err, flush=True)
    return EXIT_REFUSED


def _print_checks_of(s: Session, version: IssuedVersion) -> None:
    """The advisories, review findings and acknowledged findings of the issued version,
    judged as the service judged them (its document and settings snapshot)."""
    from marrowpath.domain.critical import no_call_flags
    from marrowpath.domain.findings import findings
    from marrowpath.domain.flags import advisory_flags
    from marrowpath.domain.lifecycle import VersionKind

    content = version.content
    final = content.kind is not VersionKind.PRELIMINARY
    flags = advisory_flags(content.document, final_sign_out=final)
    if content.kind in (VersionKind.PRELIMINARY, VersionKind.FINAL):
        flags += no_call_flags(content.document)  # as the sign-out dialog advises
    _print_not_blocking(
        s,
        flags,
        findings(content.document, content.settings),
        acknowledged=content.acknowledged or (),
    )


def _print_not_blocking(
    s: Session, flags: Sequence[Flag], found: Sequence[Finding], *, acknowledged: Sequence[str]
) -> None:
    for flag in flags:
        print(f"advisory: {flag.message}", file=s.err, flush=True)
    for finding in found:
        if finding.severity == "review":
            print(f"{finding.code} review: {finding.message}", file=s.err, flush=True)
        elif finding.code in acknowledged:
            print(f"{finding.code} acknowledged: {finding.message}", file=s.err, flush=True)


def compare_versions(s: Session) -> int:
    args = s.args
    rows = s.app.cases.compare(s.user(), args.accession, args.first, args.second)
    _print_changes(s, rows)
    return EXIT_OK


def _print_changes(s: Session, rows: Sequence[ChangeRow]) -> None:
    """The changes table, one row a line: label, was, now, tab-separated (tabs and line
    breaks inside a value become spaces, so a row stays one line)."""
    for row in rows:
        s.print("\t".join(" ".join(cell.split()) for cell in (row.label, row.was, row.now)))


def add_addendum(s: Session) -> int:
    actor = s.user()
    ancillary = (
        read_audited(s, actor, Path(s.args.ancillary), "addendum", s.args.accession)
        if s.args.ancillary
        else None
    )
    version = s.app.cases.addendum(
        actor, s.args.accession, s.password(), text=s.args.text, ancillary=ancillary
    )
    s.print(f"{s.args.accession}\tversion {version.number}\taddendum\t{version.sha256}")
    return EXIT_OK


def withdraw_report(s: Session) -> int:
    actor = s.user()
    version = s.app.cases.withdraw(actor, s.args.accession, s.password(), reason=s.args.reason)
    s.print(f"{s.args.accession}\tversion {version.number}\twithdrawal\t{version.sha256}")
    return EXIT_OK


def cancel_case(s: Session) -> int:
    actor = s.user()
    s.app.cases.cancel(actor, s.args.accession, reason=s.args.reason)
    s.print(f"{s.args.accession}\tcancelled")
    return EXIT_OK
