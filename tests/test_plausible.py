"""Values look like real traffic under the shipped defaults (pyproject.toml [tool.callgram]); issue 7."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path

from engine.config import project_config
from engine.plausible import Plausibility

ROOT = Path(__file__).resolve().parent.parent


def _calls(samples, tool=None):
    for s in samples:
        call = s.tool_call()
        if call is not None and tool in (None, call["name"]):
            yield s, call["arguments"]


def _lead(s, day: str) -> int:
    return (date.fromisoformat(day) - date.fromisoformat(s.today)).days


def test_stays_are_short_and_capped(shipped_samples):
    cfg = project_config(ROOT)
    nights = [(date.fromisoformat(a["check_out"]) - date.fromisoformat(a["check_in"])).days
              for s, a in _calls(shipped_samples) if "check_out" in a]
    assert len(nights) > 150
    assert max(nights) <= cfg.max_nights
    assert sum(n > 14 for n in nights) / len(nights) < 0.03
    assert sum(n <= 5 for n in nights) / len(nights) > 0.7


def test_lead_times(shipped_samples):
    cfg = project_config(ROOT)
    leads = [_lead(s, a[p]) for s, a in _calls(shipped_samples) for p in ("date", "check_in") if p in a]
    assert max(leads) <= cfg.lead_days.max
    assert sum(x <= cfg.lead_days.near for x in leads) / len(leads) > 0.85
    horizon = cfg.forecast_days["get_weather"]
    assert all(_lead(s, a["date"]) <= horizon for s, a in _calls(shipped_samples, "get_weather") if "date" in a)
    beyond = [s for s in shipped_samples if "beyond_horizon" in s.tags]
    assert beyond and all(s.tool_call() is None and s.intent == "get_weather" for s in beyond)


def test_party_sizes_and_stars_follow_the_config(shipped_samples):
    cfg = project_config(ROOT)
    for name in ("passengers", "guests", "rooms", "min_stars"):
        values = Counter(a[name] for _, a in _calls(shipped_samples) if name in a)
        assert values and set(values) <= set(cfg.value_weights[name]), (name, values)
    passengers = Counter(a["passengers"] for _, a in _calls(shipped_samples) if "passengers" in a)
    assert (passengers[1] + passengers[2]) / sum(passengers.values()) > 0.6


def test_budgets_fit_the_city_and_stars(project, shipped_samples):
    rule = project_config(ROOT).price_floor
    p = Plausibility(project_config(ROOT), project.lexicons)
    for _, a in _calls(shipped_samples, "search_hotels"):
        assert p.price_ok(a), a
    assert not p.price_ok({"city": "北京", "max_price": 200})
    assert not p.price_ok({"city": "湖州", "min_stars": 5, "max_price": 300})
    assert p.price_ok({"city": "湖州", "max_price": rule.by_tier[3]})


def test_rare_forms_are_rare_and_only_where_typed(shipped_samples):
    rare = [s for s in shipped_samples if {"pinyin", "english", "iata"} & set(s.tags)]
    assert len(rare) / len(shipped_samples) < 0.05
    assert all(s.intent == "search_flights" for s in shipped_samples if "iata" in s.tags)


def test_value_first_draws_match_the_weights(project):
    p = Plausibility(project_config(ROOT), project.lexicons)
    rng = random.Random(3)
    drawn = Counter(p.target("passengers", rng) for _ in range(20000))
    weights = project_config(ROOT).value_weights["passengers"]
    for v, w in weights.items():
        assert abs(drawn[v] / 20000 - w / sum(weights.values())) < 0.015
