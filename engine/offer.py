"""Which tools a sample offers the model. Real deployments rarely offer every tool: most samples offer all of
them, ``tool_subset_share`` of them a random subset that still holds every tool the sample needs (the
others are distractors), and a ``no_tool`` sample offers a subset without the one its request needs, so
the assistant learns to say it cannot do that here instead of calling a tool it was not given."""
from __future__ import annotations

import random


class Offer:
    """Tool lists per sample, for one project and config."""

    def __init__(self, project, config):
        self.names = sorted(project.tools)
        self.tools = project.tools
        self.cfg = config

    def choose(self, rng: random.Random, needed: set[str]) -> list[str]:
        """Every tool, or (tool_subset_share) the needed ones plus a random share of the others."""
        if rng.random() >= self.cfg.tool_subset_share:
            return list(self.names)
        others = [n for n in self.names if n not in needed]
        keep = rng.sample(others, rng.randint(1 if not needed else 0, len(others))) if others else []
        return sorted(set(needed) | set(keep))

    def without(self, rng: random.Random, missing: str) -> list[str]:
        """A non-empty list of tools lacking ``missing``."""
        others = [n for n in self.names if n != missing]
        if not others:
            return []
        return sorted(rng.sample(others, rng.randint(1, len(others))))

    def shown(self, names: list[str]) -> list:
        """What the sample's ``tools`` field holds: names (tools.json written once) or full definitions."""
        return list(names) if self.cfg.tools_file else [self.tools[n].offered() for n in names]
