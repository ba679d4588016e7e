"""``rlm info`` names each model's window, and warns when Ollama would cut prompts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.cli import info as info_cli
from engine.cli.main import main
from engine.config import ModelSettings, Settings, save_settings
from engine.providers.windows import forget_windows
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    forget_windows()
    monkeypatch.setattr(info_cli, "sandbox_info", lambda: {"enforced": True})


def info(capsys: Any, *args: str) -> str:
    assert main(["info", *args]) == 0
    return str(capsys.readouterr().out)


def test_info_shows_the_windows_and_the_ollama_warning(capsys: Any) -> None:
    with FakeOpenAI() as vllm, FakeOpenAI(models=["llama3.2"]) as ollama:
        vllm.model_fields["fake-root"] = {"max_model_len": 32768}
        ollama.routes["/api/show"] = {"parameters": "", "model_info": {
            "general.architecture": "llama", "llama.context_length": 131072}}
        save_settings(Settings(root=ModelSettings(model="fake-root", base_url=vllm.base_url),
                               sub=ModelSettings(model="llama3.2", base_url=ollama.base_url)))
        out = info(capsys)
        data = json.loads(info(capsys, "--json"))
    lines = out.splitlines()
    main_line = next(line for line in lines if line.startswith("main model"))
    assert main_line.endswith("window 32,768 tokens (reported by vLLM)")
    helper = next(line for line in lines if line.startswith("helper model"))
    assert helper.endswith("window 4,096 tokens (Ollama's default, assumed)")
    warning = lines[lines.index(helper) + 1].strip()
    assert warning.startswith("warning: Ollama serves model 'llama3.2' with a window of 4,096")
    assert "OLLAMA_CONTEXT_LENGTH=8192" in warning
    assert data["models"]["root"]["window"]["tokens"] == 32768
    assert data["models"]["sub"]["window"]["server"] == "Ollama"


def test_info_falls_back_to_the_table_and_the_setting(capsys: Any) -> None:
    save_settings(Settings(root=ModelSettings(model="gpt-4o", base_url="http://127.0.0.1:9/v1"),
                           sub=ModelSettings(model="house-model", context_window=20000)))
    out = info(capsys)
    assert "main model       gpt-4o at http://127.0.0.1:9/v1, window 128,000 tokens " \
           "(known model)" in out
    assert "helper model     house-model at http://127.0.0.1:9/v1, window 20,000 tokens " \
           "(from the settings)" in out
