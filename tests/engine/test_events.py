"""Every event type survives its JSON form, and unknown fields from newer logs are ignored."""

from __future__ import annotations

import json

import pytest

from engine import events as ev


def samples() -> list[ev.Event]:
    ids = {"run_id": "r1", "depth": 1, "parent_run_id": "r0", "parent_call_id": "r0:1"}
    return [
        ev.RunStarted(**ids, question="q", root_model="m", sub_model="s", context_chars=5,
                      documents=1, limits={"max_iterations": 3}),
        ev.SandboxStatus(**ids, status={"enforced": False}),
        ev.IterationStarted(**ids, iteration=1, max_iterations=3),
        ev.ModelResponse(**ids, iteration=1, model="m", text="t", prompt_tokens=1,
                         completion_tokens=2, cost_usd=None),
        ev.CellStarted(**ids, iteration=1, cell=1, code="x=1"),
        ev.CellFinished(**ids, iteration=1, cell=1, output="", error="Traceback"),
        ev.SubCallStarted(**ids, call_id="c", kind="llm_query", model="s", prompt_preview="p",
                          prompt_chars=1),
        ev.SubCallFinished(**ids, call_id="c", kind="llm_query", model="s", cost_usd=0.1),
        ev.UsageTotals(**ids, calls=1, prompt_tokens=1, completion_tokens=1, cached_tokens=0,
                       cost_usd=None, known_cost_usd=0.0, unpriced_models=["m"]),
        ev.Notice(**ids, level="warning", message="w"),
        ev.AnswerReady(**ids, text="a", partial=True),
        ev.RunFinished(**ids, stop_reason="answered", duration_s=1.0),
        ev.IngestStarted(files=2), ev.FileDone(path="a", pages=1, chars=2),
        ev.FileFailed(path="b", reason="broken"),
        ev.IngestProgress(files_done=1, files_total=2, pages_done=1),
        ev.IngestFinished(ingested=1, unchanged=0, failed=1, duration_s=0.5),
        ev.IngestStarted(files=3, collection="acme", bytes_total=900, skipped={".png": 2}),
        ev.FileDone(path="/a.pdf", pages=3, chars=90, status="updated", document_id=7,
                    title="Lease", warning="1 page is a scanned image", seconds=0.25),
        ev.FileFailed(path="/b.pdf", reason="password-protected", kind="password",
                      document_id=8, unchanged=True),
        ev.FileMissing(path="/c.pdf", document_id=9, pruned=True),
        ev.IngestProgress(files_done=2, files_total=3, pages_done=40, bytes_done=600,
                          bytes_total=900, elapsed_s=1.5),
        ev.IngestFinished(ingested=1, unchanged=1, failed=1, duration_s=2.0, updated=1,
                          missing=1, pruned=1, pages=40, collection="acme"),
    ]


@pytest.mark.parametrize("event", samples(), ids=lambda e: e.type)
def test_json_round_trip(event: ev.Event) -> None:
    data = json.loads(json.dumps(event.to_json()))
    assert data["type"] == event.type
    assert ev.event_from_json(data) == event


def test_unknown_fields_are_ignored_and_unknown_types_refused() -> None:
    data = ev.Notice(run_id="r", level="info", message="m").to_json()
    data["added_later"] = 1
    assert isinstance(ev.event_from_json(data), ev.Notice)
    with pytest.raises(ValueError):
        ev.event_from_json({"type": "nope"})


def test_stop_reasons_keep_their_strings_on_the_wire() -> None:
    event = ev.RunFinished(run_id="r", stop_reason=ev.StopReason.MAX_ERRORS, duration_s=1.0)
    assert json.loads(json.dumps(event.to_json()))["stop_reason"] == "max_errors"
    assert ev.event_from_json(event.to_json()).stop_reason is ev.StopReason.MAX_ERRORS


def test_an_unknown_stop_reason_from_another_version_is_kept_as_text() -> None:
    assert ev.StopReason.parse("answered") is ev.StopReason.ANSWERED
    assert ev.StopReason.parse("melted") is None and ev.StopReason.parse(None) is None
    data = ev.RunFinished(run_id="r", stop_reason="answered", duration_s=1.0).to_json()
    data["stop_reason"] = "melted"
    assert ev.event_from_json(data).stop_reason == "melted"


def test_limit_reasons() -> None:
    assert {r for r in ev.StopReason if r.is_limit} == {
        ev.StopReason.MAX_ITERATIONS, ev.StopReason.BUDGET, ev.StopReason.TIMEOUT,
        ev.StopReason.MAX_SUB_CALLS, ev.StopReason.MAX_ERRORS}
