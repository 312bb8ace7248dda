"""The assistant's answer to a tool result, from the templates of ``lexicons/<lang>/results.toml`` (its header
says how they are written), and a check that an answer states only what the result and the call say.

The outcome is read off the result: ``{"error": ...}`` is an error, an empty list (the first list of the
result) is ``empty`` when the tool has such templates, anything else is ``ok``. Among the templates of that
outcome, those whose placeholders all have a value and whose ``when`` conditions hold are drawn from.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.errors import CallgramError

_SLOT = re.compile(r"\{([^{}|]*)(?:\|([^{}]*))?\}")
_WHEN = re.compile(r"\s*(\S+)\s*(==|!=|>=|<=|>|<)\s*(\S+)\s*")
_ORDINALS = {"first": 0, "second": 1, "third": 2, "last": -1}
_EXTREME = re.compile(r"(min|max):(\w+)")
# Facts an answer can state in any language: clock times, codes mixing letters and digits (flight and order
# numbers), names closed by a bracketed branch (如家酒店(火车站店)) and numbers.
_CLOCK = re.compile(r"(?<![0-9])[0-2]?[0-9]:[0-5][0-9](?![0-9])")
_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*(?:[A-Za-z][0-9]|[0-9][A-Za-z])[A-Za-z0-9]*")
_BRACKET = re.compile(r"\([^()]{1,20}\)")
_NUMBER = re.compile(r"(?<![0-9A-Za-z.])-?[0-9]+(?:\.[0-9]+)?")
_MISSING = object()


@dataclass(frozen=True)
class Vocabulary:
    """What the checker knows of a language: words standing for values (东航 → MU, 经济舱 → economy), units
    naming the fields a number before them can come from (元 → price, max_price; 家 → count, the list's
    length), and how dates are written (10月31日), so that a date's day is no number for anything else."""

    words: dict[str, frozenset[str]]
    units: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_format: str = ""
    rx: re.Pattern | None = field(init=False, default=None)
    unit_rx: re.Pattern | None = field(init=False, default=None)
    date_rx: re.Pattern | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        def longest_first(items) -> re.Pattern | None:  # a hotel before the city it names, 个座位 before 个
            alts = sorted(items, key=lambda w: (-len(w), w))
            return re.compile("|".join(map(re.escape, alts))) if alts else None
        object.__setattr__(self, "rx", longest_first(self.words))
        object.__setattr__(self, "unit_rx", longest_first(self.units))
        if self.date_format:
            body = re.escape(self.date_format).replace(r"\{month\}", r"(?P<month>[0-9]{1,2})").replace(r"\{day\}", r"(?P<day>[0-9]{1,2})")
            object.__setattr__(self, "date_rx", re.compile(body))


class ResultText:
    """Answers from results.toml, and the vocabulary :func:`unsupported_facts` checks them with."""

    def __init__(self, lexicons):
        self.t = lexicons.table("results")
        self.weekdays = lexicons.table("date_words")["weekday_names"]
        self.carriers = _spoken_carriers(lexicons)
        self.vocab = _vocabulary(lexicons, self.t)

    def answer(self, tool: str, args: dict, observation: dict, rng: random.Random) -> str:
        """The assistant's final answer to this observation: only facts in it (and in args)."""
        spec = self.t.get(tool, {})
        default = self.t.get("default", {})
        items = _first_list(observation)
        if isinstance(observation.get("error"), dict):
            code = observation["error"].get("code")
            sources = [spec.get("error", {}).get(code), default.get("error", {}).get(code),
                       spec.get("error", {}).get("reply"), default.get("error", {}).get("reply")]
            outcome = "error"
        else:
            outcome = "empty" if items == [] and "empty" in spec else "ok"
            sources = [spec.get(outcome, {}).get("reply"), default.get(outcome, {}).get("reply")]
        ctx = _Context(self, spec, observation, args, items or [])
        for source in sources:
            fitting = [t for t in source or [] if ctx.fits(t)]
            if fitting:
                chosen = rng.choice(fitting)
                return ctx.render(chosen if isinstance(chosen, str) else chosen["text"], rng)
        raise CallgramError(f"results.toml: no {outcome} template of {tool} fits {observation}")

    def unsupported(self, text: str, observation: dict, args: dict) -> list[str]:
        """:func:`unsupported_facts` with this project's vocabulary (airlines, cities, cabins, conditions…)."""
        return unsupported_facts(text, observation, args, self.vocab)


