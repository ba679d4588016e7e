"""Model prices in USD per 1M tokens: a built-in table the user can override, and cost math."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

USER_FILE_NAME = "prices.json"
_PER_TOKENS = 1_000_000
_FIELDS = ("input", "output", "cached_input")
_METADATA_KEYS = ("as_of",)  # plus any key starting with "_"
# "-2025-08-07" (OpenAI) or "-20250514" (Anthropic) at the end of a model name.
_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


@dataclass(frozen=True)
class Price:
    """List price of one model in USD per 1M tokens."""

    input: float
    output: float
    cached_input: float | None = None


class PriceTable:
    """Prices by model name; later sources override earlier ones, names match loosely."""

    def __init__(self, prices: Mapping[str, Price] | None = None, *,
                 as_of: str | None = None) -> None:
        self._prices: dict[str, Price] = {}
        self.as_of = as_of
        self.update(prices or {})

    @classmethod
    def builtin(cls) -> PriceTable:
        """The table shipped with the app."""
        text = resources.files("engine.providers").joinpath(USER_FILE_NAME).read_text("utf-8")
        data = _parse_json(text, "built-in prices.json")
        as_of = data.get("as_of")
        return cls(_parse_table(data, "built-in prices.json"),
                   as_of=as_of if isinstance(as_of, str) else None)

    @classmethod
    def load(cls, config_dir: Path | None, extra_file: Path | None = None) -> PriceTable:
        """Built-in prices, then ``config_dir/prices.json`` if present, then ``extra_file``."""
        table = cls.builtin()
        if config_dir is not None:
            user_file = Path(config_dir) / USER_FILE_NAME
            if user_file.is_file():
                table.update(read_price_file(user_file))
        if extra_file is not None:
            table.update(read_price_file(Path(extra_file)))
        return table

    def update(self, prices: Mapping[str, Price]) -> None:
        """Add or replace prices; keys are stored lower-case so lookups ignore case."""
        for model, price in prices.items():
            self._prices[model.lower()] = price

    def __len__(self) -> int:
        return len(self._prices)

    def __iter__(self) -> Iterator[str]:
        return iter(self._prices)

    def lookup(self, model: str) -> Price | None:
        """Exact name first, then lower-case, then without "vendor/" prefix and date suffix."""
        for name in _candidate_names(model):
            price = self._prices.get(name)
            if price is not None:
                return price
        return None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int,
             cached_tokens: int = 0) -> float | None:
        """USD for one call, or None when the model's price is unknown (never a made-up 0)."""
        price = self.lookup(model)
        if price is None:
            return None
        # Cached tokens are a part of the prompt tokens, billed at the cached rate.
        cached = min(max(cached_tokens, 0), max(prompt_tokens, 0))
        uncached = max(prompt_tokens, 0) - cached
        cached_rate = price.cached_input if price.cached_input is not None else price.input
        total = (uncached * price.input + cached * cached_rate
                 + max(completion_tokens, 0) * price.output)
        return total / _PER_TOKENS


def read_price_file(path: Path) -> dict[str, Price]:
    """Read a user price file; any problem raises ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"price file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read price file {path}: {exc}") from None
    return _parse_table(_parse_json(text, f"price file {path}"), f"price file {path}")


def _candidate_names(model: str) -> list[str]:
    """Names to try in order, from the most to the least specific."""
    lower = model.strip().lower()
    bare = lower.rsplit("/", 1)[-1]  # OpenRouter style "openai/gpt-5" -> "gpt-5"
    names = [model, lower, _DATE_SUFFIX.sub("", lower), bare, _DATE_SUFFIX.sub("", bare)]
    return list(dict.fromkeys(names))  # de-duplicate, keep order


def _parse_json(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f'{what} must hold a JSON object like {{"model": {{"input": 1.0, '
                          f'"output": 2.0}}}}, not {type(data).__name__}')
    return data


def _parse_table(data: Mapping[str, Any], what: str) -> dict[str, Price]:
    return {model: _parse_entry(entry, f"{what}, model {model!r}")
            for model, entry in data.items()
            if not model.startswith("_") and model not in _METADATA_KEYS}


def _parse_entry(entry: Any, what: str) -> Price:
    if not isinstance(entry, dict):
        raise ConfigError(f'{what}: expected an object like {{"input": 1.0, "output": 2.0}} '
                          f"(USD per 1M tokens), got {json.dumps(entry)}")
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{what}: unknown field(s) {', '.join(unknown)}; "
                          f"allowed: {', '.join(_FIELDS)}")
    for field in ("input", "output"):
        if field not in entry:
            raise ConfigError(f'{what}: missing "{field}" (USD per 1M tokens)')
    cached = entry.get("cached_input")
    return Price(input=_price_number(entry["input"], f"{what}, input"),
                 output=_price_number(entry["output"], f"{what}, output"),
                 cached_input=None if cached is None
                 else _price_number(cached, f"{what}, cached_input"))


def _price_number(value: Any, what: str) -> float:
    # bool is an int subclass; "true" as a price is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{what}: expected a number (USD per 1M tokens), "
                          f"got {json.dumps(value)}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{what}: expected a non-negative number, got {value}")
    return float(value)


def check_budget_prices(budget_usd: float | None, prices: PriceTable,
                        models: Iterable[str]) -> None:
    """A budget is a promise; refuse it up front when a model's price is unknown."""
    if budget_usd is None:
        return
    unpriced = sorted({m for m in models if prices.lookup(m) is None})
    if unpriced:
        raise ConfigError(f"--budget needs known prices, and there is none for "
                          f"{', '.join(unpriced)}; add them to a price file and pass "
                          "--prices FILE (see the README), or run without --budget")
