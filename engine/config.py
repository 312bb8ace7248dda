"""Generation settings: CLI flags and an optional TOML file, validated into one pydantic model."""
from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import CallgramError

DEFAULT_HARD_TAGS = [
    "abbr", "nickname", "pinyin", "english", "iata", "typo", "alias", "lowercase",
    "relative_date", "weekday", "weekend", "holiday", "month_end", "range", "day_part", "colloquial", "cn_numeral", "fullwidth",
]


class Mix(BaseModel):
    """Share of each sample kind; sums to 1."""

    model_config = ConfigDict(extra="forbid")

    positive: float = Field(0.6, ge=0, le=1)
    hard: float = Field(0.3, ge=0, le=1)
    negative: float = Field(0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = self.positive + self.hard + self.negative
        if abs(total - 1) > 1e-6:
            raise ValueError(f"mix must sum to 1, got {total:g}")
        return self

    @classmethod
    def parse(cls, text: str) -> "Mix":
        """``"0.6,0.3,0.1"`` → Mix."""
        try:
            parts = [float(x) for x in text.split(",")]
        except ValueError:
            raise CallgramError(f"--mix: expected three numbers like 0.6,0.3,0.1, got {text!r}") from None
        if len(parts) != 3:
            raise CallgramError(f"--mix: expected three numbers (positive,hard,negative), got {len(parts)}")
        try:
            return cls(positive=parts[0], hard=parts[1], negative=parts[2])
        except ValidationError as e:
            raise CallgramError(f"--mix: {_first(e)}") from None


class GenerateConfig(BaseModel):
    """Everything that decides the generated data, besides the input files themselves."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(2000, ge=1)
    seed: int = 0
    mix: Mix = Mix()
    today: date | None = None
    today_range: tuple[date, date] = (date(2023, 1, 1), date(2027, 12, 31))
    edge_days_share: float = Field(0.3, ge=0, le=1)  # share of "today"s drawn from calendar edges
    clarify_share: float = Field(0.4, ge=0, le=1)
    ambiguous_share: float = Field(0.25, ge=0, le=1)  # of clarifications: an ambiguous form, not a missing one
    hard_tags: list[str] = Field(default_factory=lambda: list(DEFAULT_HARD_TAGS))
    max_attempts: int = Field(8, ge=1)

    @field_validator("today_range")
    @classmethod
    def _ordered(cls, v):
        if v[0] > v[1]:
            raise ValueError("today_range start is after its end")
        return v


def load_config(path: Path | None, overrides: dict) -> GenerateConfig:
    """A TOML file (if any) with CLI overrides on top; a bad value is one located error."""
    data: dict = {}
    shown = str(path) if path else "config"
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CallgramError("config file not found", shown) from None
        except tomllib.TOMLDecodeError as e:
            raise CallgramError(f"invalid TOML: {e}", shown) from None
    flags = {k: v for k, v in overrides.items() if v is not None}
    data.update(flags)
    try:
        return GenerateConfig.model_validate(data)
    except ValidationError as e:
        field = str(e.errors()[0]["loc"][0]) if e.errors()[0]["loc"] else ""
        if field in flags:  # the bad value came from a command-line flag: name the flag
            raise CallgramError(f"--{field}: {_first(e).split(': ', 1)[-1]}") from None
        raise CallgramError(_first(e), shown) from None


def _first(e: ValidationError) -> str:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg
