"""Holiday dates: solar fixed days, lunar days via lunar-python, and solar terms (清明)."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar, Solar


@lru_cache(maxsize=1024)
def holiday_date(spec: str, year: int) -> date:
    """The Gregorian date of ``spec`` in ``year``.

    ``spec`` is ``solar:MM-DD``, ``lunar:MM-DD``, ``lunar_eve`` (the day before lunar new year)
    or ``term:NAME`` (a solar term such as 清明).
    """
    kind, _, arg = spec.partition(":")
    if kind == "solar":
        m, d = map(int, arg.split("-"))
        return date(year, m, d)
    if kind == "lunar":
        m, d = map(int, arg.split("-"))
        s = Lunar.fromYmd(year, m, d).getSolar()
        return date(s.getYear(), s.getMonth(), s.getDay())
    if kind == "lunar_eve":
        return holiday_date("lunar:01-01", year) - timedelta(days=1)
    if kind == "term":
        table = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()
        s = table[arg]
        return date(s.getYear(), s.getMonth(), s.getDay())
    raise ValueError(f"unknown holiday spec {spec!r}")
