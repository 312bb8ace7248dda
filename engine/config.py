"""Generation settings: CLI flags and an optional TOML file, validated into one pydantic model."""
from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import CallgramError, did_you_mean, locate
from engine.paths import read_text

# The most samples one run writes: 10^9 lines of ~1.3 kB are ~1.3 TB and a month on one core; split beyond
# that with --shard into separate runs. Bigger --n values are refused before anything is loaded or written.
MAX_N = 1_000_000_000

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


class LeadTime(BaseModel):
    """How far ahead requested dates lie: always within ``near`` days; beyond, kept with ``far_share``; never past ``max``."""

    model_config = ConfigDict(extra="forbid")

    near: int = Field(60, ge=0)
    far_share: float = Field(0.1, ge=0, le=1)
    max: int = Field(330, ge=0)


class PriceFloor(BaseModel):
    """The cheapest plausible budget ``price`` (a parameter) by the tier of ``city`` (lexicons/zh/city_tiers.toml)
    and by the ``stars`` asked: nobody asks for a five-star hotel in Beijing under 200 a night."""

    model_config = ConfigDict(extra="forbid")

    price: str
    city: str | None = None
    stars: str | None = None
    by_tier: dict[int, int] = Field(default_factory=dict)
    by_stars: dict[int, int] = Field(default_factory=dict)


class GenerateConfig(BaseModel):
    """Everything that decides the generated data, besides the input files themselves."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(2000, ge=1)  # at most MAX_N (see _n_cap)
    seed: int = 0
    mix: Mix = Mix()
    today: date | None = None
    today_range: tuple[date, date] = (date(2023, 1, 1), date(2027, 12, 31))
    edge_days_share: float = Field(0.3, ge=0, le=1)  # share of "today"s drawn from calendar edges
    clarify_share: float = Field(0.4, ge=0, le=1)
    ambiguous_share: float = Field(0.25, ge=0, le=1)  # of clarifications: an ambiguous form, not a missing one
    hard_tags: list[str] = Field(default_factory=lambda: list(DEFAULT_HARD_TAGS))
    max_attempts: int = Field(8, ge=1)
    # Which intents, and how often: relative weights by grammar name (unlisted intents weigh 1).
    intent_weights: dict[str, float] = Field(default_factory=dict)
    # Surface forms people rarely type: at most this share of a lexicon's draws carries the tag...
    form_rates: dict[str, float] = Field(default_factory=dict)
    # ...and only in these intents (an airport code in a flight route, not in a weather question).
    form_intents: dict[str, list[str]] = Field(default_factory=dict)
    # Plausible values: weight of each value of a parameter or derived name (passengers, nights, min_stars…).
    value_weights: dict[str, dict[int, float]] = Field(default_factory=dict)
    max_nights: int = Field(30, ge=1)  # a stay never longer than this, however it is said
    lead_days: "LeadTime" = Field(default_factory=lambda: LeadTime())
    # Tools whose answers only reach so far ahead (a forecast): later dates get a reply without a call.
    forecast_days: dict[str, int] = Field(default_factory=dict)
    beyond_horizon_share: float = Field(0.05, ge=0, le=1)  # of hard samples of such a tool
    price_floor: "PriceFloor | None" = None
    tools_file: bool = True  # write tools.json once beside samples.jsonl; samples name the tools they offer
    # Conversations: the share of all samples each flow (grammars/flows/<name>.toml) takes, out of its kind's
    # share of the mix; the rest of each kind are single turns.
    flow_shares: dict[str, float] = Field(default_factory=dict)
    # Of the single-turn hard samples that carry a hard form (not questions), the share whose hard form has
    # each tag (nickname, relative_date…); the rest take any hard tag. Shares sum to at most 1.
    tag_shares: dict[str, float] = Field(default_factory=dict)
    # A required argument the user's profile can give ("tool.param" -> profile field) is looked up with
    # get_user_profile instead of asked for, when profile_lookup is on; profiles lack each field this often.
    profile_lookup: bool = True
    profile_fill: dict[str, str] = Field(default_factory=dict)
    profile_lacking: float = Field(0.2, ge=0, le=1)
    # Tool lists (engine/offer.py): the share of samples offering a subset of the tools (always holding what
    # the sample needs), and the share of hard samples whose request needs a tool that is not offered.
    tool_subset_share: float = Field(0.0, ge=0, le=1)
    no_tool_share: float = Field(0.0, ge=0, le=1)
    # Add a short rationale (reasoning_content) to each assistant call, built only from what fired.
    reasoning: bool = False

    @field_validator("n")
    @classmethod
    def _n_cap(cls, v):
        if v > MAX_N:
            raise ValueError(f"at most {MAX_N:,} samples a run (about {MAX_N * 1300 / 1e12:.1f} TB); got {v:,}")
        return v

    @model_validator(mode="after")
    def _flows_fit_the_mix(self):
        for share in self.flow_shares.values():
            if not 0 <= share <= 1:
                raise ValueError(f"flow_shares: a share is between 0 and 1, got {share}")
        if any(v < 0 for v in self.tag_shares.values()) or sum(self.tag_shares.values()) > 1 + 1e-9:
            raise ValueError(f"tag_shares: shares are at least 0 and sum to at most 1, got {sum(self.tag_shares.values()):g}")
        return self

    @field_validator("today_range")
    @classmethod
    def _ordered(cls, v):
        if v[0] > v[1]:
            raise ValueError("today_range start is after its end")
        return v


def project_defaults(root: Path) -> dict:
    """The project's own defaults: ``[tool.callgram]`` in its pyproject.toml (intent shares, plausible values)."""
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as e:
        raise CallgramError(f"invalid TOML: {e}", str(path)) from None
    return data.get("tool", {}).get("callgram", {})


