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
