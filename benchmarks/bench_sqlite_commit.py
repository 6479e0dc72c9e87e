"""What it costs that every SQLite save is in the main file before the next action.

Three copies of one demo database, measured in turns in the same run (the machine's load
then weighs on each alike): the baseline (pooled connections, no checkpoint: what
MarrowPath did before), the choice (pooled connections, the WAL checkpointed into the
main file and emptied after every commit that wrote), and the alternative (a new
connection for every transaction, so that none is held between them, plus the same
checkpoint). Opening a case writes its audit event, so it is a write too.

Run: `.venv/bin/python benchmarks/bench_sqlite_commit.py [--rounds N] [--cases N]`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.pool import NullPool

import marrowpath.bootstrap
from marrowpath.bootstrap import App, build
from marrowpath.db.engine import make_engine
from marrowpath.db.sqlite_files import DatabaseFiles
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import Role

PASSWORD = "Commit-bench-7Qx-ward"
VARIANTS = ("baseline: pooled, no checkpoint", "chosen: pooled + checkpoint", "per transaction")


def demo_database(folder: Path, cases: int) -> Path:
    path = folder / "demo.db"
    app = build(str(path), with_renderer=False)
    try:
        app.auth.add_first_user("admin", full_name="Admin", role=Role.ADMIN, password=PASSWORD)
        admin = app.auth.sign_in("admin", PASSWORD)
        app.auth.add_user(
            admin, "path", full_name="Pat Hologist", role=Role.PATHOLOGIST, password=PASSWORD
        )
        app.lab.set_identity(admin, name="Lab", address="1 Street", clia_id="14D0000001")
        from datetime import date

        from marrowpath.demo.bulk import bulk_cases

        pathologist = app.auth.sign_in("path", PASSWORD)
        for case in bulk_cases(cases, today=date.today(), seed=3):
            app.cases.import_case(pathologist, case.document)
    finally:
        app.close()
    return path


def open_variant(source: Path, folder: Path, variant: str) -> App:
    path = folder / f"{VARIANTS.index(variant)}.db"
    shutil.copy(source, path)
    original = marrowpath.bootstrap.make_engine
    if variant == "per transaction":
        marrowpath.bootstrap.make_engine = lambda url, **o: make_engine(url, poolclass=NullPool)
    try:
        app = build(str(path), with_renderer=False)
    finally:
        marrowpath.bootstrap.make_engine = original
    if variant.startswith("baseline"):
        files = DatabaseFiles.for_path(path)
        files.checkpoint = lambda *_a, **_k: None  # type: ignore[method-assign]
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="marrowpath-commit-") as name:
        folder = Path(name)
        source = demo_database(folder, args.cases)
        apps = {variant: open_variant(source, folder, variant) for variant in VARIANTS}
        timings: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
        try:
            who: dict[str, tuple[Any, str]] = {}
            for variant, app in apps.items():
                user = app.auth.sign_in("path", PASSWORD)
                draft = app.cases.search(user, statuses=(Status.DRAFT,), limit=1)[0]
                who[variant] = (user, draft.accession)
            for _ in range(args.rounds):
                for variant, app in apps.items():
                    user, accession = who[variant]
                    measured = timings[variant]
                    started = time.perf_counter()
                    view = app.cases.open(user, accession)
                    opened = time.perf_counter()
                    app.cases.search(user, "smith", limit=50)
                    searched = time.perf_counter()
                    record = view.record
                    app.cases.save(
                        user, accession, record.working, expected_row_version=record.row_version
                    )
                    saved = time.perf_counter()
                    for action, ms in (
                        ("open", opened - started),
                        ("search", searched - opened),
                        ("save", saved - searched),
                    ):
                        measured.setdefault(action, []).append(ms * 1000)
        finally:
            for app in apps.values():
                app.close()
    baseline = timings[VARIANTS[0]]
    print(f"{'':34}{'open ms':>10}{'search ms':>11}{'save ms':>10}   (median of {args.rounds})")
    for variant in VARIANTS:
        medians = {a: statistics.median(t) for a, t in timings[variant].items()}
        ratios = {a: medians[a] / statistics.median(baseline[a]) for a in medians}
        print(
            f"{variant:34}{medians['open']:>10.2f}{medians['search']:>11.2f}{medians['save']:>10.2f}"
            f"   x{ratios['open']:.2f} x{ratios['search']:.2f} x{ratios['save']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
