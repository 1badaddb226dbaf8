"""The site ranking (公开排名): a composite adoption score, its weights in one place.

    score = 100 × (40 × adoption + 30 × daily activity + 10 × attendance data quality
                   + 20 × reports answered within SLA) / (the weights of the measures it has)

A measure a site has no data for (no reports due, say) is left out and the others
count in its place; a site with no data at all scores 0. Equal scores share a place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from app.dashboard.kpis import Figures, figures
from app.dashboard.periods import Period

WEIGHTS = {"adoption": 40, "activity": 30, "attendance_quality": 10, "within_sla": 20}


def score(figures_: Figures) -> float:
    have = {name: getattr(figures_, name) for name in WEIGHTS}
    have = {name: share for name, share in have.items() if share is not None}
    if not have:
        return 0.0
    weight = sum(WEIGHTS[name] for name in have)
    return round(100 * sum(WEIGHTS[name] * share for name, share in have.items()) / weight, 1)


@dataclass(frozen=True)
class Place:
    site: dict
    rank: int
    score: float
    figures: Figures
    previous_rank: int | None
    previous_score: float | None

    @property
    def moved(self) -> int:
        """Places gained since the previous period (negative: fell)."""
        return 0 if self.previous_rank is None else self.previous_rank - self.rank


def _ranks(scores: dict[int, float]) -> dict[int, int]:
    ordered = sorted(scores.values(), reverse=True)
    return {site_id: ordered.index(value) + 1 for site_id, value in scores.items()}


async def ranking(sites: Sequence[dict], period: Period) -> list[Place]:
    now, before = await asyncio.gather(figures(sites, period), figures(sites, period.previous()))
    scores = {site["id"]: score(now[site["id"]]) for site in sites}
    earlier = {site["id"]: score(before[site["id"]]) for site in sites}
    ranks, earlier_ranks = _ranks(scores), _ranks(earlier)
    places = [
        Place(
            site,
            ranks[site["id"]],
            scores[site["id"]],
            now[site["id"]],
            earlier_ranks[site["id"]],
            earlier[site["id"]],
        )
        for site in sites
    ]
    return sorted(places, key=lambda place: (place.rank, place.site["name"]))
