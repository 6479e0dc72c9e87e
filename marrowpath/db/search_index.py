"""Search conditions that a trigram index answers, on SQLite and on PostgreSQL.

Every folded query word must be a substring of the case's search key (the working or
the issued one), read as a "needle" (`domain/search_key.needles`). A plain
`LIKE '%needle%'` reads every row, so each database answers from a trigram index:

- SQLite: the FTS5 table `cases_fts` (trigram tokenizer) holds both keys of every case
  under the case's id; triggers on `cases` keep it in step in the same transaction, so
  every path that writes a case (services, bulk demo inserts, migrations) stays indexed.
  It is queried with GLOB, which FTS5 answers from the index (LIKE with an ESCAPE clause
  is not); `*`, `?` and `[` in a word are escaped as `[*]`, `[?]`, `[[]`. FTS5 checks each
  candidate against its own copy of the key, never the wide case row.
  A word that matches a third of all cases ("leukemia") makes FTS5 produce and check every
  match before the newest page can be chosen (about 0.9 s at 100,000 cases), where a walk
  of the newest cases in date order finds a full page after a few hundred rows. So the
  worklist's first page is first looked for among the newest `PROBE_WINDOW` cases
  (`newest_matching`, the same substring test on FTS5's copy of the key) when the index
  finds at least a page of matches (`first_matches`); when it finds fewer, they are all
  the matches, and the page is read by their ids; when the probe leaves the page short,
  the index answers.
- PostgreSQL: the GIN `gin_trgm_ops` indexes of migrations 0003 and 0010 answer
  `LIKE '%needle%'` on the key columns themselves. The planner sorts every match of a
  common word before it takes a page (0.8 s for "leukemia" at a million cases), so the
  newest cases are probed first here too when the keys' statistics (migration 0024)
  count many matches (`worth_probing`, the planner's own reckoning done here from the
  statistics it reads, decisions 91 and 92); words they count in few cases go to the
  index at once, which answers in a millisecond or two where the probe, a walk of 2,000
  rows of the date index, cost about 6 ms first.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Integer,
    Select,
    Text,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.sql.elements import ColumnElement

from marrowpath.db.key_statistics import key_statistics
from marrowpath.db.models import CaseRow, marked_words

TABLE = "cases_fts"
# FTS5 keeps its index in shadow tables named after it: cases_fts_data, cases_fts_idx...
SHADOW_PREFIX = f"{TABLE}_"
KEY_COLUMNS = ("search_key", "issued_search_key")

_fts = table(TABLE, column("rowid"), *(column(name) for name in KEY_COLUMNS))

# detail=none: no token positions (a third of the size); FTS5 still checks each
# candidate's text against the whole pattern. columnsize=0: no per-row sizes (no ranking).
CREATE_STATEMENTS = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    f"{', '.join(KEY_COLUMNS)}, tokenize='trigram', detail='none', columnsize=0)",
    f"""CREATE TRIGGER {TABLE}_insert AFTER INSERT ON cases BEGIN
        INSERT INTO {TABLE}(rowid, search_key, issued_search_key)
        VALUES (new.id, new.search_key, new.issued_search_key);
    END""",
    f"""CREATE TRIGGER {TABLE}_update AFTER UPDATE OF search_key, issued_search_key ON cases
    WHEN old.search_key IS NOT new.search_key
        OR old.issued_search_key IS NOT new.issued_search_key
    BEGIN
        UPDATE {TABLE} SET search_key = new.search_key, issued_search_key = new.issued_search_key
        WHERE rowid = new.id;
    END""",
    f"""CREATE TRIGGER {TABLE}_delete AFTER DELETE ON cases BEGIN
        DELETE FROM {TABLE} WHERE rowid = old.id;
    END""",
)
FILL_STATEMENT = (
    f"INSERT INTO {TABLE}(rowid, search_key, issued_search_key) "
    "SELECT id, search_key, issued_search_key FROM cases"
)
DROP_STATEMENTS = (
    *(f"DROP TRIGGER IF EXISTS {TABLE}_{event}" for event in ("insert", "update", "delete")),
    f"DROP TABLE IF EXISTS {TABLE}",
)


def is_index_table(name: str) -> bool:
    """The FTS5 table and its shadow tables, which the models do not declare."""
    return name == TABLE or name.startswith(SHADOW_PREFIX)


def matching(
    dialect: str, key: Any, marked: Sequence[bool], literal: Sequence[bool] = ()
) -> list[ColumnElement[bool]]:
    """Conditions on `cases` that hold when every needle occurs in `key` (a key column):
    one per needle, whose pattern is the parameter `needle_parameter(i)` (`pattern`);
    `marked[i]`: the needle is a short word's (the mark, then the word); SQLite:
    `literal[i]`: it holds a GLOB special character (`is_literal`)."""
    if not marked:
        return []
    patterns = [_needle(i) for i in range(len(marked))]
    if dialect == "sqlite":
        fts_key = _fts.c[key.key]
        tests = _fts_tests(fts_key, patterns, literal)
        return [CaseRow.id.in_(select(_fts.c.rowid).where(*tests))]
    return [_where(key, m).like(p, escape="\\") for m, p in zip(marked, patterns, strict=True)]


# FTS5 (SQLite 3.40) crashes the whole process on a GLOB holding a bracket escape
# ("*[*]*") beside another GLOB (found by review; "?a 5%" crashed `marrowpath search`). A
# needle holding one of GLOB's special characters is therefore tested with `instr` on
# FTS5's copy of the key, and the index answers from the other words (from a scan of
# its copies when every word holds one).
_GLOB_SPECIAL = frozenset("[*?")


def is_literal(needle: str) -> bool:
    """SQLite: the needle is tested with `instr`, not GLOB (`_GLOB_SPECIAL`)."""
    return not _GLOB_SPECIAL.isdisjoint(needle)


def _fts_tests(fts_key: Any, patterns: Sequence[Any], literal: Sequence[bool]) -> list[Any]:
    flags = list(literal) or [False] * len(patterns)
    return [
        func.instr(fts_key, p) > 0 if lit else fts_key.op("GLOB")(p)
        for p, lit in zip(patterns, flags, strict=True)
    ]


def pattern(dialect: str, needle: str) -> str:
    """The value of a needle's parameter in `matching` and `first_matches`: `*needle*` for
    FTS5's GLOB (the needle itself for `instr`, `is_literal`), `%needle%` for LIKE with
    the needle's own special characters taken literally."""
    if dialect == "sqlite":
        return needle if is_literal(needle) else f"*{needle}*"
    return f"%{_like(needle)}%"


