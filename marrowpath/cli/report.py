"""`marrowpath report`: one PDF, or every issued case in parallel with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from marrowpath.cli.parser import Subparsers, UsageError, add_command

if TYPE_CHECKING:
    from collections.abc import Iterator

    from marrowpath.cli.session import Session
    from marrowpath.domain.users import User

EXIT_OK, EXIT_REFUSED = 0, 1


def register(subparsers: Subparsers) -> None:
    report = add_command(subparsers, "report", "write the PDF report")
    report.add_argument("accession", metavar="ACCESSION", nargs="?")
    report.add_argument("-o", "--output", metavar="FILE.pdf")
    report.add_argument("--version", type=int, dest="version_number", metavar="N")
    report.add_argument("--patient-summary", action="store_true")
    report.add_argument("--all", action="store_true", help="every issued case")
    report.add_argument("--out-dir", metavar="DIR")
    report.add_argument("--jobs", type=int, default=1, metavar="N")
    report.add_argument("--skip-existing", action="store_true", help="keep PDFs already in DIR")
    report.set_defaults(handler=write_reports)


def write_reports(s: Session) -> int:
    """`report ACCESSION -o FILE.pdf [...]` or `report --all --out-dir DIR [--jobs N]`."""
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


def report_one(
    s: Session,
    actor: User,
    accession: str,
    output: Path,
    version: int | None,
    patient_summary: bool,
) -> int:
    pdf = s.app.cases.report_pdf(actor, accession, version=version, patient_summary=patient_summary)
    _write(output, pdf)
    s.print(f"{accession}\t{output}")
    return EXIT_OK


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all, 0600: a half-written PDF never lies around (`files.py`)."""
    from marrowpath.files import write_whole

    write_whole(path, data, what="report")


def report_all(s: Session, actor: User, out_dir: Path, jobs: int) -> int:
    """Write the latest issued PDF of every issued case into out_dir, `ACCESSION.pdf`.

    With `--skip-existing` a case whose file is already there is left alone, so a run
    that was interrupted (or a nightly run) writes only what is missing; files are
    written whole (`files.write_whole`), so one that exists is complete.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from marrowpath.files import private_folder

    cases = s.app.cases.search(actor, "", sort="accession", descending=False)
    issued = [c.accession for c in cases if c.issued_count > 0]
    private_folder(out_dir)
    todo = [a for a in issued if not (s.args.skip_existing and _pdf_path(out_dir, a).exists())]
    failures = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=_stderr_console(s)) as progress:
        task = progress.add_task("Writing reports", total=len(todo))
        for done, errors in _written(s, actor, todo, out_dir, jobs):
            failures += len(errors)
            for line in errors:
                print(line, file=s.err)
            progress.advance(task, done)
    summary = f"{len(todo) - failures} reports written to {out_dir}"
    if s.args.skip_existing:
        summary += f"; {len(issued) - len(todo)} already there, skipped"
    s.print(summary)
    return EXIT_REFUSED if failures else EXIT_OK


# Cases a worker writes before it reports progress: small enough for a smooth bar and
# for both workers to finish together, large enough that the hand-over costs nothing.
BATCH = 20


def _written(
    s: Session, actor: User, accessions: list[str], out_dir: Path, jobs: int
) -> Iterator[tuple[int, list[str]]]:
    """(cases done, refusals) as batches finish: in this process, or in `jobs` worker
    processes that each start their services and renderer once and then write their
    batches one file at a time."""
    if jobs <= 1 or len(accessions) < 2:
        for accession in accessions:
            yield 1, _write_one(s.app, actor, accession, out_dir)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    size = max(1, min(BATCH, len(accessions) // (jobs * 4)))
    batches = [accessions[i : i + size] for i in range(0, len(accessions), size)]
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(s.args.db, actor.username)
    ) as pool:
        futures = [pool.submit(_worker_batch, batch, str(out_dir)) for batch in batches]
        for future in as_completed(futures):
            yield future.result()


def _pdf_path(out_dir: Path, accession: str) -> Path:
    return out_dir / f"{accession}.pdf"


def _write_one(app: Any, actor: User, accession: str, out_dir: Path) -> list[str]:
    """Write one case's PDF; the refusal's words if it is refused."""
    from marrowpath.domain.errors import Refused

    try:
        _write(_pdf_path(out_dir, accession), app.cases.report_pdf(actor, accession))
    except Refused as refusal:
        return [str(refusal)]
    return []


class _Worker:
    """The services of one worker process of `--jobs N` (its own engine)."""

    app: Any = None
    user: User | None = None


def _start_worker(database: str | None, username: str) -> None:
    """Once per worker process: its own engine and services; the renderer's fonts and
    styles are loaded by its first report and kept for the others."""
    from marrowpath.bootstrap import build

    _Worker.app = build(database)
    with _Worker.app.context.uow(read_only=True) as uow:
        record = uow.users.get(username)
    assert record is not None  # the user signed in in the parent process
    _Worker.user = record.user


def _worker_batch(accessions: list[str], out_dir: str) -> tuple[int, list[str]]:
    assert _Worker.user is not None
    errors: list[str] = []
    for accession in accessions:
        errors += _write_one(_Worker.app, _Worker.user, accession, Path(out_dir))
    return len(accessions), errors


def _stderr_console(s: Session):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(file=s.err)
