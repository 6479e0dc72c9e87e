"""What the clinical rules cost per key press in the editor (`clinical-rules.md`).

The editor recomputes the differential summary, the advisory flags (with their
confidence-interval advisories) and the checks C01-C14 on every change. Measured against
a baseline in the same run: the differential summary alone without intervals, which the
editor did before. Also the cost of one exact interval at 100, 500 and 100,000 cells.

Run: `.venv/bin/python benchmarks/bench_clinical_rules.py [--rounds N]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marrowpath.domain.derived import summarise_differential
from marrowpath.domain.estimates import clopper_pearson
from marrowpath.domain.findings import findings
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.settings import LabSettings, upgraded_settings
from marrowpath.domain.validation import parse_case

EXAMPLE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "example-case.json"


def median_ms(action: Callable[[], object], rounds: int) -> float:
    """Cold: the interval cache is emptied first, as a key press brings new counts."""
    times = []
    for _ in range(rounds):
        clopper_pearson.cache_clear()
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    document = parse_case(json.loads(EXAMPLE.read_text(encoding="utf-8")), today=date.today())
    settings = upgraded_settings(LabSettings())
    differential = document.aspirate.differential  # type: ignore[union-attr]
    assert differential is not None
    baseline = median_ms(lambda: summarise_differential(differential, settings), rounds)
    rows: list[tuple[str, Callable[[], object]]] = [
        ("differential summary (baseline)", lambda: summarise_differential(differential, settings)),
        (
            "summary + every row's 95 % CI",
            lambda: [
                r.confidence_interval for r in summarise_differential(differential, settings).rows
            ],
        ),
        ("advisory flags", lambda: advisory_flags(document, final_sign_out=True)),
        ("checks C01-C14", lambda: findings(document, settings)),
    ]
    print(f"{'what':40} {'median ms':>10} {'x baseline':>11}")
    for name, action in rows:
        value = median_ms(action, rounds)
        print(f"{name:40} {value:10.3f} {value / baseline:11.1f}")
    for count, total in ((12, 100), (60, 500), (12_000, 100_000)):
        value = median_ms(lambda c=count, t=total: clopper_pearson(c, t), rounds)
        print(f"{f'one interval, {count} of {total}':40} {value:10.3f}")


if __name__ == "__main__":
    main()
