"""Lunar holidays and 清明 against published dates (written here, not recomputed)."""
from __future__ import annotations

import pytest

from engine.resolve.holidays import holiday_date

PUBLISHED = {
    "lunar:01-01": {2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03"},
    "lunar:08-15": {2023: "2023-09-29", 2024: "2024-09-17", 2025: "2025-10-06", 2026: "2026-09-25", 2027: "2027-09-15", 2028: "2028-10-03", 2029: "2029-09-22", 2030: "2030-09-12"},
    "lunar:05-05": {2023: "2023-06-22", 2024: "2024-06-10", 2025: "2025-05-31", 2026: "2026-06-19", 2027: "2027-06-09", 2028: "2028-05-28", 2029: "2029-06-16", 2030: "2030-06-05"},
    "term:清明": {2023: "2023-04-05", 2024: "2024-04-04", 2025: "2025-04-04", 2026: "2026-04-05", 2027: "2027-04-05", 2028: "2028-04-04", 2029: "2029-04-04", 2030: "2030-04-05"},
    "lunar_eve": {2024: "2024-02-09", 2025: "2025-01-28", 2026: "2026-02-16"},
    "lunar:01-15": {2024: "2024-02-24", 2025: "2025-02-12"},
}
CASES = [(spec, year, d) for spec, years in PUBLISHED.items() for year, d in years.items()]


@pytest.mark.parametrize(("spec", "year", "expected"), CASES, ids=[f"{s}-{y}" for s, y, _ in CASES])
def test_published_holiday_dates(spec, year, expected):
    assert holiday_date(spec, year).isoformat() == expected
