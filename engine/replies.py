"""What the assistant says when it does not call a tool, from data: clarifications (replies.toml) and
answers to requests no tool serves (answers.toml, keyed by the grammar rule that derived the request)."""
from __future__ import annotations

import random
import string
from datetime import date

# A span said where one day is needed is answered by listing its days, up to this many.
_MAX_LISTED_DAYS = 4


class NoReply(Exception):
    """No reply in the data fits this request (a missing key, or a placeholder this sample cannot fill)."""


class Replies:
    """Renders every assistant text that is not a tool call."""

    def __init__(self, lexicons, tools: list):
        self.t = lexicons.table("replies")
        self.answers = lexicons.data.get("answers", {})
        self.clauses = lexicons.data.get("clauses", {})
        self.weekdays = lexicons.table("date_words")["weekday_names"]
        self.tools = {t.name: t for t in tools}
        self._words = lexicons.table("scaffold")
        self._capabilities: dict[tuple, str] = {}
        self.capabilities = self.capabilities_of(None)

    def capabilities_of(self, names: list[str] | None) -> str:
        """What the offered tools (all, when ``names`` is None) let the assistant do, as one phrase."""
        key = tuple(names) if names is not None else tuple(self.tools)
        if key not in self._capabilities:
            self._capabilities[key] = capabilities([self.tools[n] for n in key], self.t, self._words)
        return self._capabilities[key]

    def system(self, today: date, names: list[str] | None = None) -> str:
        return self.t["system"].format(assistant=self.t["assistant"], capabilities=self.capabilities_of(names),
                                       date=cn_date(today), weekday=self.weekdays[today.weekday()])

    def join_clauses(self, clauses: list[str]) -> str:
        """One message of several clauses (a long request): openers kept only on the first, ends only on the last."""
        table = self.clauses
        heads = sorted(table.get("heads", []), key=len, reverse=True)
        tails = sorted(table.get("tails", []), key=len, reverse=True)
        out = []
        for k, c in enumerate(clauses):
            if k > 0:
                c = next((c[len(h):] for h in heads if c.startswith(h) and len(c) > len(h)), c)
            if k < len(clauses) - 1:
                c = next((c[:-len(t)] for t in tails if c.endswith(t) and len(c) > len(t)), c)
            out.append(c)
        return table.get("join", "，").join(out)

    def no_tool(self, tool, names: list[str], rng: random.Random) -> str:
        """Said when the request needs ``tool`` and the sample does not offer it: no call."""
        task = task_of(tool.description, [*self.t["noun_separators"], *self._words["sentence_ends"]], self._words["task_prefixes"])
        return rng.choice(self.t["no_tool"]).format(task=task, capabilities=self.capabilities_of(names))

    # -- clarification ------------------------------------------------------------------------
    def clarify(self, tool, missing: list[str], rng: random.Random) -> str:
        """Ask for exactly the ``missing`` parameters, in the wording of ``tool`` (its own questions in
        replies.toml, else a default question naming each parameter by its description)."""
        table = self.t["clarify"].get(tool.name, {})
        if len(missing) == 1:
            asks = table.get(missing[0], {}).get("ask")
            return rng.choice(asks) if asks else rng.choice(self.t["clarify_default"]).format(noun=self._noun(tool, missing[0]))
        nouns = joined([self._noun(tool, p) for p in missing], self.t)
        return rng.choice(table.get("many") or self.t["clarify_default"]).format(nouns=nouns, noun=nouns)

    def _noun(self, tool, param: str) -> str:
        noun = self.t["clarify"].get(tool.name, {}).get(param, {}).get("noun")
        if noun:
            return noun
        return noun_of(tool.properties[param], param, self.t["noun_separators"])

    def disambiguate(self, surface: str, options: list, rng: random.Random) -> str:
        """Ask which of ``options`` (dates, spans or names) ``surface`` means; a long span by its ends."""
        if len(options) > _MAX_LISTED_DAYS and all(isinstance(o, str) and is_iso_date(o) for o in options):
            first, last = (cn_month_day(date.fromisoformat(o)) for o in (options[0], options[-1]))
            return rng.choice(self.t["clarify_span"]).format(surface=surface, first=first, last=last)
        texts = [option_text(o, self.t["range_word"]) for o in options]
        joined = self.t["list_sep"].join(texts[:-1]) + self.t["or_word"] + texts[-1]
        return rng.choice(self.t["clarify_ambiguous"]).format(surface=surface, options=joined)

    def beyond_horizon(self, asked: date, last: date, rng: random.Random) -> str:
        return rng.choice(self.t["beyond_horizon"]).format(asked=cn_month_day(asked), last=cn_month_day(last))

    # -- requests no tool serves --------------------------------------------------------------
    def has_answers(self, intent: str) -> bool:
        return any(isinstance(v, dict) for v in self.answers.get(intent, {}).values())

    def answer(self, intent: str, key: str, today: date, slots: dict, rng: random.Random, names: list[str] | None = None) -> str:
        """A reply to a request of negative ``intent`` derived through rule ``key``.

        ``slots`` holds what the request named: ``asked`` (its DATE as one day) and ``city``.
        Templates needing a value this request lacks are not candidates.
        """
        templates = self.answers.get(intent, {}).get(key, {}).get("reply", [])
        values = {
            "today_date": cn_date(today),
            "today_weekday": self.weekdays[today.weekday()],
            "capabilities": self.capabilities_of(names),
            "assistant": self.t["assistant"],
        }
        if "asked" in slots:
            values["asked_date"] = cn_month_day(slots["asked"])
            values["asked_weekday"] = self.weekdays[slots["asked"].weekday()]
        if "city" in slots:
            values["city"] = slots["city"]
        fitting = [t for t in templates if placeholders(t) <= values.keys()]
        if not fitting:
            raise NoReply(f"no reply of [{intent}.{key}] fits")
        return rng.choice(fitting).format(**values)


