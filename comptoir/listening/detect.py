"""When an hour is unusual: the thresholds of the spike and negative-surge alerts, with no database.

An hour's mentions are compared with the same hour of the previous days (the same hour of day, so a
quiet night is not compared with a busy lunchtime). Counts of mentions are noisy, all the more when
they are small: 0 then 3 mentions is chance, not a bad buzz. So a count is unusual only when it is
at the same time

- at least the rule's minimum (``min_mentions``),
- unlikely if mentions came at the usual rate (a Poisson tail below ``alpha``),
- far from the usual level in the history's own spread (median + k × MAD: robust to a past spike),
- a multiple of the usual level (``ratio``).

The usual level is floored (``FLOOR``), so an hour that is always silent does not make one mention a spike.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# The usual level never counts as less than this many mentions an hour.
FLOOR = 1.0
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class Sensitivity:
    alpha: float  # the Poisson tail an hour must fall in
    k: float  # how many robust standard deviations above the median
    ratio: float  # how many times the usual level
    share_gain: float  # negative surge: how many points of negative share above the usual share


SENSITIVITIES = {
    "low": Sensitivity(alpha=1e-6, k=6.0, ratio=3.0, share_gain=0.30),
    "medium": Sensitivity(alpha=1e-4, k=4.0, ratio=2.0, share_gain=0.20),
    "high": Sensitivity(alpha=1e-3, k=3.0, ratio=1.5, share_gain=0.10),
}


def poisson_threshold(lam: float, alpha: float) -> int:
    """The smallest n with P(X ≥ n) < alpha for X ~ Poisson(lam): counts from n on are unlikely by chance."""
    lam = max(float(lam), 1e-9)
    if lam > 200:
        # The normal approximation is good there, and the exact sum would be long.
        z = statistics.NormalDist().inv_cdf(1 - alpha)
        return math.ceil(lam + z * math.sqrt(lam) + 0.5)
    term = math.exp(-lam)  # P(X = 0)
    below = term  # P(X ≤ n - 1) once n = 1
    n = 1
    while 1 - below >= alpha and n < 10_000:
        term *= lam / n
        below += term
        n += 1
    return n


def usual_level(history: list[int]) -> tuple[float, float]:
    """The history's median and its robust standard deviation (scaled MAD)."""
    if not history:
        return 0.0, 0.0
    median = statistics.median(history)
    mad = statistics.median(abs(x - median) for x in history)
    return float(median), MAD_TO_SD * mad


@dataclass(frozen=True)
class Verdict:
    unusual: bool
    count: int
    expected: float
    threshold: int


def judge_count(count: int, history: list[int], sensitivity: str, min_mentions: int) -> Verdict:
    """Is ``count`` (this hour) unusual against ``history`` (the same hour on previous days)?"""
    s = SENSITIVITIES.get(sensitivity, SENSITIVITIES["medium"])
    median, spread = usual_level(history)
    expected = max(median, FLOOR)
    threshold = max(
        int(min_mentions), 1,
        poisson_threshold(expected, s.alpha),
        math.ceil(median + s.k * spread),
        math.ceil(s.ratio * expected),
    )
    return Verdict(count >= threshold, count, median, threshold)


@dataclass(frozen=True)
class SurgeVerdict:
    unusual: bool
    negative: int
    total: int
    share: float
    usual_share: float
    count_verdict: Verdict


def judge_negative(negative: int, total: int, negative_history: list[int], usual_share: float,
                   sensitivity: str, min_mentions: int) -> SurgeVerdict:
    """A negative surge: more negative mentions than usual for this hour, and a larger share of them."""
    s = SENSITIVITIES.get(sensitivity, SENSITIVITIES["medium"])
    by_count = judge_count(negative, negative_history, sensitivity, min_mentions)
    share = negative / total if total else 0.0
    unusual = by_count.unusual and share >= min(1.0, usual_share + s.share_gain)
    return SurgeVerdict(unusual, negative, total, share, usual_share, by_count)


def still_high(count: int, expected: float, threshold: int, min_mentions: int) -> bool:
    """An incident under way goes on while the hour stays above halfway between usual and alerting levels
    (no flapping at the edge, and a normal hour is not "still high")."""
    return count >= max(int(min_mentions), 1, math.ceil((max(expected, FLOOR) + threshold) / 2))
