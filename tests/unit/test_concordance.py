"""The second observer's count against the reported one (`bench.md` section 1): for
blasts and plasma cells, each value within the other count's exact 95 % interval."""

from __future__ import annotations

from fractions import Fraction

from marrowpath.domain.concordance import cells, concordance

FIRST = {"blasts": 60, "neutrophils": 430, "plasma_cells": 10}  # 500 cells: 12.0 %, 2.0 %


def test_counts_within_each_others_intervals_agree() -> None:
    # 30 of 200 = 15.0 % lies in 9.28-15.18 (60 of 500); 12.0 % lies in 10.35-20.70
    result = concordance(FIRST, {"blasts": 30, "neutrophils": 166, "plasma_cells": 4})
    assert result.comparable and result.concordant
    blasts, plasma = result.agreements
    assert (blasts.category, plasma.category) == ("blasts", "plasma_cells")
    assert blasts.difference == Fraction(3)
    assert result.lines()[0].startswith("Concordant for blasts and plasma cells")
    assert "second 15.0 % (30 of 200 cells; 95 % CI 10.4-20.7): concordant" in result.lines()[1]


def test_one_side_outside_is_enough_to_disagree_and_is_named() -> None:
    # 18 of 100 = 18.0 % is above 15.18; 12.0 % lies within 18 of 100's 11.0-26.9
    result = concordance(FIRST, {"blasts": 18, "neutrophils": 80, "plasma_cells": 2})
    blasts, plasma = result.agreements
    assert not blasts.second_in_first and blasts.first_in_second and not blasts.concordant
    assert plasma.concordant and not result.concordant
    assert result.lines()[0].startswith("Discordant for blasts (rule:")
    assert blasts.text().endswith(
        "discordant (the second value lies outside the reported interval)"
    )


def test_a_bound_itself_is_within() -> None:
    # 0 of 500 has the interval 0.00-0.74: a second 0 of 100 (0.0 %) lies on its bound
    result = concordance({"neutrophils": 500}, {"neutrophils": 100})
    assert result.concordant


def test_nothing_counted_cannot_be_compared() -> None:
    assert concordance({}, {"blasts": 3}).lines() == [
        "No concordance yet: the reported differential has no cells counted."
    ]
    assert not concordance(FIRST, {"blasts": "x"}).comparable
    assert cells({"blasts": 3, "other": -1, "bands": True, "monocytes": "2"}) == 3
