"""Numerals → int: Chinese, Arabic, full-width and mixed forms (三, 两, 俩, 3, ３, 1百2十)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import cn2an

from engine.resolve import Resolved

_CN_DIGITS = "零〇一二三四五六七八九十百千万亿两"


def resolve_int(text: str, numerals: dict) -> Resolved:
    """The integer a numeral means; vague amounts (半, 几, 十几) are ambiguous."""
    return _resolve_int(text.strip(), _freeze(numerals))


def _freeze(numerals: dict):
    return tuple(sorted(numerals.get("special", {}).items())), tuple(numerals.get("vague", []))


@lru_cache(maxsize=4096)
def _resolve_int(text: str, frozen) -> Resolved:
    special, vague = dict(frozen[0]), frozen[1]
    if not text:
        return Resolved("unknown", rule="empty")
    if any(v in text for v in vague):
        return Resolved("ambiguous", [], rule="vague amount")
    if text in special:
        return Resolved("int", int(special[text]), rule=f"special numeral {text}")
    norm = unicodedata.normalize("NFKC", text)
    if norm.isascii() and norm.isdigit():
        return Resolved("int", int(norm), rule="arabic numeral")
    if not re.fullmatch(f"[0-9{_CN_DIGITS}]+", norm):
        return Resolved("unknown", rule="not a numeral")
    # cn2an reads 两 in 两百 but not a bare 两; special words were mapped above.
    try:
        value = cn2an.cn2an(norm.replace("两", "二"), "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return Resolved("unknown", rule="cn2an could not read it")
    if int(value) != value:
        return Resolved("unknown", rule="not an integer")
    return Resolved("int", int(value), rule="chinese numeral (cn2an)")


def resolve_count(text: str, numerals: dict) -> Resolved:
    """A counted phrase: 三张票, 两个人, 我们俩, 一家三口, 两大一小, 住三晚; a bare numeral too."""
    text = text.strip()
    bare = resolve_int(text, numerals)
    if bare.type != "unknown":
        return bare
    for p in sorted(numerals.get("prefixes", []), key=len, reverse=True):
        if text.startswith(p) and len(text) > len(p):
            inner = resolve_count(text[len(p):], numerals)
            if inner.type in ("int", "ambiguous"):
                return Resolved(inner.type, inner.value, inner.flags, f"{p}…: {inner.rule}")
            break
    family = numerals.get("family")
    if family and text.startswith(family[0]) and text.endswith(family[1]):
        r = resolve_int(text[len(family[0]):-len(family[1])], numerals)
        if r.type in ("int", "ambiguous"):
            return Resolved(r.type, r.value, r.flags, f"{family[0]}N{family[1]} = N people")
    big, small = numerals.get("adults_children", ["", ""])
    m = re.fullmatch(f"(.+?){big}(.+?){small}", text) if big else None
    if m:
        a, c = resolve_int(m.group(1), numerals), resolve_int(m.group(2), numerals)
        if a.type == c.type == "int":
            return Resolved("int", a.value + c.value, (f"adults:{a.value}", f"children:{c.value}"), "N大M小 = N adults + M children")
    for counter in sorted(numerals.get("counters", []), key=len, reverse=True):
        if text.endswith(counter) and len(text) > len(counter):
            r = resolve_int(text[: -len(counter)], numerals)
            if r.type in ("int", "ambiguous"):
                flags = ("nights",) if counter in numerals.get("night_counters", []) else ()
                return Resolved(r.type, r.value, r.flags + flags, f"N{counter}: {r.rule}")
    return Resolved("unknown", rule="not a count")