class _Context:
    """What a template's placeholders read: the result, the call's arguments and the list's aggregates."""

    def __init__(self, rt: ResultText, spec: dict, observation: dict, args: dict, items: list):
        self.rt, self.spec, self.obs, self.args, self.items = rt, spec, observation, args, items

    def get(self, path: str, item: dict | None = None) -> Any:
        """The value at a dotted path, or _MISSING; an item being said is read first."""
        head, *rest = path.split(".")
        value = self._root(head, item)
        for part in rest:
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        return value

    def _root(self, head: str, item: dict | None) -> Any:
        for scope in (item, self.obs, self.args):
            if isinstance(scope, dict) and head in scope:
                return scope[head]
        if head == "count":
            return len(self.items)
        if head in _ORDINALS:
            i = _ORDINALS[head]
            return self.items[i] if -len(self.items) <= i < len(self.items) else _MISSING
        m = _EXTREME.fullmatch(head)
        if m:
            having = [it for it in self.items if isinstance(it, dict) and it.get(m.group(2)) is not None]
            pick = min if m.group(1) == "min" else max
            return pick(having, key=lambda it: it[m.group(2)]) if having else _MISSING
        return _MISSING

    def fits(self, template: str | dict) -> bool:
        if isinstance(template, dict) and not all(self._holds(c) for c in template.get("when", [])):
            return False
        return self.render(template if isinstance(template, str) else template["text"], None) is not None

    def _holds(self, condition: str) -> bool:
        m = _WHEN.fullmatch(condition)
        if m is None:
            raise CallgramError(f"results.toml: bad condition {condition!r} (write 'path op value')")
        left, op, right = self._operand(m.group(1)), m.group(2), self._operand(m.group(3))
        if op in ("==", "!="):
            return (left == right) == (op == "==")
        if not isinstance(left, (int, float)) or not isinstance(right, (int, float)):
            return False
        return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right}[op]

    def _operand(self, token: str) -> Any:
        if token == "none":
            return None
        if token[0] in "'\"":
            return token.strip("'\"")
        try:
            return float(token)
        except ValueError:
            value = self.get(token)
            return None if value is _MISSING else value

    def render(self, template: str, rng: random.Random | None, item: dict | None = None) -> str | None:
        """The template filled in, or None when a placeholder has no value. Without rng (checking whether a
        template fits) every part is said by its first form."""
        out, pos = [], 0
        for m in _SLOT.finditer(template):
            said = self._say(m.group(1), m.group(2), rng, item)
            if said is None:
                return None
            out += [template[pos:m.start()], said]
            pos = m.end()
        return "".join(out) + template[pos:]

    def _say(self, path: str, how: str | None, rng: random.Random | None, item: dict | None) -> str | None:
        if path == "fields":
            return self._fields(rng)
        value = self.get(path, item)
        if value is _MISSING or value is None or value == []:
            return None
        if how is None:
            return _text(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
        if how.startswith("each:"):
            part = self.spec.get("parts", {}).get(how[5:])
            if not isinstance(value, list) or part is None:
                return None
            forms = part["say"]
            form = rng.choice(forms) if rng is not None else forms[0]
            said = [self.render(form, rng, it) for it in value]
            return None if None in said else part.get("join", "、").join(s for s in said if s is not None)
        return self._filter(how, value)

    def _filter(self, how: str, value: Any) -> str | None:
        rt = self.rt
        if how in ("md", "weekday"):
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                return None
            return rt.t["format"]["date"].format(month=day.month, day=day.day) if how == "md" else rt.weekdays[day.weekday()]
        if how == "carrier":
            return rt.carriers.get(str(value))
        table = rt.t.get("say", {}).get(how)
        if table is None:
            raise CallgramError(f"results.toml: unknown filter {how!r} (md, weekday, carrier, each:<part> or a [say.*] table)")
        return table.get(_text(value))

    def _fields(self, rng: random.Random | None) -> str | None:
        """The result's fields said one by one ([<tool>.fields]: the first form when set, the second when not)."""
        said = []
        for path, forms in self.spec.get("fields", {}).items():
            if not _in_result(self.obs, path):  # a section leaves the other fields out
                continue
            value = self.get(path)
            form = forms[0] if value not in (None, []) else (forms[1] if len(forms) > 1 else None)
            text = self.render(form, rng) if form is not None else None
            if text is not None:
                said.append(text)
        return self.rt.t["format"]["fields_join"].join(said) if said else None


def unsupported_facts(text: str, observation: dict, args: dict, vocab: Vocabulary | None = None) -> list[str]:
    """Every number, time, flight number, price, hotel name... the text states that the observation (or
    args) does not: [] when consistent. Language-free by default (a number must be some number of theirs);
    with ``vocab`` (``ResultText.vocab``) also every airline, city, cabin, weather word... that stands for
    no value of theirs, every date they lack, and every number whose unit names other fields (29℃ for 29日)."""
    leaves = list(_leaves(observation)) + list(_leaves(args))
    strings = {v for v in leaves if isinstance(v, str)}
    values = strings | {_text(v) for v in leaves if isinstance(v, (int, float)) and not isinstance(v, bool)}
    numbers = {float(v) for v in leaves if isinstance(v, (int, float)) and not isinstance(v, bool)}
    numbers |= {float(len(v)) for v in _lists(observation)}
    days = {(int(s[5:7]), int(s[8:10])) for s in strings if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s)}
    bad = [m.group() for rx in (_CLOCK, _CODE) for m in rx.finditer(text) if m.group() not in strings]
    for m in _BRACKET.finditer(text):  # a bracketed branch must close a name of the result
        if not any(s.endswith(m.group()) and text.endswith(s, 0, m.end()) for s in strings):
            bad.append(text[max(0, m.start() - 8):m.end()])
    masked = text  # what the result says verbatim is a fact of it, whatever words it holds (郑沐晴, 速8酒店)
    for s in sorted((s for s in strings if len(s) > 1), key=len, reverse=True):
        masked = masked.replace(s, " ")
    if vocab is not None and vocab.rx is not None:
        bad += [m.group() for m in vocab.rx.finditer(masked) if not vocab.words[m.group()] & values]
    if vocab is not None and vocab.date_rx is not None:
        bad += [m.group() for m in vocab.date_rx.finditer(masked) if (int(m["month"]), int(m["day"])) not in days]
        masked = vocab.date_rx.sub(" ", masked)
    else:  # a date's parts can be said (10月31日)
        numbers |= {float(x) for day in days for x in day} | {float(s[:4]) for s in strings if re.fullmatch(r"\d{4}-.*", s)}
    masked = _CODE.sub(" ", _CLOCK.sub(" ", masked))
    for m in _NUMBER.finditer(masked):
        unit = vocab.unit_rx.match(masked, m.end()) if vocab is not None and vocab.unit_rx is not None else None
        allowed = _keyed(observation, args, vocab.units[unit.group()]) if unit else numbers
        if float(m.group()) not in allowed:
            bad.append(m.group() + (unit.group() if unit else ""))
    return bad


