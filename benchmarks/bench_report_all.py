"""`marrowpath report --all --jobs N` over a database, against bare ReportLab in N processes.

Usage:
    python benchmarks/bench_report_all.py DB [--jobs 2] [--user achen]

DB is filled with `marrowpath demo --cases 1050` (about 1,000 issued cases; demo
passwords). The command runs as a lab runs it (a subprocess, the password on stdin)
into a fresh folder; then, in the same run, the baseline: as many bare platypus
documents of the example report's size (`bench_report.py`'s bare document: the same
pages, paragraphs and table rows in Helvetica) written to files by N processes. Prints
both wall times, per case, and the ratio; the ratio is what the machine's load cancels.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_report import Shape, bare_document, page_breaks, shape_of
from tests.reports import builders

PASSWORD = "marrow-demo-1"


def _bare_batch(shape: Shape, breaks: frozenset[int], paths: list[str]) -> int:
    for path in paths:
        Path(path).write_bytes(bare_document(shape, breaks))
    return len(paths)


def bare(count: int, jobs: int, folder: Path) -> float:
    """Seconds for `count` bare documents written by `jobs` processes."""
    shape = shape_of(builders.final_request())
    breaks = page_breaks(shape)
    paths = [str(folder / f"bare-{i}.pdf") for i in range(count)]
    batches = [paths[i : i + 20] for i in range(0, count, 20)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = sum(pool.map(_bare_batch, [shape] * len(batches), [breaks] * len(batches), batches))
    assert done == count
    return time.perf_counter() - start


def report_all(database: str, user: str, jobs: int, folder: Path) -> tuple[float, int]:
    start = time.perf_counter()
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("marrowpath")),
            "--db",
            database,
            "--user",
            user,
            "--password-stdin",
            "report",
            "--all",
            "--out-dir",
            str(folder),
            "--jobs",
            str(jobs),
        ],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"report --all failed ({result.returncode}): {result.stderr[-2000:]}")
    print(result.stdout.strip())
    return seconds, len(list(folder.glob("*.pdf")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--user", default="achen")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seconds, count = report_all(args.db, args.user, args.jobs, folder / "reports")
        (folder / "bare").mkdir()
        baseline = bare(count, args.jobs, folder / "bare")
    print(
        f"report --all --jobs {args.jobs}: {count:,} PDFs in {seconds:.1f} s ({seconds / count * 1000:.0f} ms each)"
    )
    print(f"bare ReportLab, {args.jobs} processes: {count:,} PDFs in {baseline:.1f} s")
    print(f"ratio: {seconds / baseline:.2f}x")


if __name__ == "__main__":
    main()
