"""Hostile code against what the host holds for the REPL: call arguments in memory, context
slices on disk, and text that is not valid Unicode (lone surrogates) in frames."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from engine.rlm import subcalls
from engine.sandbox import calls
from tests.engine.sandbox.hostile.test_hostile_protocol import CHANNEL
from tests.support.fake_openai import ChatRequest, Reply
from tests.support.harness import repl

MB = 1024 * 1024

LONE = "\\ud800"  # as model code writes it: a lone surrogate, which UTF-8 cannot carry


def _log_is_valid_utf8_json(run: Any) -> str:
    raw = run.outcome.log.read_bytes().decode("utf-8")  # strict: fails on a surrogate
    for line in raw.splitlines():
        json.loads(line)
    return raw


def test_lone_surrogates_in_output_prompt_and_final(attack: Any) -> None:
    code = f"""
print('out {LONE} end')
print(llm_query('prompt {LONE} end'))
FINAL('answer {LONE} end')
"""
    # Its FINAL follows output: with the hold on, the model would be asked to confirm it.
    run = attack(code, "--accept-early-answers", answered=False)
    assert run.outcome.code == 0, run.outcome.stderr
    assert run.outcome.result["answer"] == "answer ? end"
    assert any(r.last_user == "prompt ? end" for r in run.requests)
    assert "out ? end" in _log_is_valid_utf8_json(run)


def test_lone_surrogate_escapes_in_forged_frames(attack: Any) -> None:
    # The child's own encoder replaces surrogates; code writing frames itself can send a
    # JSON escape that decodes to one.
    code = CHANNEL + r"""
body = (b'{"type":"call","id":777,"op":"llm_query",'
        b'"args":{"prompt":"forged \\ud800 \\udfff end","model":null}}')
os.write(ch.out_fd, len(body).to_bytes(4, 'big') + body)
import time
time.sleep(1)
"""
    run = attack(code)
    assert any(r.last_user == "forged ? ? end" for r in run.requests)
    _log_is_valid_utf8_json(run)


def test_lone_surrogate_escapes_in_a_forged_result_with_final(attack: Any) -> None:
    # Cell 1's result, forged with the answer in it; the child then leaves so that its own
    # result never arrives.
    code = CHANNEL + r"""
body = (b'{"type":"result","id":1,"head":"out \\ud800","tail":"","total_chars":5,'
        b'"error":null,"final":"answer \\udc00 end","final_set":true,"duration_s":0.1}')
os.write(ch.out_fd, len(body).to_bytes(4, 'big') + body)
os._exit(0)
"""
    run = attack(code, "--accept-early-answers", answered=False)
    assert run.outcome.code == 0, run.outcome.stderr
    assert run.outcome.result["stop_reason"] == "answered"
    assert run.outcome.result["answer"] == "answer ? end"
    assert "out ?" in _log_is_valid_utf8_json(run)


# --- memory: call arguments the host holds ------------------------------------------------

def test_a_prompt_larger_than_any_model_takes_is_refused(attack: Any) -> None:
    code = """
try:
    llm_query('x' * 9_000_000)
except SubCallError as e:
    print('REFUSED', e)
print(llm_query_batched(['short', 'y' * 9_000_000]))
"""
    run = attack(code)
    refusal = ("llm_query refused: this call's prompt is 9.0 million characters; the limit is "
               "8 million characters per call — pass a smaller slice")
    assert f"REFUSED {refusal}" in run.shown
    assert "['sub-model answer', " in run.shown and f"[llm_query error: {refusal}]" in run.shown
    assert max(len(r.last_user) for r in run.requests) < 1_000_000  # none reached the model


def test_a_flood_of_call_frames_is_capped_in_flight(attack: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # 24 calls of 2 MB at once against a slow endpoint, with the cap lowered to 16 MB to keep
    # the test light: at most 8 are held; the rest are refused at once, and the run goes on.
    monkeypatch.setattr(calls, "MAX_CALL_BYTES_IN_FLIGHT", 16 * MB)
    code = """
from concurrent.futures import ThreadPoolExecutor
big = 'x' * (2 * 2**20)
def one(i):
    try:
        return llm_query(big + str(i))
    except SubCallError as e:
        return str(e)
with ThreadPoolExecutor(24) as pool:
    out = list(pool.map(one, range(24)))
print('ANSWERED', out.count('sub-model answer'))
print(sorted(set(o for o in out if o != 'sub-model answer')))
"""
    run = attack(code, sub=Reply(content="sub-model answer", latency=1.0))
    answered = int(run.shown.split("ANSWERED ")[1].split()[0])
    assert 1 <= answered <= 8, run.shown
    assert "llm_query refused: calls still waiting for answers hold " in run.shown
    assert "the limit is 16 MB at once — wait for answers before sending more" in run.shown
    assert sum(len(r.last_user) > MB for r in run.requests) == answered


# --- disk: child-context slices ------------------------------------------------------------

def _slice_folders(root: Path) -> list[Path]:
    return sorted(root.glob("**/ctx-*"))


def test_rlm_query_slices_are_deleted_as_each_child_ends(
        attack: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the run's folder goes
    on_disk: list[int] = []

    def child_model(request: ChatRequest) -> str:
        if request.assistant_turns == 0:  # each helper looks first, then answers
            on_disk.append(len(_slice_folders(temp)))
            return repl("print(len(context))")
        return repl("FINAL('child done')")

    code = """
for i in range(4):
    print(rlm_query('look', context=str(i) * 1_000_000))
"""
    run = attack(code, sub=child_model)
    assert run.shown.count("child done") == 4
    assert on_disk == [1, 1, 1, 1]  # before: 1, 2, 3, 4: every slice kept to the run's end


def test_slices_on_disk_at_once_are_within_the_run_quota(
        attack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subcalls, "MAX_SLICE_DISK_BYTES", 3 * MB)
    code = """
from concurrent.futures import ThreadPoolExecutor
def one(i):
    try:
        return rlm_query('look', context=str(i) * 1_000_000)
    except SubCallError as e:
        return str(e)
with ThreadPoolExecutor(4) as pool:
    out = list(pool.map(one, range(4)))
print(sorted(out))
"""
    slow_child = Reply(content=repl("FINAL('child done')"), latency=1.0)
    run = attack(code, sub=slow_child)
    assert run.shown.count("child done") == 3
    assert ("rlm_query refused: helpers' contexts on disk take 2.9 MB and this one adds "
            "1.0 MB; this run's limit is 3.0 MB at once — pass a smaller slice, or wait for "
            "other rlm_query calls to finish") in run.shown
