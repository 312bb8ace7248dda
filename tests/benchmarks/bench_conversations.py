"""Benchmark: verified user turns per second, single turns against conversations, and peak RSS by size.

Run by hand (not collected by pytest):  python tests/benchmarks/bench_conversations.py [--sizes 10000,100000]
Three configurations of the shipped defaults, each in a fresh process with one worker:
  single  flow_shares = {}: single turns only (one verified user turn a sample);
  flows   every positive and hard sample a conversation (flows' shares scaled to fill their kind);
  default the shipped mix.
Every user turn written was verified (re-read in its context), so user turns/s is the comparable rate.
Timings are noisy: compare the ratios printed in one run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from engine.config import project_config
from engine.pipeline import generate
from engine.project import load_project
n, mode, out, root = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
project = load_project(root)
base = project_config(root, n=n, seed=1)
shares = dict(base.flow_shares)
if mode == "single":
    shares = {}
elif mode == "flows":
    for kind in ("positive", "hard"):
        names = [f for f in shares if project.flows[f].kind == kind]
        total = sum(shares[f] for f in names)
        for f in names:
            shares[f] = shares[f] / total * getattr(base.mix, kind)
config = base.model_copy(update={"flow_shares": shares})
t0 = time.perf_counter()
report = generate(project, config, out, workers=1)
took = time.perf_counter() - t0
turns = 0
with open(out / "samples.jsonl", encoding="utf-8") as f:
    for line in f:
        turns += sum(1 for m in json.loads(line)["messages"] if m["role"] == "user")
print(json.dumps({"gen_s": took, "written": report.written, "user_turns": turns, "lost": report.lost,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(n: int, mode: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(n), mode, tmp, str(ROOT)], capture_output=True, text=True, check=True, cwd=ROOT)
        return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--modes", default="single,flows,default")
    args = ap.parse_args()
    print(f"{'n':>8} {'mode':>8} {'samples/s':>10} {'turns/s':>8} {'turns/sample':>12} {'gen s':>7} {'lost':>5} {'RSS MB':>7}")
    rates = {}
    for n in (int(x) for x in args.sizes.split(",")):
        for mode in args.modes.split(","):
            r = run(n, mode)
            rates[(n, mode)] = r["user_turns"] / r["gen_s"]
            print(f"{n:>8} {mode:>8} {r['written'] / r['gen_s']:>10.0f} {rates[(n, mode)]:>8.0f} {r['user_turns'] / r['written']:>12.2f} "
                  f"{r['gen_s']:>7.1f} {r['lost']:>5} {r['rss_mb']:>7.0f}")
        if (n, "single") in rates and (n, "flows") in rates:
            print(f"{n:>8} conversations verify user turns at {rates[(n, 'flows')] / rates[(n, 'single')]:.2f}x the single-turn rate")


if __name__ == "__main__":
    main()
