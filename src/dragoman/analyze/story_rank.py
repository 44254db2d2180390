"""Ranking the top stories: by the number of distinct outlets that carry a story, weighted by recency.

A story's score sums, over the outlets that carried it inside the window, 2^(-age / half-life), where age is
the time from that outlet's latest article on the story to now, and the half-life is the window itself (an
outlet at the window's start counts half). Five outlets this morning outrank five outlets yesterday, and three
outlets yesterday still outrank one outlet an hour ago; repeats by one outlet (updates, rewrites) do not count
twice, so a single prolific outlet cannot push a story up on its own. Ties go to more articles, then the newest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class OutletPresence:
    outlet: str
    articles: int
    first_seen: datetime
    last_seen: datetime


@dataclass(slots=True)
class RankedStory:
    key: int  # story id; an article without a story is its own story, keyed by minus its article id
    score: float
    outlets: list[OutletPresence] = field(default_factory=list)

    @property
    def outlet_count(self) -> int:
        return len(self.outlets)

    @property
    def article_count(self) -> int:
        return sum(o.articles for o in self.outlets)

    @property
    def first_seen(self) -> datetime:
        return min(o.first_seen for o in self.outlets)

    @property
    def last_seen(self) -> datetime:
        return max(o.last_seen for o in self.outlets)


def half_life(window: timedelta) -> timedelta:
    return max(window, timedelta(hours=1))


def rank_stories(presences: dict[int, list[OutletPresence]], *, now: datetime, window: timedelta) -> list[RankedStory]:
    """Stories (key -> the outlets carrying it in the window) ranked best first."""
    life = half_life(window).total_seconds()
    ranked = []
    for key, outlets in presences.items():
        if not outlets:
            continue
        score = sum(2.0 ** (-max(0.0, (now - o.last_seen).total_seconds()) / life) for o in outlets)
        ordered = sorted(outlets, key=lambda o: (-o.articles, o.first_seen, o.outlet))
        ranked.append(RankedStory(key, score, ordered))
    ranked.sort(key=lambda s: (-round(s.score, 9), -s.article_count, -s.last_seen.timestamp(), s.key))
    return ranked
