"""`marrowpath export`: one case as `marrowpath.case/2` JSON here; HL7, FHIR and the
research CSV in `interfaces.export`."""

from __future__ import annotations

from pathlib import Path

from marrowpath.cli import interfaces
from marrowpath.cli.parser import Subparsers, UsageError, add_command
from marrowpath.cli.session import EXIT_OK, Session


def register(subparsers: Subparsers) -> None:
    export = add_command(subparsers, "export", "export a case (json, hl7, fhir) or all cases (csv)")
    export.add_argument("accession", metavar="ACCESSION", nargs="?")
    export.add_argument("--format", required=True, choices=["json", "hl7", "fhir", "csv"])
    export.add_argument("--version", type=int, dest="version_number", metavar="N")
    export.add_argument("-o", "--output", metavar="FILE")
    export.add_argument("--all", action="store_true")
    export.add_argument("--deidentify", action="store_true")
    export.set_defaults(handler=export_case)


def export_case(s: Session) -> int:
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
    import json

    data = s.app.cases.export_json(actor, args.accession)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        from marrowpath.files import write_whole

        write_whole(Path(args.output), text.encode("utf-8"), what="export")
    else:
        s.out.write(text)
    return EXIT_OK
