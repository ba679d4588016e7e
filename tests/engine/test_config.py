"""Settings live in the (temporary, in tests) config folder and say clearly when they are bad."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import config
from engine.errors import ConfigError


def test_folders_follow_the_isolated_home(isolated_environment: Path) -> None:
    assert str(config.config_dir()).startswith(str(isolated_environment))
    assert str(config.runs_dir()).startswith(str(isolated_environment))


def test_defaults_round_trip() -> None:
    assert config.load_settings() == config.Settings()
    settings = config.Settings()
    settings.root.model = "gpt-5"
    settings.limits.max_iterations = 12
    path = config.save_settings(settings)
    assert path == config.settings_path()
    assert config.load_settings() == settings


def test_bad_settings_files_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"config\.json"):
        config.load_settings(path)
    path.write_text('{"limits": {"max_iterationz": 3}}')
    with pytest.raises(ConfigError, match="max_iterationz"):
        config.load_settings(path)


@pytest.mark.parametrize("text, words", [
    ('{"limits": {"max_iterations": "30"}}', "limits.max_iterations has the wrong type"),
    ('{"limits": {"max_iterations": true}}', "wrong type"),
    ('{"root": {"base_url": null}}', "root.base_url has the wrong type"),
    ('{"root": "gpt-5"}', "root must be a JSON object"),
    ('{"limits": {"max_iterations": 0}}', "at least 1"),
])
def test_wrong_types_are_clear_errors(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        config.load_settings(path)


def test_an_integer_is_accepted_where_a_float_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"limits": {"budget_usd": 2, "timeout_s": 60}}')
    assert config.load_settings(path).limits.budget_usd == 2


@pytest.mark.parametrize("field, value", [("max_iterations", 0), ("budget_usd", 0.0),
                                          ("cell_timeout_s", -1.0), ("output_limit_chars", 10)])
def test_limits_validate(field: str, value: object) -> None:
    limits = config.Limits(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        limits.validate()


def test_sandbox_settings_load_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"sandbox": {"allow_unsandboxed": true, "memory_mb": null, '
                    '"cpu_seconds": 600}}')
    sandbox = config.load_settings(path).sandbox
    assert sandbox == config.SandboxSettings(allow_unsandboxed=True, cpu_seconds=600)
    assert config.Settings().sandbox.allow_unsandboxed is False  # refused unless asked
    settings = config.Settings(sandbox=config.SandboxSettings(memory_mb=2048))
    config.save_settings(settings)
    assert config.load_settings() == settings


@pytest.mark.parametrize("text, words", [
    ('{"sandbox": {"allow_unsandboxed": "yes"}}', "sandbox.allow_unsandboxed has the wrong type"),
    ('{"sandbox": {"allow_unsandboxed": 1}}', "sandbox.allow_unsandboxed has the wrong type"),
    ('{"sandbox": {"cpu_seconds": true}}', "sandbox.cpu_seconds has the wrong type"),
    ('{"sandbox": {"memory_mb": 1.5}}', "sandbox.memory_mb has the wrong type"),
    ('{"sandbox": {"memory_mb": 10}}', "memory_mb must be at least 64"),
    ('{"sandbox": {"network": "off"}}', "unknown setting"),
    ('{"sandbox": []}', "sandbox must be a JSON object"),
])
def test_bad_sandbox_settings_are_clear_errors(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        config.load_settings(path)
