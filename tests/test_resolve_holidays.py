"""Lunar holidays and 清明 against published dates (written here, not recomputed)."""
from __future__ import annotations

import pytest

from engine.resolve.holidays import holiday_date

# Published dates (Chinese government holiday notices and standard lunar calendars), 2023–2030.
_YEARS = range(2023, 2031)
PUBLISHED = {
    "lunar:01-01": ["2023-01-22", "2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03"],  # 春节
    "lunar_eve": ["2023-01-21", "2024-02-09", "2025-01-28", "2026-02-16", "2027-02-05", "2028-01-25", "2029-02-12", "2030-02-02"],  # 除夕
    "lunar:01-15": ["2023-02-05", "2024-02-24", "2025-02-12", "2026-03-03", "2027-02-20", "2028-02-09", "2029-02-27", "2030-02-17"],  # 元宵
    "lunar:05-05": ["2023-06-22", "2024-06-10", "2025-05-31", "2026-06-19", "2027-06-09", "2028-05-28", "2029-06-16", "2030-06-05"],  # 端午
    "lunar:07-07": ["2023-08-22", "2024-08-10", "2025-08-29", "2026-08-19", "2027-08-08", "2028-08-26", "2029-08-16", "2030-08-05"],  # 七夕
    "lunar:08-15": ["2023-09-29", "2024-09-17", "2025-10-06", "2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12"],  # 中秋
    "lunar:09-09": ["2023-10-23", "2024-10-11", "2025-10-29", "2026-10-18", "2027-10-08", "2028-10-26", "2029-10-16", "2030-10-05"],  # 重阳
    "term:清明": ["2023-04-05", "2024-04-04", "2025-04-04", "2026-04-05", "2027-04-05", "2028-04-04", "2029-04-04", "2030-04-05"],
}
CASES = [(spec, year, d) for spec, dates in PUBLISHED.items() for year, d in zip(_YEARS, dates)]


@pytest.mark.parametrize(("spec", "year", "expected"), CASES, ids=[f"{s}-{y}" for s, y, _ in CASES])
def test_published_holiday_dates(spec, year, expected):
    assert holiday_date(spec, year).isoformat() == expected


def test_every_holiday_word_is_in_the_data(project):
    words = project.lexicons.table("date_words")["holidays"]
    for name in ["春节", "除夕", "元宵", "端午", "七夕", "中秋", "重阳", "清明", "元旦", "情人节", "劳动节", "五一", "国庆", "十一", "圣诞"]:
        assert name in words, name
