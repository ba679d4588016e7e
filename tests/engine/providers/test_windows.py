"""Context windows: each server's own form, the table of common models, the setting's place."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from engine.providers.tokens import TokenGauge, window_in_error
from engine.providers.windows import (
    OLLAMA_DEFAULT_CONTEXT,
    Window,
    choose,
    discover_window,
    forget_windows,
    ollama_warning,
    table_window,
)
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    forget_windows()


def discover(server: FakeOpenAI, model: str = "fake-root") -> Window | None:
    return asyncio.run(discover_window(server.base_url, model))


def test_vllm_max_model_len() -> None:
    with FakeOpenAI() as server:
        server.model_fields["fake-root"] = {"max_model_len": 16384}
        found = discover(server)
    assert found == Window(16384, "server", "vLLM")


def test_openrouter_context_length_and_its_top_provider() -> None:
    with FakeOpenAI(models=["meta/llama", "other/model"]) as server:
        server.model_fields["meta/llama"] = {"context_length": 131072}
        server.model_fields["other/model"] = {"top_provider": {"context_length": 32768}}
        assert discover(server, "meta/llama") == Window(131072, "server", "OpenRouter")
        assert discover(server, "other/model") == Window(32768, "server", "OpenRouter")


def test_lm_studio_loaded_context_before_its_maximum() -> None:
    with FakeOpenAI() as server:
        server.routes["/api/v0/models/fake-root"] = {
            "id": "fake-root", "state": "loaded", "max_context_length": 32768,
            "loaded_context_length": 8192}
        found = discover(server)
    assert found == Window(8192, "server", "LM Studio", model_max=32768)


def test_llama_cpp_props() -> None:
    with FakeOpenAI() as server:
        server.routes["/props"] = {"default_generation_settings": {"n_ctx": 1024},
                                   "total_slots": 1}
        assert discover(server) == Window(1024, "server", "llama.cpp")
    forget_windows()
    with FakeOpenAI() as server:   # older builds: n_ctx at the top
        server.routes["/props"] = {"n_ctx": 2048}
        assert discover(server) == Window(2048, "server", "llama.cpp")


def ollama_show(parameters: str = "") -> Any:
    def answer(body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("model") not in ("llama3.2", "llama3.2:latest"):
            return None
        return {"parameters": parameters, "model_info": {
            "general.architecture": "llama", "llama.context_length": 131072}}
    return answer


def test_ollama_loaded_context_then_num_ctx_then_its_default() -> None:
    with FakeOpenAI(models=["llama3.2"]) as server:
        server.routes["/api/show"] = ollama_show("num_ctx 8192\nstop \"<|eot_id|>\"")
        server.routes["/api/ps"] = {"models": [{"name": "llama3.2:latest",
                                                "model": "llama3.2:latest",
                                                "context_length": 16384}]}
        assert discover(server, "llama3.2") == Window(16384, "server", "Ollama",
                                                      model_max=131072)
        server.routes["/api/ps"] = {"models": []}
        assert asyncio.run(discover_window(server.base_url, "llama3.2", refresh=True)) == \
            Window(8192, "server", "Ollama", model_max=131072)
        server.routes["/api/show"] = ollama_show()
        found = asyncio.run(discover_window(server.base_url, "llama3.2", refresh=True))
    assert found == Window(OLLAMA_DEFAULT_CONTEXT, "server", "Ollama", model_max=131072,
                           assumed=True)


def test_a_server_that_says_nothing_and_one_that_is_not_there() -> None:
    with FakeOpenAI() as server:
        assert discover(server) is None
        url = server.base_url
    assert asyncio.run(discover_window(url, "fake-root", timeout=1)) is None


def test_answers_are_kept_per_endpoint_and_model() -> None:
    with FakeOpenAI() as server:
        server.model_fields["fake-root"] = {"max_model_len": 4096}
        assert discover(server).tokens == 4096   # type: ignore[union-attr]
        server.model_fields["fake-root"] = {"max_model_len": 9999}
        assert discover(server).tokens == 4096   # type: ignore[union-attr]
        assert discover(server, "fake-sub") is None


def test_the_table_matches_the_longest_name_inside_the_model_name() -> None:
    assert table_window("gpt-4o-mini-2024-07-18") == 128_000
    assert table_window("openai/gpt-4-32k") == 32_768
    assert table_window("gpt-4") == 8_192
    assert table_window("my-own-model") is None


def test_the_server_comes_first_then_the_table_then_the_setting() -> None:
    said = Window(1024, "server", "llama.cpp")
    assert choose(said, "gpt-4o", 50_000) == said
    assert choose(None, "gpt-4o", 50_000) == Window(128_000, "table")
    assert choose(None, "my-own-model", 50_000) == Window(50_000, "setting")
    assert choose(None, "my-own-model", None) == Window(None)


def test_the_window_an_overflow_error_names() -> None:
    assert window_in_error("request (4476 tokens) exceeds the available context size "
                           "(4096 tokens), try increasing it") == 4096
    assert window_in_error("This model's maximum context length is 16,385 tokens. However")\
        == 16385
    assert window_in_error("prompt too long") is None


def test_the_gauge_learns_characters_per_token_from_usage() -> None:
    gauge = TokenGauge()
    assert gauge.tokens("x" * 400) == 101
    gauge.observe(chars=3000, messages=2, prompt_tokens=1008)
    assert gauge.calibrated and gauge.chars_per_token == pytest.approx(3.0)
    gauge.observe(chars=100, messages=1, prompt_tokens=5)   # too small to say anything
    assert gauge.chars_per_token == pytest.approx(3.0)


def test_ollama_warning_names_the_fix() -> None:
    small = Window(4096, "server", "Ollama", assumed=True)
    text = ollama_warning(small, "llama3.2", 6000)
    assert text is not None
    assert "OLLAMA_CONTEXT_LENGTH=8192" in text and "num_ctx 8192" in text
    assert ollama_warning(small, "llama3.2", 4000) is None
    assert ollama_warning(Window(4096, "server", "llama.cpp"), "m", 6000) is None


def test_a_key_matches_only_at_the_start_of_a_name_or_part() -> None:
    assert table_window("openai/o1") == 200_000
    assert table_window("llama-3.1-70b-instruct-turbo1") == 131_072   # not "o1"
    assert table_window("gpt-4.5-preview") == 128_000


def test_a_main_model_too_small_for_any_question_is_named() -> None:
    from engine.providers.windows import small_window_warning

    text = small_window_warning(Window(1024, "server", "llama.cpp"), "tiny", 5000)
    assert text is not None and "1,024 tokens" in text and "--ctx-size" in text
    assert small_window_warning(Window(16384, "server", "llama.cpp"), "m", 5000) is None
    assert small_window_warning(Window(None), "m", 5000) is None
