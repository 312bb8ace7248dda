"""Benchmark: verified samples/s and peak RSS at 10k and 100k samples, 1 and 2 workers.

Run by hand (not collected by pytest):  python tests/benchmarks/bench_generate.py [--sizes 10000,100000]
Each configuration runs in a fresh process; timings are noisy on shared machines, so compare the
ratios printed in one run rather than absolute numbers across runs.
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
n, workers, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
t0 = time.perf_counter()
project = load_project(sys.argv[4])
t1 = time.perf_counter()
report = generate(project, project_config(sys.argv[4], n=n, seed=1), out, workers=workers)  # the shipped defaults
t2 = time.perf_counter()
print(json.dumps({
    "load_s": t1 - t0, "gen_s": t2 - t1, "written": report.written, "drops": sum(report.drops.values()),
    "verification": report.verification,
    "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def run(n: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(n), str(workers), tmp, str(ROOT)], capture_output=True, text=True, check=True, cwd=ROOT)
        return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    print(f"{'n':>8} {'workers':>7} {'samples/s':>10} {'gen s':>7} {'load s':>6} {'drops':>6} {'cached%':>8} {'RSS main MB':>11} {'RSS worker MB':>13}")
    for n in map(int, args.sizes.split(",")):
        for w in map(int, args.workers.split(",")):
            r = run(n, w)
            v = r["verification"]
            # share of verifications answered from the template cache instead of a parse
            cached = v.get("template_hits", 0) / max(1, sum(v.values())) * 100
            print(f"{n:>8} {w:>7} {r['written'] / r['gen_s']:>10.0f} {r['gen_s']:>7.1f} {r['load_s']:>6.1f} {r['drops']:>6} {cached:>7.1f}% {r['rss_main_mb']:>11.0f} {r['rss_worker_mb']:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