def _keyed(observation: dict, args: dict, keys: tuple[str, ...]) -> set[float]:
    """The numbers under these keys at any depth (``count``: the lengths of the result's lists)."""
    found: set[float] = {float(len(v)) for v in _lists(observation)} if "count" in keys else set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in keys and isinstance(v, (int, float)) and not isinstance(v, bool):
                    found.add(float(v))
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(observation)
    walk(args)
    return found


# -- helpers ----------------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_list(observation: dict) -> list | None:
    return next((v for v in observation.values() if isinstance(v, list)), None)


def _in_result(observation: dict, path: str) -> bool:
    node: Any = observation
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _leaves(value: Any):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif value is not None:
        yield value


def _lists(value: Any):
    if isinstance(value, dict):
        for v in value.values():
            yield from _lists(v)
    elif isinstance(value, list):
        yield value
        for v in value:
            yield from _lists(v)


def _spoken_carriers(lexicons) -> dict[str, str]:
    """Each airline code as people say it: its most used form in carrier.tsv, the shorter on a tie (东航)."""
    best: dict[str, tuple[float, int, str]] = {}
    for e in lexicons.get("CARRIER").entries:
        key = (e.weight, -len(e.surface), e.surface)
        if e.value and (e.value not in best or key > best[e.value]):
            best[e.value] = key
    return {code: k[2] for code, k in best.items()}


def _vocabulary(lexicons, t: dict) -> Vocabulary:
    """Forms of the [check] lexicons (with the tags it names), words of its tables and of every [say.*]."""
    check = t.get("check", {})
    words: dict[str, set[str]] = {}
    for name, tags in check.get("lexicons", {}).items():
        for e in lexicons.get(name).entries:
            if not tags or set(tags) & set(e.tags):
                words.setdefault(e.surface, set()).add(e.value or e.surface)
                if e.value and not e.value.isascii():  # values are said too (如家酒店(火车站店)), codes are not
                    words.setdefault(e.value, set()).add(e.value)
    for path in check.get("words", []):
        file, *keys = path.split(".")
        node: Any = lexicons.table(file)
        for k in keys:
            node = node[k]
        for word in _words(node):
            words.setdefault(word, set()).add(word)
    for table in t.get("say", {}).values():
        for value, word in table.items():
            words.setdefault(word, set()).add(value)
    units = {unit: tuple(keys) for unit, keys in check.get("units", {}).items()}
    return Vocabulary({w: frozenset(v) for w, v in words.items()}, units, t.get("format", {}).get("date", ""))


def _words(node: Any):
    """The words of a table: keys weighted by numbers, and string values, at any depth."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (int, float)):
                yield k
            else:
                yield from _words(v)
    elif isinstance(node, list):
        for v in node:
            yield from _words(v)
    elif isinstance(node, str):
        yield node
