"""The engine's command-line advice becomes what to do in the app."""

from __future__ import annotations

import pytest

from engine.config import Settings
from engine.endpoints import EndpointChoice, resolve_endpoints
from engine.errors import ConfigError
from engine.ingest.readers.pdf import OCR_ADVICE
from engine.providers.prices import PriceTable, check_budget_prices
from engine.sandbox.policy import WHAT_ISOLATION_STOPS, refusal_message
from engine.secrets import _missing_key_message
from rlm_desktop.advice import READ_AGAIN, in_app, names_command_line


def engine_messages() -> dict[str, str]:
    """Messages the app can show, as the engine writes them (made by the engine where that
    is cheap, copied where it needs a live server)."""
    messages = {
        "ocr missing": f"2 pages are scans without text (p. 1-2); {OCR_ADVICE['missing']}",
        "ocr off": f"1 page is a scan without text (p. 3); {OCR_ADVICE['off']}",
        "password": ("this PDF is password-protected; give its password with `rlm ingest "
                     "--password-stdin` (or `--password PASSWORD`)"),
        "file timeout": ("reading took longer than the 120 s limit (a damaged or very large "
                         "file); raise it with --file-timeout"),
        "pool": ("cannot start the processes that read documents (a worker exited with code 1 "
                 "before it was ready); check the installation with `rlm info`, and that the "
                 "system lets rlm start processes"),
        "missing": ("the file is no longer there (moved or deleted); `rlm ingest --prune` "
                    "removes it from the library"),
        "collection": ("no collection named 'x' in the document store. "
                       "Add files with: rlm ingest PATH --collection x"),
        "401": ("the API key for openai was rejected (401) at https://api.openai.com/v1: bad "
                "key. Check the key, then store it with `rlm key set openai` or set "
                "OPENAI_API_KEY (or pass --api-key-env VAR)."),
        "403": ("openai (https://x/v1) denied access (403) to model 'm': no. The key works but "
                "lacks permission for this model or endpoint; check the account or --model."),
        "404": ("model 'm' is not available at https://x/v1 (404): gone. Check --model against "
                "the provider's model list, and the base URL."),
        "no key": _missing_key_message("openai", "https://api.openai.com/v1", None),
        "no key, no keyring": _missing_key_message("openai", "https://api.openai.com/v1",
                                                   "no OS keyring is available"),
        "price notice": ("the price of model 'm' is unknown, so its cost is not counted; add "
                         "it with --prices FILE"),
        "sandbox": refusal_message({"platform": "linux"}, [next(iter(WHAT_ISOLATION_STOPS))]),
    }
    try:
        resolve_endpoints(EndpointChoice(), Settings())
    except ConfigError as exc:
        messages["no model"] = str(exc)
    try:
        check_budget_prices(1.0, PriceTable({}), ["unpriced-model"])
    except ConfigError as exc:
        messages["budget"] = str(exc)
    return messages


@pytest.mark.parametrize("name", sorted(engine_messages()))
def test_no_message_tells_the_person_to_run_a_command(name: str) -> None:
    original = engine_messages()[name]
    assert names_command_line(original), "the engine's wording changed: update the test"
    said = in_app(original)
    assert not names_command_line(said), said
    assert said.strip()


def test_what_the_app_says_instead() -> None:
    messages = engine_messages()
    assert in_app(messages["ocr missing"]).endswith(f"installer), then {READ_AGAIN}")
    assert READ_AGAIN in in_app(messages["ocr off"])
    assert "enter its password when asked" in in_app(messages["password"])
    assert "Settings, AI models" in in_app(messages["401"])
    assert "Settings, AI models" in in_app(messages["no key"])
    assert "\n" not in in_app(messages["no key"])
    assert "Settings, Prices" in in_app(messages["budget"])
    assert "Settings, Safety" in in_app(messages["sandbox"])
    assert "Re-scan and forget missing files" in in_app(messages["missing"])


def test_the_models_have_the_names_the_screens_use() -> None:
    said = in_app("no model is chosen yet: choose the root model (and, if you like, a cheaper "
                  "sub-model) in the settings, then ask again")
    assert said == ("no model is chosen yet: choose the main model (and, if you like, a cheaper "
                    "helper model) in Settings, AI models, then ask again")


def test_an_engine_fault_is_one_plain_sentence() -> None:
    said = in_app("unexpected error in the engine during ask: KeyError: 'doc'; see the log for "
                  "details")
    assert "KeyError" not in said and "Help > Engine log" in said


def test_unknown_command_line_advice_is_left_out() -> None:
    assert in_app("the file is odd; rerun with --weird-flag") == "the file is odd"
    assert in_app("Plain words stay as they are.") == "Plain words stay as they are."
    assert in_app("run `rlm frobnicate`") == "The engine reported a problem (see its log)."


def test_a_failed_connection_test_says_what_to_do_in_the_app() -> None:
    from rlm_desktop.settings.widgets import describe_test

    reply = {"ok": True, "result": {"ok": False, "latency_s": 0.2, "kind": "auth",
                                    "message": engine_messages()["401"]}}
    kind, text = describe_test("gpt-5", reply)
    assert kind == "error" and not names_command_line(text)
    assert "Settings, AI models" in text
