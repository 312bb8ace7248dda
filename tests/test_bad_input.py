"""Anything a user can type or have on disk gives one located line and exit 2, never a traceback, and leaves
the output folder byte-identical. Each case is a real ``python -m engine.cli`` process.
Also: a UTF-8 BOM in any input file is read like no BOM; over-long parse/resolve lines get an error object."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = {"samples.jsonl": '{"id": "old"}\n', "manifest.json": "{}\n", "tools.json": "[]\n"}


def _cli(*args: str, cwd: Path, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=cwd, input=stdin, capture_output=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _snapshot(path: Path) -> dict:
    if path.is_file():
        return {".": path.read_bytes()}
    if not path.exists():
        return {}
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else None) for p in sorted(path.rglob("*"))}


def _project_copy(dst: Path) -> Path:
    for name in ("grammars", "lexicons", "tools"):
        shutil.copytree(ROOT / name, dst / name)
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


# (id, setup(tmp) -> (cwd, argv), expected fragment of the one stderr line). The output folder is tmp/out,
# holding a previous output, unless the case makes --out something else.
def _flags(*flags):
    return lambda t: (ROOT, ["--root", str(ROOT), "generate", "--out", str(t / "out"), *flags])


def _config(text: bytes | str, *flags):
    def setup(t):
        path = t / "cfg.toml"
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return ROOT, ["--root", str(ROOT), "generate", "--out", str(t / "out"), "--config", str(path), *flags]
    return setup


def _out_file(t):
    (t / "file").write_text("not a folder\n")
    return ROOT, ["--root", str(ROOT), "generate", "--n", "10", "--out", str(t / "file")]


def _out_under_file(t):
    (t / "file").write_text("not a folder\n")
    return ROOT, ["--root", str(ROOT), "generate", "--n", "10", "--out", str(t / "file" / "out")]


def _out_readonly(t):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    (t / "out").chmod(0o555)
    return ROOT, ["--root", str(ROOT), "generate", "--n", "10", "--out", str(t / "out")]


def _out_target_is_folder(t):
    (t / "out" / "samples.jsonl").unlink()
    (t / "out" / "samples.jsonl").mkdir()
    return ROOT, ["--root", str(ROOT), "generate", "--n", "10", "--out", str(t / "out")]


def _bad_lexicon_bytes(t):
    root = _project_copy(t / "proj")
    city = root / "lexicons" / "zh" / "city.tsv"
    lines = city.read_bytes().split(b"\n")
    lines[4] = b"bad\xff" + lines[4]
    city.write_bytes(b"\n".join(lines))
    return ROOT, ["--root", str(root), "generate", "--n", "10", "--out", str(t / "out")]


CASES = [
    ("out-is-a-file", _out_file, "file: --out: not a folder"),
    ("out-under-a-file", _out_under_file, "--out: cannot create a folder inside"),
    ("out-read-only", _out_readonly, "--out: not writable"),
    ("out-samples-is-a-folder", _out_target_is_folder, "--out: samples.jsonl is a folder"),
    ("n-huge", _flags("--n", "99999999999999999999"), "--n: at most 1,000,000,000 samples"),
    ("n-1e10", _flags("--n", "10000000000"), "--n: at most 1,000,000,000 samples"),
    ("n-zero", _flags("--n", "0"), "--n: Input should be greater than or equal to 1"),
    ("config-wrong-kind", _config('n = "many"\n'), "cfg.toml: n: Input should be a valid integer"),
    ("config-wrong-kind-nested", _config("mix = {positive = 0.5, hard = \"x\", negative = 0.1}\n"), "cfg.toml: mix.hard: Input should be a valid number"),
    ("config-unknown-key", _config("seeds = 3\n"), "cfg.toml: seeds: Extra inputs are not permitted"),
    ("config-bad-toml", _config("n = \n"), "cfg.toml: invalid TOML"),
    ("config-not-utf8", _config(b"# caf\xe9\nn = 10\n"), "cfg.toml:1:6: not UTF-8"),
    ("config-is-a-folder", lambda t: _config_dir(t), "cfg.toml: is a folder"),
    ("hard-tag-unknown", _config('hard_tags = ["nickname", "nicknam"]\n', "--n", "10"),
     "cfg.toml:1:26: hard_tags: unknown tag no lexicon uses 'nicknam' (did you mean nickname?)"),
    ("intent-weight-unknown", _config("intent_weights = {search_flight = 2}\n", "--n", "10"),
     "cfg.toml:1:19: intent_weights: unknown intent (grammar) 'search_flight' (did you mean search_flights?)"),
    ("lexicon-not-utf8", _bad_lexicon_bytes, "lexicons/zh/city.tsv:5:4: not UTF-8"),
    ("parse-max-chars-0", lambda t: (ROOT, ["--root", str(ROOT), "parse", "x", "--max-chars", "0"]), "--max-chars: must be at least 1"),
    ("workers-negative", _flags("--workers", "-3"), "--workers: must be at least 1"),
]


def _config_dir(t):
    (t / "cfg.toml").mkdir()
    return ROOT, ["--root", str(ROOT), "generate", "--out", str(t / "out"), "--config", str(t / "cfg.toml")]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case, tmp_path):
    name, setup, expected = case
    t = tmp_path
    (t / "out").mkdir(parents=True)
    for f, text in PREVIOUS.items():
        (t / "out" / f).write_text(text)
    cwd, argv = setup(t)
    watched = Path(argv[argv.index("--out") + 1]) if "--out" in argv else t / "out"
    before = _snapshot(watched)
    r = _cli(*argv, cwd=cwd)
    err = r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert r.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and re.match(r"^\S+: ", lines[0]), err
    assert _snapshot(watched) == before


def test_bom_in_every_input_file_reads_like_none(tmp_path):
    root = _project_copy(tmp_path / "proj")
    for path in [*root.rglob("*.tsv"), *root.rglob("*.toml"), *root.rglob("*.lark"), *root.rglob("*.json")]:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    cfg = tmp_path / "cfg.toml"
    cfg.write_bytes(b"\xef\xbb\xbfseed = 4\n")
    args = ["generate", "--n", "40", "--config", str(cfg)]
    with ThreadPoolExecutor(2) as pool:
        bom, plain = pool.map(lambda a: _cli(*a, cwd=ROOT), [["--root", str(root), *args, "--out", str(tmp_path / "bom")],
                                                             ["--root", str(ROOT), *args, "--out", str(tmp_path / "plain")]])
    assert bom.returncode == 0, bom.stderr.decode()
    assert plain.returncode == 0, plain.stderr.decode()
    assert (tmp_path / "bom" / "samples.jsonl").read_bytes() == (tmp_path / "plain" / "samples.jsonl").read_bytes()


@pytest.mark.parametrize("command", ["parse", "resolve"])
def test_over_long_lines_get_an_error_object(command):
    long_line = "明" * 2_000_000
    stdin = f"后天\n{long_line}\n{'x' * 501}\n{'y' * 500}".encode()
    r = _cli("--root", str(ROOT), command, "--json", "--today", "2023-10-29", cwd=ROOT, stdin=stdin)
    assert r.returncode == 0, r.stderr.decode()
    out = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(out) == 4
    assert out[1]["text"] == "明" * 50 + "…"
    assert out[1]["error"] == "line 2: 2000000 characters, over the cap of 500"
    assert out[2]["error"] == "line 3: 501 characters, over the cap of 500"
    assert out[0].get("error") is None and out[3].get("error") is None
    if command == "parse":
        assert out[1]["intent"] is None and list(out[1]) == list(out[0])
