"""Search from query to first page, against a raw SQL query of the same index.

Usage:
    python benchmarks/bench_search.py DB [--runs N] [--scan]

DB is a MarrowPath database (SQLite file or PostgreSQL URL) filled with
`marrowpath demo --cases N`. For each query of a fixed mix (names as written and in
Latin, MRN, accession, diagnosis words, short words, a word that matches nothing), as a
pathologist (working keys) and as a clinician (issued keys), it times:

  * app: `CaseService.search(user, text, limit=200)`, what the worklist and `marrowpath
    search` run for the first page (folding, needles, session, ORM rows, summaries);
  * raw: the same first page by hand-written SQL on the same index, through the bare
    driver (sqlite3 or psycopg), with the needles precomputed (the baseline);
  * scan (with --scan): the full-table `LIKE '%word%'` that search ran before
    migration 0012, for comparison;
  * probed (with --probed, PostgreSQL): the app as before decision 91, probing the
    newest cases whatever the planner expects, interleaved with the app as it is.

Prints per query the number of matches on the first page and median ms; then over all
samples the median and 99th percentile of each, and the ratio app / raw. On PostgreSQL
it also prints the plan of one short and one long query (the trigram index must show).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import make_url

from marrowpath.bootstrap import build, resolve_url
from marrowpath.db import search_index
from marrowpath.db.search_index import KEY_COLUMNS
from marrowpath.domain.search_key import WORD_START, needles
from marrowpath.domain.text import search_words

PAGE = 200  # the worklist's page (ui/worklist.py PAGE_SIZE)
PATHOLOGIST, CLINICIAN = "achen", "praman"


QUERIES = (
    "petrova",  # Cyrillic names in Latin
    "papadopoulos",  # Greek
    "li xue",  # Chinese in pinyin, two short words
    "nguyen",  # Vietnamese
    "obrien",
    "delgado tomas",
    "MRN0012345",
    "BM26-000",  # accession prefix: many matches
    "leukemia",  # a diagnosis word: many matches
    "plasma cell myeloma",
    "aplastic anemia",
    "li",  # one short word
    "a",  # one letter
    "xyzzy",  # nothing
    "petrova leukemia",
)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class RawSearch:
    """The first page by hand-written SQL through the bare driver: the baseline."""

    def __init__(self, url: str) -> None:
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            import sqlite3

            path = make_url(url).database
            self._connection: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        else:
            import psycopg

            plain = make_url(url).set(drivername="postgresql").render_as_string(False)
            self._connection = psycopg.connect(plain, autocommit=True)

    def sql(self, column: str, patterns: list[str], issued: bool) -> str:
        """On PostgreSQL a short word's needle (the mark first) is looked for among the
        marked words, by their own index, as the app does (`search_index.matching`)."""
        count = len(patterns)
        shorts = [p.startswith(WORD_START) for p in patterns]
        date = "issued_procedure_date" if issued else "procedure_date"
        columns = (
            "c.accession, c.status, c.patient_name, c.mrn, c.procedure_date, c.diagnosis, "
            "c.ordering_provider, c.assigned_pathologist, c.created_at, c.issued_count"
        )
        only = " AND c.issued_count > 0" if issued else ""
        order = f"ORDER BY c.{date} DESC NULLS LAST, c.id DESC LIMIT {PAGE}"
        if self.dialect == "sqlite":
            globs = " AND ".join([f"{column} GLOB ?"] * count) or "1"
            return (
                f"SELECT {columns} FROM cases c WHERE c.id IN "
                f"(SELECT rowid FROM cases_fts WHERE {globs}){only} {order}"
            )
        likes = " AND ".join(
            f"split_part(c.{column}, ' | ', 1) LIKE %s" if short else f"c.{column} LIKE %s"
            for short in shorts
        )
        return f"SELECT {columns} FROM cases c WHERE {likes or 'TRUE'}{only} {order}"

    def run(self, column: str, patterns: list[str], issued: bool) -> list[Any]:
        if self.dialect == "sqlite":
            args = [f"*{p}*" for p in patterns]
        else:
            args = [f"%{p}%" for p in patterns]
        sql = self.sql(column, patterns, issued)
        if self.dialect == "sqlite":
            return list(self._connection.execute(sql, args).fetchall())
        # planned for its values each time, as the app's connections are (db/engine.py)
        return list(self._connection.execute(sql, args, prepare=False).fetchall())

    def scan(self, column: str, words: list[str], issued: bool) -> list[Any]:
        """The old full scan: LIKE '%word%' over the key column of every row."""
        mark = "?" if self.dialect == "sqlite" else "%s"
        likes = " AND ".join([f"c.{column} LIKE {mark}"] * len(words)) or "1=1"
        date = "issued_procedure_date" if issued else "procedure_date"
        only = " AND c.issued_count > 0" if issued else ""
        sql = (
            f"SELECT c.accession FROM cases c WHERE {likes}{only} "
            f"ORDER BY c.{date} DESC, c.id DESC LIMIT {PAGE}"
        )
        return list(self._connection.execute(sql, [f"%{w}%" for w in words]).fetchall())

    def plan(self, column: str, patterns: list[str]) -> str:
        sql = "EXPLAIN " + self.sql(column, patterns, False)
        rows = self._connection.execute(sql, [f"%{p}%" for p in patterns]).fetchall()
        return "\n".join(row[0] for row in rows)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="SQLite file or PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scan", action="store_true", help="also time the old full scan")
    parser.add_argument(
        "--probed", action="store_true", help="also time the app probing whatever its estimate"
    )
    parser.add_argument(
        "--windows",
        help="SQLite: compare probe windows side by side, e.g. 0,500,2000 (0: index only)",
    )
    args = parser.parse_args()
    url = resolve_url(args.db)
    app = build(url, with_renderer=False)
    if args.windows:
        compare_windows(app, [int(w) for w in args.windows.split(",")], args.runs)
        return
    raw = RawSearch(url)
    with app.context.uow(read_only=True) as uow:
        users = {name: uow.users.get(name) for name in (PATHOLOGIST, CLINICIAN)}
    samples: dict[str, list[float]] = {"app": [], "raw": [], "scan": [], "probed": []}
    print(f"{raw.dialect}: {app.cases.count(users[PATHOLOGIST].user):,} cases")  # type: ignore[union-attr]
    print(
        f"{'query':<22} {'as':<10} {'rows':>5} {'app ms':>8} {'raw ms':>8} {'scan ms':>8}"
        f" {'probed ms':>9}"
    )
    for name, record in users.items():
        assert record is not None, f"no user {name}: fill the database with `marrowpath demo`"
        issued = name == CLINICIAN
        column = KEY_COLUMNS[1] if issued else KEY_COLUMNS[0]
        for text in QUERIES:
            patterns = needles(search_words(text))
            times: dict[str, list[float]] = {"app": [], "raw": [], "scan": [], "probed": []}
            rows: Any = None
            for _ in range(args.runs):
                ms, rows = timed(partial(app.cases.search, record.user, text, limit=PAGE))
                times["app"].append(ms)
                ms, raw_rows = timed(partial(raw.run, column, patterns, issued))
                times["raw"].append(ms)
                assert [r.accession for r in rows] == [r[0] for r in raw_rows], text
                if args.probed:
                    ms, probed_rows = timed(partial(_probed, app, record.user, text))
                    times["probed"].append(ms)
                    assert probed_rows == rows, text
            if args.scan:
                for _ in range(max(3, args.runs // 5)):
                    ms, _rows = timed(partial(raw.scan, column, search_words(text), issued))
                    times["scan"].append(ms)
            for kind, values in times.items():
                samples[kind] += values
            scan = f"{statistics.median(times['scan']):8.1f}" if times["scan"] else " " * 8
            probed = f"{statistics.median(times['probed']):9.1f}" if times["probed"] else ""
            print(
                f"{text:<22} {name:<10} {len(rows):>5} {statistics.median(times['app']):8.1f} "
                f"{statistics.median(times['raw']):8.1f} {scan} {probed}"
            )
    print()
    for kind, values in samples.items():
        if values:
            print(
                f"{kind:<5} median {statistics.median(values):7.1f} ms   "
                f"p99 {percentile(values, 0.99):7.1f} ms   ({len(values)} samples)"
            )
    ratio = statistics.median(samples["app"]) / statistics.median(samples["raw"])
    p99_ratio = percentile(samples["app"], 0.99) / percentile(samples["raw"], 0.99)
    print(f"app / raw: median {ratio:.2f}x, p99 {p99_ratio:.2f}x")
    if samples["probed"]:
        before = statistics.median(samples["app"]) / statistics.median(samples["probed"])
        before_p99 = percentile(samples["app"], 0.99) / percentile(samples["probed"], 0.99)
        print(f"app / probed: median {before:.2f}x, p99 {before_p99:.2f}x")
    if raw.dialect == "postgresql":
        for text in ("li xue", "papadopoulos"):
            print(f"\nplan of {text!r}:\n{raw.plan(KEY_COLUMNS[0], needles(search_words(text)))}")
    app.close()


def _probed(app: Any, user: Any, text: str) -> Any:
    """The app's search as before decision 91: the newest cases probed first always."""
    few, share = search_index.FEW_MATCHES, search_index.PROBED_SHARE
    search_index.FEW_MATCHES = search_index.PROBED_SHARE = 0
    try:
        return app.cases.search(user, text, limit=PAGE)
    finally:
        search_index.FEW_MATCHES, search_index.PROBED_SHARE = few, share


