"""Conversations (engine/converse.py): every flow of grammars/flows/ is written by a default run, every turn
re-reads in its context (the stats audit), one golden conversation per flow, and properties over seeds:
gold never over-asks, never calls with a required argument missing, never uses a value nobody gave."""
from __future__ import annotations

import json
import os
import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.compose import Composer
from engine.config import project_config
from engine.gold import Drop, Retry

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "flows.jsonl"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("conv")
    assert main(["--root", str(ROOT), "generate", "--n", "2000", "--seed", "11", "--out", str(out)]) == 0
    return [json.loads(line) for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def composer(project) -> Composer:
    return Composer(project, project_config(ROOT))


def _flow(s: dict) -> str | None:
    return next((t[5:] for t in s["tags"] if t.startswith("flow:")), None)


def test_a_default_run_holds_every_flow(default_run, project):
    counts = {name: 0 for name in project.flows}
    for s in default_run:
        if _flow(s):
            counts[_flow(s)] += 1
    assert all(c >= 10 for c in counts.values()), counts


def test_every_turn_reads_back_in_context(default_run, project, tmp_path):
    """The stats audit replays each conversation with the grammars: no turn may read otherwise."""
    from engine.stats import build_report

    path = tmp_path / "conv.jsonl"
    path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in default_run if _flow(s)), encoding="utf-8")
    report = build_report(path, ROOT)
    check = report["checks"]["turn_mismatch"]
    assert check["checked"] > 300 and check["failures"] == 0, check["examples"]


def test_messages_keep_the_openai_shape(default_run):
    for s in (s for s in default_run if _flow(s)):
        ids = set()
        for k, m in enumerate(s["messages"]):
            assert m["role"] in ("system", "user", "assistant", "tool")
            for call in m.get("tool_calls") or []:
                json.loads(call["function"]["arguments"])
                ids.add(call["id"])
            if m["role"] == "tool":
                assert m["tool_call_id"] in ids
            if m["role"] == "user" and k + 1 < len(s["messages"]):
                assert s["messages"][k - 1]["role"] != "assistant" or not s["messages"][k - 1].get("tool_calls")  # a call is answered first


def _conversation(composer, flow: str, seed: int):
    """One conversation of ``flow`` for an index drawn from ``seed`` (None when every attempt was dropped)."""
    i = random.Random(seed).randrange(10**6)
    for attempt in range(composer.cfg.max_attempts):
        try:
            return composer.conversations.compose(i, composer.p.flows[flow], random.Random(f"{seed}/{i}/{attempt}"))
        except (Retry, Drop):
            continue
    return None


def _given(sample) -> set[str]:
    """Every value the user, the profile or a result gave, with what follows from it (a span's check-out, nights)."""
    out = set()
    for turn in sample.provenance["turns"]:
        for slot in turn["slots"]:
            v = slot["value"]
            if isinstance(v, list) and all(re.fullmatch(r"\d{4}-\d\d-\d\d", str(x)) for x in v):
                # a stay: check-in is its first day, check-out the day after its last (a list of places is options)
                out |= {str(v[0]), (date.fromisoformat(v[-1]) + timedelta(days=1)).isoformat()}
            out.add(json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v))
        for v in turn["state"]["mentioned"].values():
            out.add(str(v))
    profile = sample.provenance["profile"]
    out |= {str(v) for v in _leaves(profile)}
    # 给我和我老婆订: the user and each passenger of the profile with a relation the user named
    relations = {slot["value"] for turn in sample.provenance["turns"] for slot in turn["slots"] if slot["param"].startswith("companion")}
    if relations:
        out.add(str(1 + sum(q["relation"] in relations for q in profile.get("frequent_passengers") or [])))
    for m in sample.messages:  # what a tool returned (the flight or hotel a user picks)
        if m["role"] == "tool":
            out |= {str(v) for v in _leaves(json.loads(m["content"]))}
    return out


def _leaves(d):
    if isinstance(d, dict):
        for v in d.values():
            yield from _leaves(v)
    elif isinstance(d, list):
        for v in d:
            yield from _leaves(v)
    elif d is not None:
        yield d


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), pick=st.integers(0, 10**6))
def test_properties(composer, seed, pick):
    flows = sorted(composer.p.flows)
    flow = flows[pick % len(flows)]
    s = _conversation(composer, flow, seed)
    if s is None:
        return
    given_values = _given(s)
    asked_before: set[str] = set()
    args_before: dict = {}
    for k, m in enumerate(s.messages):
        if m["role"] != "assistant":
            continue
        for call in m.get("tool_calls") or []:
            name, args = call["function"]["name"], json.loads(call["function"]["arguments"])
            tool = composer.p.tools[name]
            if m.get("weight") == 0:
                continue  # the wrong turn of a correction (a malformed call the tool refuses): not gold
            assert not tool.errors(args), (flow, args)  # never a call with a required argument missing
            for p, v in args.items():
                derived = p == "check_out" and isinstance(args.get("check_in"), str)
                assert str(v) in given_values or v in args_before.values() or derived, (flow, p, v, s.messages)
            args_before.update(args)
    # never over-asks: a question only for required arguments not yet given
    for turn in s.provenance["turns"]:
        state = turn["state"]
        assert not set(state["asked"]) & set(state["arguments"]), (flow, state)
    assert s.kind in ("positive", "hard")  # never a call on a negative


def test_golden_conversations(composer):
    """One conversation of each flow, byte for byte (regenerate with CALLGRAM_REGOLD=1, then read the diff)."""
    rows = []
    for flow in sorted(composer.p.flows):
        s = None
        for seed in range(40):
            s = _conversation(composer, flow, seed)
            if s is not None:
                break
        assert s is not None, flow
        rows.append(s.model_dump_json())
    text = "\n".join(rows) + "\n"
    if os.environ.get("CALLGRAM_REGOLD"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
