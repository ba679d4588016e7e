"""Hostile code against the frame protocol: huge, malformed and forged frames, closed pipes,
a flood of calls, a million llm_query calls, a child that stops reading."""

from __future__ import annotations

from typing import Any

from tests.engine.sandbox.hostile.conftest import kernel_pass_only
from tests.support.fake_openai import Reply

CHANNEL = "import os, sys, json\nch = sys.modules['__main__'].CHANNEL\n"


def restarted_with(attack: Any, code: str, words: str, *flags: str) -> Any:
    run = attack(code, *flags)
    cell = run.cell()
    assert cell.restarted, (cell.output, cell.error)
    assert words in (cell.error or ""), cell.error
    return run


def test_frame_announcing_four_gigabytes(attack: Any) -> None:
    restarted_with(attack, CHANNEL + "os.write(ch.out_fd, b'\\xff\\xff\\xff\\xff' + b'x' * 100)",
                   "over the cap")


def test_frame_that_is_not_json(attack: Any) -> None:
    restarted_with(attack, CHANNEL + "os.write(ch.out_fd, b'\\x00\\x00\\x00\\x05{{{{{')",
                   "not valid JSON")


def test_frame_nested_deeper_than_the_recursion_limit(attack: Any) -> None:
    code = CHANNEL + """
body = b'[' * 200_000 + b']' * 200_000
os.write(ch.out_fd, len(body).to_bytes(4, 'big') + body)
"""
    restarted_with(attack, code, "RecursionError")


def test_frame_with_an_integer_too_long_to_parse(attack: Any) -> None:
    code = CHANNEL + """
body = b'{"type": "call", "id": ' + b'9' * 100_000 + b'}'
os.write(ch.out_fd, len(body).to_bytes(4, 'big') + body)
"""
    restarted_with(attack, code, "cannot be decoded")


@kernel_pass_only
def test_frame_that_never_ends(attack: Any) -> None:
    # Announces 1000 bytes, sends 10, then idles: the cell timeout still applies.
    code = CHANNEL + "os.write(ch.out_fd, (1000).to_bytes(4, 'big') + b'0123456789')\n" \
        "import time\ntime.sleep(3600)"
    cell = attack(code, "--cell-timeout", "1").cell()
    assert cell.timed_out and cell.restarted


def test_frames_the_host_did_not_ask_for(attack: Any) -> None:
    code = CHANNEL + "ch.send({'type': 'result', 'id': 999, 'head': '', 'tail': ''})"
    restarted_with(attack, code, "unexpected 'result' frame")


def test_forged_result_fields(attack: Any) -> None:
    code = CHANNEL + "ch.send({'type': 'result', 'id': 1, 'head': ['x'], 'tail': None, " \
        "'total_chars': 'many'})"
    restarted_with(attack, code, "malformed result frame")


@kernel_pass_only
def test_closed_frame_pipes(attack: Any) -> None:
    restarted_with(attack, CHANNEL + "os.close(ch.out_fd)", "the REPL process")
    restarted_with(attack, CHANNEL + "os.close(ch.in_fd)\nimport time\ntime.sleep(5)",
                   "the REPL process")


def test_forged_calls_are_refused_before_any_model_call(attack: Any) -> None:
    code = CHANNEL + """
for op, args in [('read_keys', {}), ('llm_query', {'prompt': 5}),
                 ('llm_query', {'prompt': 'x', 'model': ['a']}), ('rlm_query', 'x'),
                 ('llm_query_batched', {'prompts': [1, 2]})]:
    print(ch.call(op, args).get('error'))
"""
    run = attack(code)
    assert run.shown.count("malformed") == 5
    assert len(run.requests) == 2  # no sub-model call was made


def test_a_million_llm_query_calls_stop_at_the_budget(attack: Any) -> None:
    code = "for i in range(1_000_000):\n    llm_query(f'question {i}')"
    run = attack(code, "--max-sub-calls", "25", answered=False)
    result = run.outcome.result
    assert result["stop_reason"] == "max_sub_calls" and run.outcome.code == 3
    assert result["answer"] == "the run went on"  # the model's last-chance answer
    sub_calls = [r for r in run.requests if r.model == "fake-sub"]
    assert len(sub_calls) == 25


def test_a_flood_of_call_frames_without_waiting(attack: Any) -> None:
    # Frames written straight to the pipe, never waiting for a reply: the host reads at most
    # 64 at a time and the sub-call limit ends the run.
    code = CHANNEL + """
frame = json.dumps({'type': 'call', 'id': 1, 'op': 'llm_query',
                    'args': {'prompt': 'x', 'model': None}}).encode()
data = (len(frame).to_bytes(4, 'big') + frame) * 100_000
view = memoryview(data)
while view:
    view = view[os.write(ch.out_fd, view):]
"""
    run = attack(code, "--max-sub-calls", "30", answered=False)
    assert run.outcome.result["stop_reason"] == "max_sub_calls"
    assert len([r for r in run.requests if r.model == "fake-sub"]) <= 30


@kernel_pass_only
def test_child_that_stops_reading_its_replies(attack: Any) -> None:
    # The reader thread is pointed at an empty pipe while the real one is kept open: big
    # replies fill the host's pipe, and the host must not hang on it.
    code = CHANNEL + """
import threading
keep = os.dup(ch.in_fd)
r, w = os.pipe()
os.dup2(r, ch.in_fd)
threads = [threading.Thread(target=llm_query, args=('x',), daemon=True) for _ in range(4)]
for t in threads:
    t.start()
while True:
    pass
"""
    run = attack(code, "--cell-timeout", "1", sub=Reply(content="y" * 200_000))
    cell = run.cell()
    assert cell.restarted and "stopped reading its input for 5 s" in (cell.error or "")