def project_config(root: Path, **overrides) -> GenerateConfig:
    """The config a plain ``callgram generate`` in ``root`` uses, with ``overrides`` on top."""
    return load_config(None, overrides, project_defaults(root))


def load_config(path: Path | None, overrides: dict, defaults: dict | None = None) -> GenerateConfig:
    """Project defaults, then a TOML file (if any), then CLI overrides; a bad value is one located error."""
    data: dict = dict(defaults or {})
    shown = str(path) if path else "config"
    if path is not None:
        try:
            if not path.exists():
                raise CallgramError("config file not found", shown)
            data.update(tomllib.loads(read_text(path, shown)))
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


def check_against_project(config: GenerateConfig, project, config_path: Path | None = None) -> None:
    """Names in the config that the project does not define (a tag no lexicon uses, an unknown intent or tool):
    one located error naming the first, with a did-you-mean."""
    tags = {t for lex in project.lexicons.slots.values() for e in lex.entries for t in e.tags}
    intents = set(project.grammar.intents)
    tools = set(project.tools)
    checks = [("hard_tags", config.hard_tags, tags, "tag no lexicon uses"),
              ("form_rates", config.form_rates, tags, "tag no lexicon uses"),
              ("form_intents", config.form_intents, tags, "tag no lexicon uses"),
              ("forecast_days", config.forecast_days, tools, "tool"),
              ("intent_weights", config.intent_weights, intents, "intent (grammar)"),
              ("tag_shares", config.tag_shares, set(config.hard_tags), "tag of hard_tags"),
              ("flow_shares", config.flow_shares, set(project.flows or {}), "flow (grammars/flows/*.toml)"),
              ("profile_fill", [k.split(".")[0] for k in config.profile_fill], tools, "tool")]
    checks += [(f"form_intents.{t}", v, intents, "intent (grammar)") for t, v in config.form_intents.items()]
    for name, flow in (project.flows or {}).items():  # each kind's flows fit in that kind's share
        total = sum(config.flow_shares.get(n, 0) for n, f in project.flows.items() if f.kind == flow.kind)
        if total > getattr(config.mix, flow.kind) + 1e-9:
            raise CallgramError(f"flow_shares: the {flow.kind} flows take {total:g}, more than mix gives {flow.kind} samples "
                                f"({getattr(config.mix, flow.kind):g})", *_where("flow_shares", name, config_path, project.paths.root))
    for key, names, known, what in checks:
        for name in names:
            if name not in known:
                msg = f"{key}: unknown {what} {name!r}{did_you_mean(name, known)}"
                raise CallgramError(msg, *_where(key.split(".")[0], name, config_path, project.paths.root))


def _where(key: str, name: str, config_path: Path | None, root: Path) -> tuple:
    """(file, line, col) of ``name`` under ``key`` in the file that set it: the --config file, else pyproject.toml."""
    candidates = [(config_path, None), (Path(root) / "pyproject.toml", ("tool", "callgram"))]
    for path, section in candidates:
        if path is None or not Path(path).is_file():
            continue
        text = read_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        for part in section or ():
            data = data.get(part, {})
        if key in data:
            at = text.find(key)
            quoted = text.find(f'"{name}"', at)
            line, col = locate(text, f'"{name}"', at) if quoted >= 0 else locate(text, name, at)
            return str(path), line, col
    return "config", 0, 0
