"""The planner's count of `LIKE '%word%'` from a key's statistics (`KeyStatistics`),
worked by hand: PostgreSQL's `patternsel` on a histogram, common values and nulls."""

from __future__ import annotations

import pytest

from marrowpath.db.key_statistics import KeyStatistics
from marrowpath.domain.search_key import TEXT_SEPARATOR, WORD_START

# 12 bounds: the first and last are the column's extremes, which the planner leaves out
HISTOGRAM = (
    "aaa",
    *(f"{WORD_START}bm26{TEXT_SEPARATOR}leukemia" for _ in range(3)),
    *(f"{WORD_START}mrn{TEXT_SEPARATOR}myeloma bm" for _ in range(7)),
    "zzz leukemia",
)


def test_the_share_of_the_inner_histogram_bounds_scaled_to_the_rows() -> None:
    statistics = KeyStatistics(rows=1000, histogram=HISTOGRAM)
    assert statistics.matches("leukemia") == pytest.approx(300)  # 3 of 10, not 4 of 12
    assert statistics.matches("myeloma") == pytest.approx(700)


def test_nulls_and_common_values_are_outside_the_histogram() -> None:
    statistics = KeyStatistics(
        rows=1000,
        null_fraction=0.2,
        common_values=("", "leukemia x"),
        common_frequencies=(0.3, 0.1),
        histogram=HISTOGRAM,
    )
    # the histogram stands for the 40 % neither null nor common; the common one adds 10 %
    assert statistics.matches("leukemia") == pytest.approx(1000 * (0.3 * 0.4 + 0.1))
    assert statistics.matches("myeloma") == pytest.approx(1000 * 0.7 * 0.4)


def test_no_share_is_believed_below_one_in_ten_thousand_or_above_9999() -> None:
    statistics = KeyStatistics(rows=1_000_000, histogram=HISTOGRAM)
    assert statistics.matches("xyzzy") == pytest.approx(100)
    assert statistics.matches(WORD_START) == pytest.approx(999_900)


def test_a_short_word_s_needle_is_looked_for_in_the_marked_words_only() -> None:
    statistics = KeyStatistics(rows=1000, histogram=HISTOGRAM)
    assert statistics.matches(WORD_START + "bm") == pytest.approx(300)  # not the 7 "bm"
    assert statistics.matches("bm") == pytest.approx(999.9)


def test_without_statistics_every_row_may_match() -> None:
    assert KeyStatistics(rows=5000).matches("xyzzy") == pytest.approx(4999.5)


def test_a_key_holding_the_needle_twice_counts_once() -> None:
    statistics = KeyStatistics(rows=100, histogram=("a", "bm bm bm", "x", "y bm", "bm bm", "z"))
    assert statistics.matches("bm") == pytest.approx(75)  # 3 of the 4 inner bounds
