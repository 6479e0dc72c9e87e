"""Counts are estimates: the exact (Clopper-Pearson) 95 % confidence interval of a count.

A differential percentage is a binomial proportion: 20 blasts of 100 cells and 100 of 500
both read "20.0 %", but the first could well be 13 % or 29 %. `clinical-rules.md`
section 1 asks for the exact interval (as Rümke's tables and CLSI H20 give it), computed
without scipy: the binomial CDF is inverted by bisection on the proportion, to 1e-7.

The CDF is evaluated through the regularised incomplete beta function (a continued
fraction, a few hundred terms even for 100,000 cells) rather than by summing the
binomial terms, so a live editor can recompute every category on each key press.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

TOLERANCE = 1e-7
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A confidence interval in percent (0-100) of a count out of a total."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@lru_cache(maxsize=4096)
def clopper_pearson(count: int, total: int, confidence: float = CONFIDENCE) -> Interval:
    """The exact two-sided interval of count/total, in percent.

    The lower bound is the proportion at which seeing `count` or more has probability
    alpha/2; the upper bound the one at which seeing `count` or fewer has alpha/2.
    Cached: the flags, the checks and the editor ask for the same counts again and again.
    """
    if total <= 0 or not 0 <= count <= total:
        raise ValueError(f"need 0 <= count <= total and total > 0, got {count} of {total}")
    tail = (1 - confidence) / 2
    low = 0.0
    if count > 0:
        # P(X >= count | p) rises with p
        low = _bisect(lambda p: 1 - binomial_cdf(count - 1, total, p) < tail)
    high = 1.0
    if count < total:
        # P(X <= count | p) falls with p
        high = _bisect(lambda p: binomial_cdf(count, total, p) > tail)
    return Interval(100 * low, 100 * high)


def _bisect(below_root: Callable[[float], bool]) -> float:
    """The proportion in [0, 1] where the monotone predicate turns from true to false."""
    lo, hi = 0.0, 1.0
    while hi - lo > TOLERANCE:
        middle = (lo + hi) / 2
        if below_root(middle):
            lo = middle
        else:
            hi = middle
    return (lo + hi) / 2


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), as I_{1-p}(n - k, k + 1)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return regularized_beta(1 - p, n - k, k + 1)


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) by the continued fraction (Numerical Recipes 6.4, modified Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(x, a, b) / a
    return 1 - front * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    tiny = 1e-300
    c = 1.0
    d = 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 100_000):
        even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 + even * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + even / c if abs(1 + even / c) > tiny else tiny
        result *= d * c
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + odd * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + odd / c if abs(1 + odd / c) > tiny else tiny
        delta = d * c
        result *= delta
        if abs(delta - 1) < 1e-15:
            return result
    return result