def capabilities(tools: list, t: dict, words: dict) -> str:
    """What the assistant can do, from its tools' descriptions: each cut to its task (task_of), and tasks
    sharing a leading verb said once (预订机票、预订酒店 → 预订机票和酒店), in the order of ``tools``."""
    verbs = sorted(words["verbs"], key=len, reverse=True)
    groups: dict[str, list[str]] = {}
    for tool in tools:
        task = task_of(tool.description, [*t["noun_separators"], *words["sentence_ends"]], words["task_prefixes"]) or tool.name
        verb = next((v for v in verbs if task.startswith(v) and len(task) > len(v)), "")
        groups.setdefault(verb, []).append(task[len(verb):])
    return t["group_sep"].join(verb + joined(objects, t) for verb, objects in groups.items())


def task_of(description: str, separators: list[str], prefixes: list[str]) -> str:
    """A tool's task: its description up to the first separator, leading filler dropped
    (用于查询订单的物流状态，需要… → 查询订单的物流状态)."""
    text = description
    for sep in separators:
        text = text.split(sep, 1)[0]
    text = text.strip()
    for prefix in prefixes:
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix):]
    return text


def joined(items: list[str], t: dict) -> str:
    """甲、乙和丙: items joined by list_sep, the last by and_word."""
    return items[0] if len(items) == 1 else t["list_sep"].join(items[:-1]) + t["and_word"] + items[-1]


def noun_of(schema: dict, name: str, separators: list[str]) -> str:
    """A parameter's noun: its description up to the first separator ("航班号，如 MU5101" → 航班号)."""
    text = schema.get("description") or name
    for sep in separators:
        text = text.split(sep, 1)[0]
    return text.strip() or name


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def option_text(option, range_word: str) -> str:
    if isinstance(option, list):
        return range_word.join(option_text(o, range_word) for o in option)
    if isinstance(option, str) and is_iso_date(option):
        return cn_month_day(date.fromisoformat(option))
    return str(option)


def is_iso_date(s) -> bool:
    try:
        date.fromisoformat(s)
    except (TypeError, ValueError):
        return False
    return True


def cn_month_day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
