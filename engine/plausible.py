"""Values that look like real traffic: party sizes, stays, lead times and prices, all set in the config.

Counts are drawn value-first (pick 2 by its configured weight, then a surface form of 2), so their
distribution is exactly the configured one. Dates cannot be: they are surface forms read on the
sample's day, so a drawn date is kept or redrawn by how far ahead it lies.
"""
from __future__ import annotations

import bisect
import random
from datetime import date
from itertools import accumulate

from engine.config import GenerateConfig


class Plausibility:
    """The config's plausibility settings, as draws and checks."""

    def __init__(self, cfg: GenerateConfig, lexicons):
        self.cfg = cfg
        self._weights = {}
        for name, table in cfg.value_weights.items():
            values = sorted(v for v, w in table.items() if w > 0)
            self._weights[name] = (values, list(accumulate(table[v] for v in values)))
        tiers = lexicons.data.get("city_tiers", {}).get("tier", {})
        self.tier_of = {city: int(t) for t, cities in tiers.items() for city in cities}
        self._default_tier = max((int(t) for t in tiers), default=0) + 1

    def target(self, name: str | None, rng: random.Random) -> int | None:
        """The value to draw for parameter ``name`` (None: no preference, any surface form will do)."""
        table = self._weights.get(name)
        if not table or not table[0]:
            return None
        values, cum = table
        return values[bisect.bisect_right(cum, rng.random() * cum[-1])]

    def weight(self, name: str, value: int) -> float:
        """How likely ``value`` is relative to the likeliest (1 when nothing is configured)."""
        table = self.cfg.value_weights.get(name)
        if not table:
            return 1.0
        return table.get(value, 0) / max(table.values())

    def lead_ok(self, tool: str, day: str, today: date, rng: random.Random) -> bool:
        """Whether a request made on ``today`` plausibly names ``day``; within a tool's horizon only, if it has one."""
        lead = (date.fromisoformat(day) - today).days
        horizon = self.cfg.forecast_days.get(tool)
        if horizon is not None and lead > horizon:
            return False
        lt = self.cfg.lead_days
        if lead <= lt.near:
            return True
        return lead <= lt.max and rng.random() < lt.far_share

    def stay_ok(self, nights: int, rng: random.Random) -> bool:
        """A stay of ``nights``, however said (住三晚, 住到周日, 5月1日到5月3日), kept by the nights weights."""
        if not 1 <= nights <= self.cfg.max_nights:
            return False
        return rng.random() < self.weight("nights", nights)

    def price_ok(self, args: dict) -> bool:
        """A budget no lower than the cheapest plausible one for the city's tier and the stars asked."""
        rule = self.cfg.price_floor
        if rule is None or args.get(rule.price) is None:
            return True
        floor = 0
        if rule.city and args.get(rule.city) is not None:
            floor = rule.by_tier.get(self.tier_of.get(args[rule.city], self._default_tier), 0)
        if rule.stars and args.get(rule.stars) is not None:
            floor = max(floor, rule.by_stars.get(args[rule.stars], 0))
        return args[rule.price] >= floor

    def horizon(self, tool: str, today: date) -> int | None:
        return self.cfg.forecast_days.get(tool)
