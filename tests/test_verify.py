"""Verification: the template cache never changes an answer; conflicts are dropped, not emitted."""
from __future__ import annotations

import json
import random

from engine.compose import Composer
from engine.config import GenerateConfig
from engine.expand import Expander
from engine.project import load_project
from engine.verify import Verifier


def test_template_path_equals_full_parse(project):
    v = Verifier(project.grammar)
    exp = Expander(project.grammar)
    rng = random.Random(5)
    checked = 0
    for _ in range(400):
        intent = rng.choice(list(project.grammar.intents))
        d = exp.expand(intent, rng, rng.choice(exp.bindable_sets(intent)))
        values = [rng.choice(project.lexicons.get(c.terminal).entries).surface for c in d.chunks if c.terminal]
        text, readings = v.readings_of(d.chunks, values)
        # the second sighting parses the template, the third reuses it: neither may change the answer
        assert v.readings_of(d.chunks, values) == (text, readings)
        assert v.readings_of(d.chunks, values) == (text, readings)
        assert readings == v.readings(text), text
        checked += 1
    assert v.stats["template_hits"] >= checked


def test_cross_intent_conflicts_are_dropped(project_copy):
    # A negative intent that reads every weather question too: none of them may become gold.
    grammars = project_copy / "grammars"
    (grammars / "weather_talk.lark").write_text((grammars / "get_weather.lark").read_text(encoding="utf-8"), encoding="utf-8")
    composer = Composer(load_project(project_copy), GenerateConfig(seed=11))
    drops: list[str] = []
    intents = set()
    for i in range(600):
        out = composer.compose(i)
        drops += [d["reason"] for d in out.drops]
        if out.sample is not None:
            intents.add(out.sample.intent)
    assert "other_intent:weather_talk" in drops and "negative_reads_as_tool" in drops
    assert "get_weather" not in intents and "weather_talk" not in intents
    assert {"search_flights", "chitchat"} <= intents


def test_samples_record_their_provenance(composer):
    s = next(o.sample for o in map(composer.compose, range(50)) if o.sample and o.sample.kind == "positive" and o.sample.provenance["slots"])
    slot = s.provenance["slots"][0]
    assert slot["lexicon"].startswith("lexicons/zh/") and slot["rule"]
    assert s.provenance["grammar"] == f"grammars/{s.intent}.lark"
    args = json.loads(s.messages[-1]["tool_calls"][0]["function"]["arguments"])
    assert args[slot["param"]] == slot["value"]
