"""Hostile code against what the host holds for the REPL: call arguments in memory, context
slices on disk, and text that is not valid Unicode (lone surrogates) in frames."""

from __future__ import annotations

import json
from typing import Any

from tests.engine.sandbox.hostile.test_hostile_protocol import CHANNEL

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
    run = attack(code, answered=False)
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
    run = attack(code, answered=False)
    assert run.outcome.code == 0, run.outcome.stderr
    assert run.outcome.result["stop_reason"] == "answered"
    assert run.outcome.result["answer"] == "answer ? end"
    assert "out ?" in _log_is_valid_utf8_json(run)
