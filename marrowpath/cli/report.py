"""`marrowpath report`: one PDF, or every issued case in parallel with a progress bar."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User

if TYPE_CHECKING:
    from marrowpath.cli import Session

EXIT_OK, EXIT_REFUSED = 0, 1


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
    """Write atomically so that a half-written PDF never lies around under the real name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def report_all(s: Session, actor: User, out_dir: Path, jobs: int) -> int:
    """Write the latest issued PDF of every issued case into out_dir, `ACCESSION.pdf`."""
    from rich.progress import Progress

    cases = s.app.cases.search(actor, "", sort="accession", descending=False)
    issued = [c.accession for c in cases if c.issued_count > 0]
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    with Progress(console=_stderr_console(s)) as progress:
        task = progress.add_task("Writing reports", total=len(issued))
        if jobs <= 1 or len(issued) < 2:
            for accession in issued:
                failures += _one(s, actor, accession, out_dir)
                progress.advance(task)
        else:
            chunks = [issued[i::jobs] for i in range(jobs)]
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [
                    pool.submit(_worker, s.args.db, actor.username, chunk, str(out_dir))
                    for chunk in chunks
                    if chunk
                ]
                for future in as_completed(futures):
                    done, errors = future.result()
                    failures += len(errors)
                    for line in errors:
                        print(line, file=s.err)
                    progress.advance(task, done)
    s.print(f"{len(issued) - failures} reports written to {out_dir}")
    return EXIT_REFUSED if failures else EXIT_OK


def _one(s: Session, actor: User, accession: str, out_dir: Path) -> int:
    try:
        _write(out_dir / f"{accession}.pdf", s.app.cases.report_pdf(actor, accession))
    except Refused as refusal:
        print(refusal, file=s.err)
        return 1
    return 0


def _worker(
    database: str | None, username: str, accessions: list[str], out_dir: str
) -> tuple[int, list[str]]:
    """One process of `--jobs N`: its own engine and services (the user already signed in)."""
    from marrowpath.bootstrap import build

    app = build(database)
    errors: list[str] = []
    try:
        with app.context.uow(read_only=True) as uow:
            record = uow.users.get(username)
        assert record is not None
        for accession in accessions:
            try:
                _write(
                    Path(out_dir) / f"{accession}.pdf", app.cases.report_pdf(record.user, accession)
                )
            except Refused as refusal:
                errors.append(str(refusal))
    finally:
        app.close()
    return len(accessions), errors


def _stderr_console(s: Session):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(file=s.err)
