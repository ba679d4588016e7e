"""Price table: built-in prices, loose model-name matching, cost math and user overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.providers.prices import Price, PriceTable, check_budget_prices


def write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_builtin_table_has_common_models_and_a_date() -> None:
    table = PriceTable.builtin()
    assert table.lookup("gpt-5") == Price(1.25, 10.0, 0.125)
    assert table.lookup("gpt-4o-mini") == Price(0.15, 0.6, 0.075)
    assert table.lookup("o4-mini") == Price(1.1, 4.4, 0.275)
    assert table.as_of and table.as_of[:2] == "20"
    assert "_comment" not in table and "as_of" not in table


@pytest.mark.parametrize("name", [
    "gpt-5", "GPT-5", "openai/gpt-5", "gpt-5-2025-08-07", "gpt-5-20250807",
    "OpenAI/GPT-5-2025-08-07",
])
def test_lookup_normalises_case_vendor_prefix_and_date(name: str) -> None:
    assert PriceTable.builtin().lookup(name) == Price(1.25, 10.0, 0.125)


def test_lookup_prefers_an_exact_dated_entry_over_the_normalised_one() -> None:
    table = PriceTable.builtin()
    assert table.lookup("gpt-4o-2024-05-13") == Price(5.0, 15.0)
    assert table.lookup("gpt-4o-2024-08-06") == Price(2.5, 10.0, 1.25)


def test_lookup_of_an_unknown_model_is_none() -> None:
    table = PriceTable.builtin()
    assert table.lookup("llama3.1:8b") is None
    assert table.lookup("gpt-5-turbo-ultra") is None
    assert table.cost("llama3.1:8b", 1000, 1000) is None  # never a made-up 0


def test_cost_bills_cached_tokens_at_the_cached_price() -> None:
    table = PriceTable.builtin()
    expected = (800 * 1.25 + 200 * 0.125 + 500 * 10.0) / 1_000_000
    assert table.cost("gpt-5", 1000, 500, cached_tokens=200) == pytest.approx(expected)
    assert table.cost("gpt-5", 1000, 500) == pytest.approx((1000 * 1.25 + 5000) / 1e6)


def test_cost_without_a_cached_price_bills_cached_tokens_as_input() -> None:
    table = PriceTable({"m": Price(input=2.0, output=4.0)})
    assert table.cost("m", 1000, 100, cached_tokens=600) == pytest.approx(
        (1000 * 2.0 + 100 * 4.0) / 1e6)


def test_cost_clamps_cached_tokens_to_the_prompt() -> None:
    table = PriceTable({"m": Price(input=1.0, output=1.0, cached_input=0.0)})
    assert table.cost("m", 100, 0, cached_tokens=500) == 0.0
    assert table.cost("m", 0, 0) == 0.0  # a known price and no tokens is a real 0


def test_user_file_in_the_config_dir_overrides_and_adds(tmp_path: Path) -> None:
    write_json(tmp_path / "prices.json", {
        "gpt-5": {"input": 1.0, "output": 8.0},
        "my-local-model": {"input": 0.0, "output": 0.0},
    })
    table = PriceTable.load(tmp_path)
    assert table.lookup("gpt-5") == Price(1.0, 8.0)
    assert table.lookup("openai/gpt-5-2025-08-07") == Price(1.0, 8.0)
    assert table.lookup("my-local-model") == Price(0.0, 0.0)
    assert table.lookup("gpt-4.1") == Price(2.0, 8.0, 0.5)  # the rest stays built-in


def test_prices_flag_file_wins_over_the_config_dir(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    write_json(config_dir / "prices.json", {"gpt-5": {"input": 1.0, "output": 8.0},
                                            "a": {"input": 1.0, "output": 1.0}})
    extra = write_json(tmp_path / "run-prices.json", {"gpt-5": {"input": 3.0, "output": 9.0,
                                                                "cached_input": 0.3}})
    table = PriceTable.load(config_dir, extra)
    assert table.lookup("gpt-5") == Price(3.0, 9.0, 0.3)
    assert table.lookup("a") == Price(1.0, 1.0)


def test_missing_config_dir_or_file_is_fine(tmp_path: Path) -> None:
    assert PriceTable.load(None).lookup("gpt-5") == Price(1.25, 10.0, 0.125)
    assert PriceTable.load(tmp_path / "nowhere").lookup("gpt-5") is not None


def test_overrides_do_not_leak_into_the_next_load(tmp_path: Path) -> None:
    write_json(tmp_path / "prices.json", {"gpt-5": {"input": 9.0, "output": 9.0}})
    PriceTable.load(tmp_path)
    assert PriceTable.load(None).lookup("gpt-5") == Price(1.25, 10.0, 0.125)


def test_invalid_json_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text('{\n  "gpt-5": {"input": 1.0,\n  "output" 2.0}\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        PriceTable.load(tmp_path)
    assert str(bad) in str(info.value)
    assert "line 3" in str(info.value)


@pytest.mark.parametrize(("entry", "words"), [
    ({"input": 1.0}, 'missing "output"'),
    ({"output": 1.0}, 'missing "input"'),
    ({"input": -1.0, "output": 1.0}, "non-negative"),
    ({"input": "1.0", "output": 1.0}, "expected a number"),
    ({"input": True, "output": 1.0}, "expected a number"),
    ({"input": 1.0, "output": 1.0, "cached_input": -0.5}, "non-negative"),
    ({"input": 1.0, "output": 1.0, "cached": 0.5}, "unknown field"),
    (2.5, "expected an object"),
])
def test_bad_entries_raise_config_error_naming_file_and_model(
        tmp_path: Path, entry: object, words: str) -> None:
    extra = write_json(tmp_path / "mine.json", {"my-model": entry})
    with pytest.raises(ConfigError) as info:
        PriceTable.load(None, extra)
    message = str(info.value)
    assert str(extra) in message
    assert "my-model" in message
    assert words in message


def test_a_file_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    extra = write_json(tmp_path / "list.json", [{"gpt-5": 1}])
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        PriceTable.load(None, extra)


def test_a_missing_prices_flag_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "typo.json"
    with pytest.raises(ConfigError, match="does not exist") as info:
        PriceTable.load(None, missing)
    assert str(missing) in str(info.value)


def test_budget_needs_every_price() -> None:
    prices = PriceTable.builtin()
    check_budget_prices(1.0, prices, ("gpt-5", "gpt-5-mini"))
    check_budget_prices(None, prices, ("mystery", "mystery"))
    with pytest.raises(ConfigError, match="mystery"):
        check_budget_prices(1.0, prices, ("gpt-5", "mystery"))