def compare_windows(app: Any, windows: list[int], runs: int) -> None:
    """The same first pages with each probe window in turn (interleaved, so the machine's
    load falls on all alike); window 0 asks the index alone, the baseline."""
    with app.context.uow(read_only=True) as uow:
        users = {name: uow.users.get(name).user for name in (PATHOLOGIST, CLINICIAN)}
    print(f"{'query':<22} {'as':<8}" + "".join(f"{'window ' + str(w):>13}" for w in windows))
    samples: dict[int, list[float]] = {w: [] for w in windows}
    for name, user in users.items():
        for text in QUERIES:
            times: dict[int, list[float]] = {w: [] for w in windows}
            pages = set()
            for _ in range(runs):
                for window in windows:
                    search_index.PROBE_WINDOW = window
                    ms, rows = timed(partial(app.cases.search, user, text, limit=PAGE))
                    times[window].append(ms)
                    pages.add(tuple(r.accession for r in rows))
            assert len(pages) == 1, f"{text}: the windows gave different pages"
            for window in windows:
                samples[window] += times[window]
            medians = "".join(f"{statistics.median(times[w]):13.1f}" for w in windows)
            print(f"{text:<22} {name:<8}{medians}")
    base = samples[windows[0]]
    for window in windows:
        values = samples[window]
        print(
            f"window {window:>5}: median {statistics.median(values):6.1f} ms, "
            f"p99 {percentile(values, 0.99):6.1f} ms, mean {statistics.mean(values):6.1f} ms; "
            f"vs window {windows[0]}: p99 {percentile(values, 0.99) / percentile(base, 0.99):.2f}x"
        )


if __name__ == "__main__":
    main()