def patterns(dialect: str, needles: Sequence[str]) -> dict[str, str]:
    """The values of the needles' parameters in `matching` and `first_matches`."""
    return {needle_parameter(i): pattern(dialect, needle) for i, needle in enumerate(needles)}


def needle_parameter(index: int) -> str:
    return f"needle_{index}"


def _needle(index: int) -> BindParameter[str]:
    return bindparam(needle_parameter(index), type_=Text)


def _where(key: Any, marked: bool) -> Any:
    """PostgreSQL: a short word's needle (the mark, then the word) among the marked words
    only, which their own trigram index answers (models.py); any other in the whole key."""
    return marked_words(key) if marked else key


# Newest cases probed before the index: about 5 ms of rows by rowid at 100,000 cases, the
# same at a million, enough for a page of 200 when one case in ten matches. Only words
# with at least a page of matches are probed: the index finds a page's worth of matches
# in about a millisecond, so a rare word never pays for the probe.
PROBE_WINDOW = 2000
# A word in a few per cent of the cases ("aplastic anemia") leaves the first window short
# of a page but shows how many a page needs: one more window that size, up to this many
# cases (a walk of about 40 ms at a million), costs less than the index's every match
# sorted (150-200 ms at a million for such a word).
LARGEST_WINDOW = 30_000


# PostgreSQL: a search whose words the keys' statistics count in fewer cases than this
# goes to the trigram index without the probe. The index fetches and sorts every match,
# about 10-15 microseconds each when the rows are in memory, so this many cost about the
# probe's 6 ms and a tenth of the 150 ms aim even when the estimate is several times too
# low.
FEW_MATCHES = 1000
# ... nor a search in under this share of the cases: fewer than 10 of the first window's
# 2,000 would match, too few to size a second window within `LARGEST_WINDOW`, so the
# probe would only add its walk to the index's sort (at a million cases, 5,000 matches
# sort in about 60 ms). One key of the histogram's thousand is 0.1 %: a word must hold
# five to be probed.
PROBED_SHARE = 0.005


