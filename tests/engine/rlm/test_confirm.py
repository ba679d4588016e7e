"""A FINAL called before the model saw its code's output is held back once, through the real
engine: scripted replies on the fake server, a real REPL child."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.cli import progress, show
from engine.events import AnswerHeldBack, HoldReason, StopReason, event_from_json
from engine.export.document import build
from engine.store.trajectory import read_events
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import Outcome, ask, repl

LOOK = repl("print(len(context))")


def run(tmp_path: Path, capsys: Any, *replies: str, extra: tuple[str, ...] = (),
        sub: str = "fine") -> tuple[Outcome, FakeOpenAI]:
    script = by_model({"fake-root": sequence(*replies), "fake-sub": sub})
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "What is the code?", *extra)
    return out, server


def root_requests(server: FakeOpenAI) -> list[Any]:
    return [r for r in server.requests if r.model == "fake-root"]


def held(out: Outcome) -> list[Any]:
    return out.of_type("answer_held_back")


def test_final_after_unseen_output_is_held_and_the_confirmation_ends_the_run(
        tmp_path: Path, capsys: Any) -> None:
    out, server = run(tmp_path, capsys, LOOK,
                      repl("hits = context.count('7319')\nprint('hits:', hits)\nFINAL('guess')"),
                      repl("FINAL('The code is 7319.')"))
    assert out.code == 0 and out.result["answer"] == "The code is 7319."
    assert out.result["stop_reason"] == StopReason.ANSWERED and not out.result["partial"]
    [event] = held(out)
    assert event.answer == "guess" and event.reason == HoldReason.UNSEEN_OUTPUT
    assert event.iteration == 2 and event.unseen_chars == len("hits: 1\n")
    requests = root_requests(server)
    assert len(requests) == 3
    shown = requests[2].last_user
    assert "hits: 1" in shown and "not accepted yet" in shown and "guess" in shown
    assert [e.text for e in out.of_type("answer")] == ["The code is 7319."]


def test_output_of_an_earlier_cell_in_the_same_reply_counts(tmp_path: Path,
                                                            capsys: Any) -> None:
    reply = ("Two cells.\n```repl\nprint(context.count('7319'))\n```\n"
             "```repl\nFINAL('one match')\n```\n")
    out, server = run(tmp_path, capsys, LOOK, reply, repl("FINAL('one match, checked')"))
    assert out.result["answer"] == "one match, checked"
    assert [e.answer for e in held(out)] == ["one match"]
    assert len(root_requests(server)) == 3


def test_blocks_after_a_held_final_do_not_run_and_the_model_is_told(tmp_path: Path,
                                                                   capsys: Any) -> None:
    reply = ("```repl\nprint(1)\nFINAL('early')\n```\n```repl\nprint('after')\n```\n")
    out, server = run(tmp_path, capsys, LOOK, reply, repl("FINAL('confirmed')"))
    assert out.result["answer"] == "confirmed"
    assert len(out.of_type("cell_started")) == 3  # LOOK, the FINAL cell, the confirmation
    assert "blocks after the one that called FINAL did not run" in \
        root_requests(server)[2].last_user


def test_final_with_no_unseen_output_ends_at_once(tmp_path: Path, capsys: Any) -> None:
    # Output printed after FINAL was not what the answer was built from: no hold for it.
    out, server = run(tmp_path, capsys, LOOK,
                      repl("answer = 'The code is 7319.'\nFINAL(answer)\nprint('sent')"),
                      repl("FINAL('never asked for')"))
    assert out.result["answer"] == "The code is 7319." and not held(out)
    assert len(root_requests(server)) == 2


def test_final_in_the_first_reply_is_held(tmp_path: Path, capsys: Any) -> None:
    out, server = run(tmp_path, capsys, repl("FINAL('a guess')"),
                      repl("print(context.count('7319'))"), repl("FINAL('7319, checked')"))
    assert out.result["answer"] == "7319, checked"
    [event] = held(out)
    assert event.reason == HoldReason.FIRST_REPLY and event.answer == "a guess"
    assert event.unseen_chars == 0
    assert "before looking at the documents" in root_requests(server)[1].last_user


def test_prose_final_in_the_first_reply_is_held(tmp_path: Path, capsys: Any) -> None:
    out, _ = run(tmp_path, capsys, "I am sure.\nFINAL(The code is 42.)", LOOK,
                      "Checked.\nFINAL(The code is 7319.)")
    assert out.result["answer"] == "The code is 7319."
    assert [(e.answer, e.reason) for e in held(out)] == [("The code is 42.",
                                                          HoldReason.FIRST_REPLY)]


def test_prose_final_beside_code_that_printed_is_held(tmp_path: Path, capsys: Any) -> None:
    reply = "```repl\nprint(context.count('7319'))\n```\nFINAL(The code is 7319.)"
    out, server = run(tmp_path, capsys, LOOK, reply, repl("FINAL('The code is 7319 (seen).')"))
    assert out.result["answer"] == "The code is 7319 (seen)."
    [event] = held(out)
    assert event.answer == "The code is 7319." and event.reason == HoldReason.UNSEEN_OUTPUT
    assert "Cell 2 output:\n1" in root_requests(server)[2].last_user


def test_prose_final_beside_silent_code_ends_at_once(tmp_path: Path, capsys: Any) -> None:
    reply = "```repl\nnote = 'kept'\n```\nFINAL(The code is 7319.)"
    out, _ = run(tmp_path, capsys, LOOK, reply, repl("FINAL('never asked for')"))
    assert out.result["answer"] == "The code is 7319." and not held(out)


def test_prose_final_var_beside_code_is_read_from_the_repl(tmp_path: Path,
                                                           capsys: Any) -> None:
    reply = "```repl\nsummary = 'code 7319'\nprint(summary)\n```\nFINAL_VAR(summary)"
    out, _ = run(tmp_path, capsys, LOOK, reply, repl("FINAL(summary + ' (seen)')"))
    assert [e.answer for e in held(out)] == ["code 7319"]
    assert out.result["answer"] == "code 7319 (seen)"


def test_the_setting_off_ends_at_once(tmp_path: Path, capsys: Any) -> None:
    out, server = run(tmp_path, capsys, repl("print(len(context))\nFINAL('at once')"),
                      repl("FINAL('never asked for')"), extra=("--accept-early-answers",))
    assert out.result["answer"] == "at once" and not held(out)
    assert len(root_requests(server)) == 1
    assert out.of_type("run_started")[0].limits["confirm_early_answers"] is False


def test_the_next_final_after_a_hold_ends_the_run(tmp_path: Path, capsys: Any) -> None:
    out, server = run(tmp_path, capsys, LOOK, repl("print(2)\nFINAL('first')"),
                      repl("print(3)\nFINAL('second')"), repl("FINAL('third')"))
    assert out.result["answer"] == "second" and len(held(out)) == 1
    assert len(root_requests(server)) == 3


def test_no_hold_on_the_last_step(tmp_path: Path, capsys: Any) -> None:
    out, server = run(tmp_path, capsys, LOOK, repl("print(2)\nFINAL('last step')"),
                      extra=("--max-iterations", "2"))
    assert out.result["answer"] == "last step" and not out.result["partial"] and not held(out)
    assert len(root_requests(server)) == 2


def test_a_held_answer_is_the_partial_answer_when_a_limit_stops_the_run(
        tmp_path: Path, capsys: Any) -> None:
    out, _ = run(tmp_path, capsys, LOOK, repl("print(2)\nFINAL('held answer')"),
                 "Still thinking, no answer yet.", extra=("--max-iterations", "3"))
    assert out.result["stop_reason"] == StopReason.MAX_ITERATIONS
    answer = out.result["answer"]
    assert out.result["partial"] and answer.startswith(
        "The model did not finish: it did not confirm the answer it gave before reading its "
        "results.")
    assert "Its unconfirmed answer:\n\nheld answer\n\n" in answer
    assert "Its last reply, which it did not give as its answer:\n\nStill thinking" in answer


def test_the_views_word_a_held_answer(tmp_path: Path, capsys: Any) -> None:
    out, _ = run(tmp_path, capsys, LOOK, repl("print(2)\nFINAL('first')"), repl("FINAL('ok')"))
    [event] = held(out)
    words = "The model answered before reading its results; it was shown them and asked to confirm"
    assert progress.format_event(event) == f"  {words}"
    assert any(words in line for line in show.render(list(read_events(out.log))).splitlines())
    appendix = build(read_events(out.log), with_trajectory=True).appendix
    assert appendix is not None
    assert any(words in n and "The answer it gave first: first" in n for n in appendix.notices)


def test_the_event_reads_back_with_its_reason() -> None:
    event = AnswerHeldBack(run_id="r", iteration=2, answer="a", reason=HoldReason.FIRST_REPLY)
    back = event_from_json(event.to_json())
    assert back == event and isinstance(back.reason, HoldReason)
    newer = event_from_json({**event.to_json(), "reason": "some_newer_reason"})
    assert newer.reason == "some_newer_reason"
    assert progress.format_event(newer) == "  The model was asked to confirm its answer"
