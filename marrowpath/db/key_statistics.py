"""PostgreSQL: how many cases a search word matches, counted as the planner counts it,
from the statistics ANALYZE keeps of a search-key column (decision 92).

The planner estimates `key LIKE '%word%'` from a histogram of up to 1,001 keys
(migration 0024), the column's most common values and its null fraction. Asking it
(`EXPLAIN`) cost 1.3-1.8 ms a word at a million cases, as long as the raw query of the
trigram index; reading the statistics once and counting here costs tens of
microseconds a word.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

from sqlalchemy import Connection, text

from marrowpath.domain.search_key import TEXT_SEPARATOR, WORD_START

# How long a connection keeps the statistics before it reads them again. ANALYZE (by
# hand after an import, or autovacuum's) changes them seldom, and a stale figure only
# chooses between two paths to the same page.
STATISTICS_MAX_AGE = 600.0
_CACHED = "marrowpath_key_statistics"  # the key of the cache in `Connection.info`


class KeyWords:
    """The distinct words of some keys (split at spaces), each with the keys that hold
    it. A needle (one query word: no space) lies within one word of a key, so the keys
    holding it are found by a scan of the distinct words: about 70,000 characters for a
    thousand keys, where the keys themselves run to 350,000 (the same diagnosis words
    in most of them)."""

    _END = "\0"  # ends each word: PostgreSQL's text cannot hold it, nor can a needle

    def __init__(self, keys: Sequence[str]) -> None:
        holders: dict[str, set[int]] = {}
        for index, key in enumerate(keys):
            for word in key.split(" "):
                holders.setdefault(word, set()).add(index)
        words = list(holders)
        self._holders = [holders[word] for word in words]
        self._text = "".join(f"{word}{self._END}" for word in words)
        self._ends = [after - 1 for after in accumulate(len(word) + 1 for word in words)]

    def holding(self, needle: str) -> int:
        """How many of the keys hold `needle`."""
        keys: set[int] = set()
        at = self._text.find(needle)
        while at >= 0:
            word = bisect_left(self._ends, at)
            keys |= self._holders[word]
            at = self._text.find(needle, self._ends[word] + 1)
        return len(keys)


@dataclass(frozen=True)
class KeyStatistics:
    """What ANALYZE keeps of one search-key column (`pg_stats`) and the table's rows
    (`pg_class`)."""

    rows: float
    null_fraction: float = 0.0
    common_values: tuple[str, ...] = ()
    common_frequencies: tuple[float, ...] = ()
    histogram: tuple[str, ...] = ()

    def matches(self, needle: str) -> float:
        """How many cases hold `needle`, counted as PostgreSQL's planner counts a
        `LIKE '%needle%'` (`patternsel` in selfuncs.c): the share of the histogram's
        inner bounds that hold it, kept within 0.0001-0.9999 and scaled to the rows that
        are neither null nor a common value, plus the frequencies of the common values
        that hold it. A short word's needle (the mark first) is looked for in the marked
        words, where the index looks for it (`models.marked_words`). No histogram
        (never analysed): every row."""
        marked = needle.startswith(WORD_START)
        inner = len(self.histogram) - 2
        holding = (self._marked_words if marked else self._words).holding(needle)
        share = holding / inner if inner > 0 else 1.0
        share = min(max(share, 0.0001), 0.9999)
        part = marked_part if marked else str
        common = sum(
            frequency
            for key, frequency in zip(self.common_values, self.common_frequencies, strict=True)
            if needle in part(key)
        )
        rest = 1.0 - self.null_fraction - sum(self.common_frequencies)
        return (share * rest + common) * self.rows

    # The histogram's first and last bounds are the column's extremes, which the planner
    # leaves out (`histogram_selectivity`, n_skip 1).
    @cached_property
    def _words(self) -> KeyWords:
        return KeyWords(self.histogram[1:-1])

    @cached_property
    def _marked_words(self) -> KeyWords:
        return KeyWords([marked_part(key) for key in self.histogram[1:-1]])


def marked_part(key: str) -> str:
    """`models.marked_words` in Python: the key up to its first separator."""
    return key.split(TEXT_SEPARATOR, 1)[0]


_STATISTICS_QUERY = text(
    "SELECT c.reltuples, s.null_frac, s.most_common_vals::text::text[], "
    "s.most_common_freqs, s.histogram_bounds::text::text[] "
    "FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema() "
    "AND s.tablename = c.relname AND s.attname = :column AND NOT s.inherited "
    "WHERE c.oid = to_regclass('cases')"
)


def key_statistics(connection: Connection, column: str) -> KeyStatistics:
    """The statistics of one key column of `cases`, read at most every
    `STATISTICS_MAX_AGE` seconds per connection and kept with the pooled connection
    (`Connection.info`), with the words of their keys."""
    cache: dict[str, tuple[float, KeyStatistics]] = connection.info.setdefault(_CACHED, {})
    now = time.monotonic()
    read = cache.get(column)
    if read is None or now - read[0] > STATISTICS_MAX_AGE:
        read = cache[column] = (now, _read_statistics(connection, column))
    return read[1]


def _read_statistics(connection: Connection, column: str) -> KeyStatistics:
    row = connection.execute(_STATISTICS_QUERY, {"column": column}).one()
    tuples, null_fraction, common, frequencies, histogram = row
    # -1: never vacuumed or analysed; its size unknown, it is taken as large
    rows = float(tuples) if tuples >= 0 else float("inf")
    if null_fraction is None:
        return KeyStatistics(rows)
    return KeyStatistics(
        rows,
        float(null_fraction),
        tuple(common or ()),
        tuple(float(f) for f in frequencies or ()),
        tuple(histogram or ()),
    )
