"""What is surging: entities and title terms whose share of the window's articles stands out against their own
share over a baseline: the 30 whole UTC days before the day the window starts (by default).

The window [since, until) is counted article by article; the baseline in whole publication days, because it is
read from per-day counts that the search indexer keeps (dragoman.store.schema.front, migration 421), so a surge
query costs the same at a million articles as at a thousand. The hours between midnight UTC and the window's
start belong to neither (at most a day, against 30 in the baseline: the shares barely move).

The statistic is a one-sided Poisson test. For an item (an entity key or a title term) seen in ``x`` of the
window's ``N`` articles, and in ``b`` of the baseline's ``B`` articles, the expected count in the window is

    lambda = N * (b + PRIOR) / (B + PRIOR)

(its baseline share, smoothed with a pseudo-count so that an item never seen before has a small, non-zero
expectation), and the surge's p-value is P(X >= x) for X ~ Poisson(lambda). Shares, not raw counts, are compared,
so a corpus whose volume grows (a monitor started yesterday, an outlet added) does not make everything surge: with
no baseline at all, lambda = N and nothing does. An item surges when x >= ``min_count`` articles and p <= ``max_p``
(1e-3 by default: a front page tests a few hundred items, so about one chance surge per several front pages is
tolerated); surging items are ranked by -log10(p). The test ignores the daily rhythm within a day, which is why
windows shorter than a day (6 h) are judged against the baseline's average rate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from dragoman.article import attributes

PRIOR = 1.0
DEFAULT_MIN_COUNT = 3
DEFAULT_MAX_P = 1e-3
BASELINE_DAYS = 30

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Words every headline uses: they would surge whenever the volume of a day shifts between rubrics.
_STOPWORD_TEXT = """about above after again against also among amid been before being below between both could does
doing down during each even from further have having here into itself just more most much must only other over said
says same should since some such than that their them then there these they this those through under until very were
what when where which while will with would your year years week weeks today told news report reports first last next
new"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class Surge:
    key: str  # entity key, or the term itself
    label: str  # what to show: the entity's English name, or the term
    kind: str  # entity | term
    window_count: int  # articles in the window that carry it
    baseline_count: int  # articles in the baseline that carry it
    expected: float  # lambda: what the baseline share predicts for the window
    p_value: float

    @property
    def ratio(self) -> float:
        return self.window_count / self.expected if self.expected > 0 else math.inf

    @property
    def score(self) -> float:
        """-log10(p): how surprising the window's count is (higher surges more)."""
        return -math.log10(max(self.p_value, 1e-300))

    def to_dict(self) -> dict[str, object]:
        return {
            **attributes(self, "key label kind window_count baseline_count"),
            "expected": round(self.expected, 3),
            "ratio": round(self.ratio, 2) if math.isfinite(self.ratio) else None,
            "p_value": self.p_value,
            "score": round(self.score, 2),
        }


def poisson_sf(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), summed from ``count`` upwards in log space (accurate in the far
    tail, where 1 - CDF would round to 0)."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if count <= mean:  # not in the upper tail: the complement is the stable sum
        below = sum(math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) for k in range(count))
        return min(1.0, max(0.0, 1.0 - below))
    log_term = count * math.log(mean) - mean - math.lgamma(count + 1)
    total = 0.0
    k = count
    while True:
        term = math.exp(log_term)
        total += term
        k += 1
        log_term += math.log(mean) - math.log(k)
        if term < total * 1e-12 or k > count + 100_000:
            return min(1.0, total)


def surges(
    window: Mapping[str, int],
    baseline: Mapping[str, int],
    *,
    window_total: int,
    baseline_total: int,
    labels: Mapping[str, str] | None = None,
    kind: str = "entity",
    min_count: int = DEFAULT_MIN_COUNT,
    max_p: float = DEFAULT_MAX_P,
) -> list[Surge]:
    """The items of ``window`` (item -> articles) that surge against ``baseline``, most surprising first."""
    found: list[Surge] = []
    log_max_p = math.log(max_p) if max_p > 0 else -math.inf
    for key, count in window.items():
        if count < min_count:
            continue
        seen = baseline.get(key, 0)
        expected = window_total * (seen + PRIOR) / (baseline_total + PRIOR)
        if count <= expected and max_p < 0.5:
            continue  # no more than expected: P(X >= count) >= 1/2 (a Poisson's median is at least mean - ln 2)
        if count * math.log(expected) - expected - math.lgamma(count + 1) > log_max_p:
            continue  # P(X >= count) >= P(X = count) > max_p: no need to sum the tail
        p = poisson_sf(count, expected)
        if p <= max_p:
            label = (labels or {}).get(key) or key
            found.append(Surge(key, label, kind, count, seen, expected, p))
    found.sort(key=lambda s: (-s.score, -s.window_count, s.label))
    return found


def title_terms(title: str) -> set[str]:
    """The words of an English headline that can surge: lower-cased, four letters or more, no stopwords."""
    return {w for w in (m.group().lower().strip("'-") for m in _WORD.finditer(title)) if len(w) >= 4} - _STOPWORDS
