"""Draw a surface form for every slot of a derivation: one that resolves, on the sample's day, to a usable
value that looks like real traffic (engine/plausible.py), and never clashes with the other slots."""
from __future__ import annotations

import random
from datetime import date, timedelta

from engine.derive import each_day, span_misplaced
from engine.gold import Retry
from engine.plausible import Plausibility
from engine.slots import SlotFiller

_DRAWS_PER_SLOT = 12


class SlotDrawer:
    """Fills slots for one config: the mode of each slot (plain, hard, ambiguous, any) and plausibility."""

    def __init__(self, filler: SlotFiller, plausible: Plausibility):
        self.filler = filler
        self.plausible = plausible
        self.cfg = plausible.cfg
        self._parts = tuple(filler.time_words["parts"])  # 早上, 晚上…: what may follow a day as a time of day

    def fill(self, tool, chunks, style: str, today: date, rng: random.Random, tag: str | None = None):
        """Surface form for every slot; for bound parameters also a usable, plausible resolved value. A hard
        style puts one hard form (of ``tag``, if given) in a slot that can carry one."""
        intent = tool.name
        slots = [k for k, c in enumerate(chunks) if c.terminal is not None]
        special_at = None
        if style in ("hard", "ambiguous"):
            has = (self.filler.has_tagged(tag) if tag else self.filler.has_hard) if style == "hard" else self.filler.has_ambiguous
            candidates = [k for k in slots if chunks[k].param and has(chunks[k].terminal, intent)]
            if not candidates:
                raise Retry
            special_at = rng.choice(candidates)
        surfaces, used = [], {}
        for k in slots:
            c = chunks[k]
            mode = (f"tag:{tag}" if tag else style) if k == special_at else ("plain" if style == "plain" else "any")
            schema = tool.bindable.get(c.param) if c.param else None
            target = self.plausible.target(c.param, rng) if schema is not None and mode != "ambiguous" else None
            tries = _DRAWS_PER_SLOT * (4 if mode == "ambiguous" or (schema or {}).get("derive") == "span" else 1)
            for _ in range(tries):
                entry = self.filler.draw(c.terminal, rng, mode, intent, target)
                if schema is None:
                    break
                r = self.filler.resolve(c.terminal, entry.surface, today, schema)
                if mode == "ambiguous":
                    wanted = r.type == "ambiguous"
                elif schema is not None and (days := each_day(tool, c.param, r, today)) is not None:
                    # a period for a one-day parameter: a call per day (x-each-day), every day within the horizon
                    wanted = style != "beyond" and self.plausible.lead_ok(tool.name, days[-1], today, rng)
                else:
                    wanted = r.ok and "past" not in r.flags and (r.type == "span") == (schema.get("derive") == "span")
                    wanted = wanted and not (r.type == "span" and r.value[0] < today.isoformat())  # 这个周末 said on a Sunday
                    wanted = wanted and not span_misplaced(tool, c.param, r)
                    wanted = wanted and self._plausible(tool, c.param, r, used, style, today, rng)
                if wanted and not self._clashes(tool, c.param, r.value, used):
                    used[c.param] = (entry, r, c.terminal)
                    break
            else:
                raise Retry
            surfaces.append(entry.surface)
        if not self._one_phrase(chunks, slots, surfaces, today):
            raise Retry
        return surfaces, used

    def _one_phrase(self, chunks, slots: list[int], surfaces: list[str], today: date) -> bool:
        """A day followed straight by a time of day (明天 + 晚上) must read as one date phrase: 现在晚上 does not."""
        for n, (k, nxt) in enumerate(zip(slots, slots[1:])):
            lex = self.filler.lexicons.get(chunks[k].terminal)
            if nxt == k + 1 and lex.resolver == "date" and surfaces[n + 1].startswith(self._parts):
                if self.filler.date_phrase(surfaces[n] + surfaces[n + 1], today).type == "invalid":
                    return False
        return True

    def _plausible(self, tool, name: str, r, used: dict, style: str, today: date, rng: random.Random) -> bool:
        """Whether a resolved value looks like real traffic (lead time, stay length, configured weights)."""
        if isinstance(r.value, int) and not isinstance(r.value, bool):
            return self.plausible.weight(name, r.value) > 0
        later = {a for a, _ in tool.after}
        if r.type == "date" and name in later and r.value <= today.isoformat():
            return False  # 住到今天: a check-out no check-in can come before
        if r.type == "span":
            first, last = (date.fromisoformat(v) for v in r.value)
            if not self.plausible.stay_ok((last - first).days + 1, rng):
                return False
        if r.type in ("date", "span"):
            first = r.value if r.type == "date" else r.value[0]
            horizon = self.cfg.forecast_days.get(tool.name)
            if style == "beyond" and horizon is not None and tool.properties.get(name, {}).get("format") == "date":
                lead = (date.fromisoformat(first) - today).days
                return horizon < lead <= self.cfg.lead_days.max
            if not self.plausible.lead_ok(tool.name, first, today, rng):
                return False
        for a, b in tool.after:  # both ends said as dates: the stay between them
            other = b if name == a else a if name == b else None
            if r.type == "date" and other in used and used[other][1].type == "date":
                start, end = sorted((r.value, used[other][1].value))
                if start != end and not self.plausible.stay_ok((date.fromisoformat(end) - date.fromisoformat(start)).days, rng):
                    return False
        return True

    @staticmethod
    def clashing(tool, args: dict) -> bool:
        """Whether two arguments that must differ (origin and destination) are the same."""
        return any(len({args[p] for p in group if p in args}) < len([p for p in group if p in args]) for group in tool.distinct)

    @staticmethod
    def _clashes(tool, param: str, value, used) -> bool:
        for group in tool.distinct:
            if param in group and any(p in used and used[p][1].value == value for p in group if p != param):
                return True
        return False

    def named(self, terminal: str, intent: str, today: date, rng: random.Random):
        """A surface form for a slot of a negative request, with the day or place it names when it names one."""
        for _ in range(_DRAWS_PER_SLOT):
            entry = self.filler.draw(terminal, rng, "any", intent)
            r = self.filler.resolve(terminal, entry.surface, today, None)
            if r.type == "date" and "past" not in r.flags:
                return entry, date.fromisoformat(r.value)
            if r.type == "city":
                return entry, r.value
            if r.type not in ("date", "span", "ambiguous", "invalid"):
                return entry, None
        return entry, None

    def options_ok(self, tool, gold, today: date) -> bool:
        """Options a question offers lie no further ahead than any requested date may (lead_days.max),
        and each makes a plausible stay with the other end already said."""
        last = (today + timedelta(days=self.cfg.lead_days.max)).isoformat()
        for name, options in gold.unclear.items():
            for o in options:
                days = o if isinstance(o, list) else [o]
                if any(isinstance(d, str) and d[:1].isdigit() and d > last for d in days):
                    return False
                for a, b in tool.after:
                    other = gold.args.get(b if name == a else a if name == b else "")
                    if isinstance(o, str) and isinstance(other, str):
                        nights = abs((date.fromisoformat(o) - date.fromisoformat(other)).days)
                        if not 1 <= nights <= self.cfg.max_nights or self.plausible.weight("nights", nights) == 0:
                            return False
        return True

