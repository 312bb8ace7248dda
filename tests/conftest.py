"""Shared fixtures: the shipped project is loaded once per test session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.compose import Composer
from engine.config import project_config
from engine.project import load_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project():
    return load_project(ROOT)


@pytest.fixture(scope="session")
def composer(project):
    return Composer(project, project_config(ROOT, seed=7, flow_shares={}))  # single turns: conversations have test_converse.py


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A scratch copy of the shipped inputs, to break or extend."""
    for name in ("grammars", "lexicons", "tools"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def shipped_samples(project):
    """3,000 single-turn samples as a plain ``callgram generate --seed 21`` writes them (project defaults
    applied) with no conversations, so that every index is a single turn; conversations are tested in
    test_converse.py."""
    c = Composer(project, project_config(ROOT, seed=21, flow_shares={}))
    samples = (c.compose(i).sample for i in range(3000))
    return [s for s in samples if s is not None]
