"""Example strings for a JSON-Schema ``pattern`` (``^[0-9]{4}$`` → 0381, 7720…), drawn deterministically
for the lexicon `callgram new` writes; patterns beyond simple classes, groups and counts are refused."""
from __future__ import annotations

import random
import re

def unanchored(pattern: str) -> str | None:
    """The pattern without its ^…$ anchors (lexicon patterns match inside an utterance), or None if anchors remain."""
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    elif body.startswith(r"\A"):
        body = body[2:]
    if body.endswith(r"\Z") or body.endswith(r"\z"):
        body = body[:-2]
    elif body.endswith("$") and not body.endswith(r"\$"):
        body = body[:-1]
    if re.search(r"(?<!\\)[\^$]", body.replace("[^", "[")):
        return None
    try:
        re.compile(body)
    except re.error:
        return None
    return body


def examples_of(pattern: str, seed: str, k: int = 6) -> list[str]:
    """Up to ``k`` distinct strings matching ``pattern``, drawn deterministically; [] when it cannot."""
    import re._parser as sre

    try:
        tree = sre.parse(pattern)
    except re.error:
        return []
    rng = random.Random(seed)
    rx = re.compile(pattern)
    out: list[str] = []
    for _ in range(k * 8):
        try:
            s = _gen(tree, rng)
        except _Unsupported:
            return []
        if rx.fullmatch(s) and s not in out and s.strip() == s and "\t" not in s:
            out.append(s)
        if len(out) == k:
            break
    return out


class _Unsupported(Exception):
    pass


_ALNUM = [chr(c) for c in (*range(48, 58), *range(65, 91), *range(97, 123))]


def _gen(items, rng: random.Random) -> str:
    from re._constants import (ANY, AT, BRANCH, CATEGORY, CATEGORY_DIGIT, CATEGORY_WORD, IN, LITERAL, MAX_REPEAT,
                               MAXREPEAT, MIN_REPEAT, NEGATE, RANGE, SUBPATTERN)

    out = []
    for op, av in items:
        if op is LITERAL:
            out.append(chr(av))
        elif op is AT:
            continue
        elif op is ANY:
            out.append(rng.choice(_ALNUM))
        elif op is IN:
            chars = []
            for sub_op, sub_av in av:
                if sub_op is NEGATE:
                    raise _Unsupported
                if sub_op is LITERAL:
                    chars.append(chr(sub_av))
                elif sub_op is RANGE:
                    chars += [chr(c) for c in range(sub_av[0], min(sub_av[1], sub_av[0] + 200) + 1)]
                elif sub_op is CATEGORY and sub_av is CATEGORY_DIGIT:
                    chars += [str(d) for d in range(10)]
                elif sub_op is CATEGORY and sub_av is CATEGORY_WORD:
                    chars += _ALNUM
                else:
                    raise _Unsupported
            out.append(rng.choice(chars))
        elif op in (MAX_REPEAT, MIN_REPEAT):
            lo, hi, sub = av
            hi = lo + 3 if hi is MAXREPEAT else min(hi, lo + 6)
            out += [_gen(sub, rng) for _ in range(rng.randint(lo, hi))]
        elif op is SUBPATTERN:
            out.append(_gen(av[-1], rng))
        elif op is BRANCH:
            out.append(_gen(rng.choice(av[1]), rng))
        elif op is CATEGORY and av is CATEGORY_DIGIT:
            out.append(str(rng.randrange(10)))
        elif op is CATEGORY and av is CATEGORY_WORD:
            out.append(rng.choice(_ALNUM))
        else:
            raise _Unsupported
    return "".join(out)