def worth_probing(connection: Connection, key: Any, needles: list[str]) -> bool:
    """PostgreSQL: whether the newest cases are worth probing for a first page of the
    needles (one per query word): when the cases that hold every needle may be at least
    `FEW_MATCHES` and `PROBED_SHARE` of them. The count is the planner's own reckoning
    from the key's statistics (`key_statistics.KeyStatistics.matches`), the fewest for
    any one needle, filters aside. Taken together the words would count as independent,
    and "aplastic anemia" (1 % of cases, the two words always together) would look rare;
    one at a time, the figure can only be too high, which costs at most a probe."""
    statistics = key_statistics(connection, key.key)
    most = min(statistics.matches(needle) for needle in needles)
    return most >= max(FEW_MATCHES, statistics.rows * PROBED_SHARE)


def unindexed_order(column: Any) -> Any:
    """PostgreSQL: `column` as an expression no index is built on (`column + 0`, the
    same values), to sort by when the trigram index is asked for a page of matches. The
    planner takes several words as independent, so it takes several common words for a
    common combination and walks the date index for them until a page is found: through
    the whole table when they never meet ("leukemia myeloma", 2.6 s at a million cases;
    "plasma cell neoplasm", 0.5 s). Without an index in the order it asks the trigram
    index for the cases that hold every word (60 and 135 ms) and sorts those."""
    return column + literal_column("0")


def next_window(window: int, found: int, page: int) -> int:
    """The window to probe after `window` newest cases held `found` of a `page`: one
    expected to hold the page with half as many again to spare, or 0 (ask the index)
    when nothing matched, when that is past `LARGEST_WINDOW`, or after a second window."""
    if found == 0 or window > PROBE_WINDOW:
        return 0
    wanted = window * page * 3 // (found * 2) + 1
    return wanted if wanted <= LARGEST_WINDOW else 0


@lru_cache(maxsize=64)
def first_matches(column: str, literal: tuple[bool, ...]) -> Select[Any]:
    """SQLite: the ids of the first `limit` (a parameter) cases the index finds holding
    every needle (one per entry of `literal`, their patterns as in `matching`) in the
    key `column`, in no order: every match when there are fewer. Built once for each
    column and kind of words (`case_pages`, decision 94)."""
    fts_key = _fts.c[column]
    patterns = [_needle(i) for i in range(len(literal))]
    return (
        select(_fts.c.rowid)
        .where(*_fts_tests(fts_key, patterns, literal))
        .limit(bindparam("limit", type_=Integer))
    )


def newest_matching(dialect: str, key: Any, newest: Any, marked: Sequence[bool]) -> list[Any]:
    """Conditions that hold for the cases among `newest` (the newest in the worklist's
    order: on SQLite a select of their ids, on PostgreSQL a condition on the sort
    column and id) whose `key` holds every needle (each the parameter
    `needle_parameter(i)`, the needle itself): the probe that answers a common word
    without the index. The first `limit` rows it finds, in the worklist's order, are
    exactly the index's first `limit` when there are that many.

    On SQLite the test reads FTS5's copy of the key. On PostgreSQL the row comparison
    bounds a walk of the newest rows by the date index, and the words are tested by
    `strpos(key, needle) > 0`, the same test as the index's LIKE but one no trigram
    index covers. Given the choice, the planner multiplied the shares of several words,
    took common words for a rare combination and combined the window with every match
    from the trigram indexes ("plasma cell myeloma": 120-130 ms; "a" from the marked
    words: 24 ms); so the probe never costs more than its window. The planner cannot
    count what `strpos` matches and takes a third of the rows for each word, so for one
    or two words it walks the date index in order and stops at a page ("leukemia": 2.8
    ms for the 835 newest rows it needs at a million cases, where `key || '' LIKE`,
    counted as rare, read and sorted the whole window of 2,000 in 7-16 ms).
    """
    needles = [_needle(i) for i in range(len(marked))]
    if dialect == "sqlite":
        fts_key = _fts.c[key.key]
        ids = select(_fts.c.rowid).where(
            _fts.c.rowid.in_(newest), *(func.instr(fts_key, n) > 0 for n in needles)
        )
        return [CaseRow.id.in_(ids)]
    return [
        newest,
        *(func.strpos(_where(key, m), n) > 0 for m, n in zip(marked, needles, strict=True)),
    ]


def _like(needle: str) -> str:
    return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
