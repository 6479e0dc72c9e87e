"""Golden record of what the demo cases print and send, to prove a refactoring changes none of it.

Why: issue 11 moves labels, units and wording from the editor, the PDF and the interface
text onto the case model. Every word a clinician reads must stay exactly as it was, so
before the change this script records, for every demo case and version, the PDF text
(read back with pypdf), the patient summary text, the HL7 message, the FHIR bundle and
the changes table between consecutive versions; after each step it records them again
and compares. Issued PDFs are rendered anew (never the stored bytes, which no code change
touches); only the moments of printing and sending are masked.

Usage:
    python scripts/golden_record.py record DIR [--db FILE]   # write DIR/*.txt
    python scripts/golden_record.py compare DIR [--db FILE]  # exit 1 on any difference

Without --db a fresh demo database is loaded into a temporary SQLite file; with --db an
existing demo database is read (so the same stored documents are rendered again).
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader

from marrowpath.bootstrap import App, build
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User
from marrowpath.reports.pdf import render_report

ACTOR = "admin"
# Moments of printing and sending; everything else must be identical.
_MASKS = [
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?( ?(UTC)?[+-]\d{2}:?\d{2}|Z)?"
        ),
        "<TIME>",
    ),
    (re.compile(r"\b20\d{12}(\.\d+)?([+-]\d{4})?\b"), "<HL7TIME>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<UUID>"),
    (re.compile(r"MSH\|(?!<HEAD>)([^|\n]*\|){8}[^|\n]*"), "MSH|<HEAD>"),
    (re.compile(r"\bMP[0-9A-F]{18}\b"), "<CONTROL-ID>"),
]


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n\f\n".join(page.extract_text() or "" for page in reader.pages)


def _masked(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _attempt(make: Callable[[], str]) -> str:
    try:
        return make()
    except Refused as refused:
        return f"REFUSED: {refused}"


def _texts(app: App, actor: User, accession: str, number: int | None) -> dict[str, str]:
    """What one version (or the working draft, `number` None) prints and sends."""

    def pdf(summary: bool) -> str:
        request, _stored = app.cases.report_requests(
            actor, accession, version=number, patient_summary=summary
        )
        return _pdf_text(render_report(request))

    def hl7() -> str:
        return app.interfaces.export_hl7(actor, accession, version=number).replace("\r", "\n")

    def fhir() -> str:
        bundle = json.loads(app.interfaces.export_fhir(actor, accession, version=number))
        return json.dumps(bundle, indent=1, ensure_ascii=False)

    def changes() -> str:
        assert number is not None
        rows = app.cases.compare(actor, accession, number - 1, number)
        return "\n".join(repr(row) for row in rows)

    made: dict[str, Callable[[], str]] = {"pdf": lambda: pdf(False), "summary": lambda: pdf(True)}
    if number is not None:
        made |= {"hl7": hl7, "fhir": fhir}
    if number is not None and number > 1:
        made["changes"] = changes
    tag = f"{accession}.v{number or 'draft'}"
    return {f"{tag}.{kind}": _attempt(make) for kind, make in made.items()}


def record(db: str) -> dict[str, str]:
    app = build(db, with_renderer=True)
    actor = app.auth.user(ACTOR)
    assert actor is not None, "the database has no demo admin"
    out: dict[str, str] = {}
    for summary in app.cases.search(actor, "", sort="accession", descending=False):
        numbers = [v.number for v in app.cases.versions(actor, summary.accession)]
        for number in numbers or [None]:
            out |= _texts(app, actor, summary.accession, number)
    app.close()
    return {name: _masked(text) for name, text in out.items()}


def _demo_database(folder: Path) -> str:
    path = folder / "golden.sqlite"
    subprocess.run(
        [sys.executable, "-m", "marrowpath", "demo", "--db", str(path)],
        check=True,
        capture_output=True,
    )
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["record", "compare"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--db", help="an existing demo database (default: load a fresh one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        texts = record(args.db or _demo_database(Path(temp)))
    if args.action == "record":
        args.folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            (args.folder / f"{name}.txt").write_text(text, encoding="utf-8")
        print(f"recorded {len(texts)} texts in {args.folder}")
        return 0
    expected = {
        p.name.removesuffix(".txt"): _masked(p.read_text("utf-8"))
        for p in args.folder.glob("*.txt")
    }
    differ = sorted(set(expected) ^ set(texts))
    for name in sorted(set(expected) & set(texts)):
        if expected[name] != texts[name]:
            differ.append(name)
            sys.stdout.writelines(
                difflib.unified_diff(
                    expected[name].splitlines(True), texts[name].splitlines(True), name, "now"
                )
            )
    print(f"{len(texts)} texts compared, {len(differ)} differ: {', '.join(differ) or 'none'}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
