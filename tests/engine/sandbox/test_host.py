"""Tests of the REPL child process through its host: cells, the REPL contract, calls, limits."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from engine.config import SandboxSettings
from engine.errors import SandboxError
from engine.sandbox.calls import CallBytes, release_call_args
from engine.sandbox.context_file import write_context
from engine.sandbox.contract import NAMES
from engine.sandbox.host import CellResult, ReplProcess
from tests.engine.sandbox.support import FakeHandler, build_context


async def cells(repl: ReplProcess, *codes: str) -> list[CellResult]:
    return [await repl.run_cell(code) for code in codes]


def ok(result: CellResult) -> str:
    """The output of a cell that must have succeeded."""
    assert result.error is None, result.error
    assert not result.timed_out and not result.restarted
    return result.output


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# --- start, context, basics ----------------------------------------------------------------

def test_ready_frame_reports_context_and_lockdown(run_repl: Any) -> None:
    ready = run_repl(lambda repl: asyncio.sleep(0, repl.ready))
    context, documents = build_context()
    assert ready["type"] == "ready" and ready["pid"] > 0
    assert ready["context_chars"] == len(context) and ready["documents"] == len(documents)
    status = ready["lockdown"]
    # The REPL only starts when isolation is complete (the policy refuses otherwise).
    assert status["enforced"] is True and status["note"]
    assert status["isolation"] == {"filesystem": True, "network": True, "process": True}
    assert set(status["layers"]) >= {"core_dumps_off", "parent_death_signal", "landlock",
                                     "seccomp", "no_new_privs"}
    if status["platform"] == "linux":
        layers = status["layers"]
        assert layers["core_dumps_off"] and layers["parent_death_signal"]
        assert layers["landlock"] and layers["seccomp"] and layers["no_new_privs"]
        assert status["landlock_abi"] >= 1


def test_context_and_documents_are_visible(run_repl: Any) -> None:
    context, documents = build_context()
    results = run_repl(lambda repl: cells(
        repl, "len(context), context[:30]", "documents[1]['pages'][1]",
        "d = documents[1]; p = d['pages'][1]; context[p['start']:p['end']]"))
    assert ok(results[0]) == repr((len(context), context[:30])) + "\n"
    assert ok(results[1]) == repr(documents[1]["pages"][1]) + "\n"
    assert "the deadline is May 3" in ok(results[2])


def test_variables_persist_and_expressions_echo(run_repl: Any) -> None:
    results = run_repl(lambda repl: cells(
        repl, "x = 41", "x += 1\nx", "None", "def f(a):\n    return a * 2", "f(x)",
        "import sys\nprint('a'); print('b', file=sys.stderr); print('c')"))
    assert [ok(r) for r in results] == ["", "42\n", "", "", "84\n", "a\nb\nc\n"]


def test_exception_shows_cell_lines_not_child_internals(run_repl: Any) -> None:
    code = "y = 1\ndef g():\n    return 1 / 0\ng()"
    failed, after, syntax, cite_err = run_repl(lambda repl: cells(
        repl, code, "y + 1", "def h(:\n", "cite(3, 1)"))
    assert failed.error is not None and not failed.restarted
    assert 'File "<cell 1>", line 4' in failed.error and 'line 3, in g' in failed.error
    assert "return 1 / 0" in failed.error and "ZeroDivisionError" in failed.error
    assert "child.py" not in failed.error
    assert ok(after) == "2\n"
    assert syntax.error is not None and "SyntaxError" in syntax.error
    assert cite_err.error is not None and "child.py" not in cite_err.error
    assert "no document with id 3; valid ids: 1, 2" in cite_err.error


def test_system_exit_is_an_error_not_an_exit(run_repl: Any) -> None:
    failed, after = run_repl(lambda repl: cells(repl, "import sys\nz = 5\nsys.exit(3)", "z"))
    assert failed.error is not None and "SystemExit: 3" in failed.error
    assert not failed.restarted and ok(after) == "5\n"


def test_output_is_cut_to_head_and_tail(run_repl: Any) -> None:
    text = "".join(str(i % 10) for i in range(100_000))
    big, exact = run_repl(lambda repl: cells(
        repl, "print(''.join(str(i % 10) for i in range(100_000)))", "print('z' * 1000)"),
        output_limit=1001)
    printed = text + "\n"
    assert big.cut_chars == len(printed) - 1001
    assert big.output == (printed[:500] + f"\n... [{big.cut_chars:,} characters cut] ...\n"
                          + printed[-501:])
    assert exact.output == "z" * 1000 + "\n" and exact.cut_chars == 0


# --- the REPL contract ---------------------------------------------------------------------

def test_final_and_final_var(run_repl: Any) -> None:
    results = run_repl(lambda repl: cells(
        repl, "FINAL('the answer')\nprint('still running')", "x = 1",
        "answer = 'long ' * 3\nFINAL_VAR('answer')", "FINAL_VAR(42)", "FINAL_VAR('no such var')"))
    first, plain, by_name, by_value, literal = results
    assert (first.final, first.final_set, ok(first)) == ("the answer", True, "still running\n")
    assert (plain.final, plain.final_set) == (None, False)
    assert by_name.final == "long long long " and by_value.final == "42"
    assert literal.final == "no such var"


def test_cite_in_the_repl(run_repl: Any) -> None:
    valid, quoted, bad_page = run_repl(lambda repl: cells(
        repl, "cite(1, 2)", "print(cite('2', 2, 'the \"deadline\"  is ]May 3'))", "cite(1, 9)"))
    assert ok(valid) == "'[[cite doc=1 page=2]]'\n"
    assert ok(quoted) == '[[cite doc=2 page=2 quote="the \\"deadline\\" is May 3"]]\n'
    assert bad_page.error is not None and "pages are 1-2" in bad_page.error


def test_cite_without_documents(tmp_path: Path) -> None:
    paths = write_context(tmp_path, "a slice of text", [])

    async def main() -> CellResult:
        async with ReplProcess(*paths, call_handler=FakeHandler()) as repl:
            return await repl.run_cell("print(cite(7, 99, 'q'))")

    assert ok(asyncio.run(main())) == '[[cite doc=7 page=99 quote="q"]]\n'


def test_the_repl_holds_exactly_the_names_of_the_contract(run_repl: Any) -> None:
    result = run_repl(lambda repl: repl.run_cell("[k for k in globals() if k[:2] != '__']"))
    assert ok(result) == f"{list(NAMES)!r}\n"


def test_show_vars(run_repl: Any) -> None:
    empty, shown = run_repl(lambda repl: cells(
        repl, "SHOW_VARS()", "import json\nitems = [1, 2, 3]\nname = 'hello'\nn = 3\nSHOW_VARS()"))
    assert ok(empty) == "(no variables yet)\n"
    assert ok(shown) == "items: list, len 3\nname: str, len 5\nn: int\n"


def test_llm_query_round_trip(run_repl: Any) -> None:
    handler = FakeHandler()
    result = run_repl(lambda repl: repl.run_cell("r = llm_query(12, model='small')\nr"),
                      handler=handler)
    assert ok(result) == "'answer to 12'\n"
    assert handler.calls == [("llm_query", {"prompt": "12", "model": "small"})]


def test_refused_sub_call_raises_catchable_sub_call_error(run_repl: Any) -> None:
    caught, uncaught = run_repl(lambda repl: cells(
        repl,
        "try:\n    llm_query('refuse')\nexcept SubCallError as e:\n    print('caught:', e)",
        "llm_query('refuse')"))
    assert ok(caught) == "caught: the sub-model refused: prompt too long\n"
    assert uncaught.error is not None and "SubCallError: the sub-model refused" in uncaught.error
    assert "child.py" not in uncaught.error


def test_batched_and_rlm_query(run_repl: Any) -> None:
    handler = FakeHandler()
    batched, rlm, rlm_obj = run_repl(lambda repl: cells(
        repl, "llm_query_batched(['a', 2])", "rlm_query('q')", "print(rlm_query('q', {'k': [1]}))"),
        handler=handler)
    assert ok(batched) == "['answer to a', 'answer to 2']\n"
    assert ok(rlm) == "'rlm answer to q over None'\n"
    assert ok(rlm_obj) == "rlm answer to q over '{\"k\": [1]}'\n"
    assert handler.calls == [
        ("llm_query_batched", {"prompts": ["a", "2"], "model": None}),
        ("rlm_query", {"prompt": "q", "context": None}),
        ("rlm_query", {"prompt": "q", "context": '{"k": [1]}'}),
    ]


def test_calls_from_threads_are_matched_and_concurrent(run_repl: Any) -> None:
    handler = FakeHandler(delay=0.2)
    code = ("from concurrent.futures import ThreadPoolExecutor\n"
            "with ThreadPoolExecutor(4) as pool:\n"
            "    out = list(pool.map(llm_query, ['p0', 'p1', 'p2', 'p3']))\n"
            "out")
    result = run_repl(lambda repl: repl.run_cell(code), handler=handler)
    assert ok(result) == "['answer to p0', 'answer to p1', 'answer to p2', 'answer to p3']\n"
    assert handler.max_in_flight > 1


FLOOD = """
from concurrent.futures import ThreadPoolExecutor
def one(i):
    try:
        return llm_query(PROMPT + str(i))[:9]
    except SubCallError as e:
        return str(e)
with ThreadPoolExecutor(6) as pool:
    out = list(pool.map(one, range(6)))
print(sorted(out))
"""


def test_call_arguments_held_at_once_are_capped(run_repl: Any) -> None:
    # Six calls of 300 kB against a 1 MB cap while the handler is slow: three are held,
    # three are refused at once with a message the model can act on.
    call_bytes = CallBytes(limit=1_000_000)
    flood, after = run_repl(lambda repl: cells(repl, "PROMPT = 'p' * 300_000\n" + FLOOD,
                                                "llm_query('again')"),
                            handler=FakeHandler(delay=1.0), call_bytes=call_bytes)
    out = ok(flood)
    assert out.count("'answer to'") == 3, out
    assert out.count("llm_query refused: calls still waiting for answers hold 0.9 MB of "
                     "arguments and this call adds 0.3 MB; the limit is 1.0 MB at once — wait "
                     "for answers before sending more, or pass smaller slices") == 3, out
    assert ok(after) == "'answer to again'\n"
    assert call_bytes.held == 0 and 900_000 < call_bytes.peak <= 1_000_000


def test_a_handler_can_stop_holding_its_arguments(run_repl: Any) -> None:
    async def handler(op: str, args: dict[str, Any]) -> str:
        release_call_args()  # as rlm_query does once its slice is on disk
        await asyncio.sleep(1.0)
        return "done"

    call_bytes = CallBytes(limit=1_000_000)
    flood = run_repl(lambda repl: repl.run_cell("PROMPT = 'p' * 300_000\n" + FLOOD),
                     handler=handler, call_bytes=call_bytes)
    assert ok(flood).count("'done'") == 6
    assert call_bytes.held == 0


def test_frame_cap_applies_to_answers_and_requests(run_repl: Any) -> None:
    final, request = run_repl(lambda repl: cells(
        repl, "FINAL('x' * 20_000)", "llm_query('y' * 20_000)"), max_frame_bytes=10_000)
    assert final.final is None and final.error is not None and "too large" in final.error
    assert request.error is not None and "SubCallError" in request.error
    assert "too large" in request.error and not request.restarted


def test_forged_calls_are_checked_before_the_handler(run_repl: Any) -> None:
    handler = FakeHandler()
    code = ("import sys\nch = sys.modules['__main__'].CHANNEL\n"
            "print(ch.call('read_keys', {})['error'])\n"
            "print(ch.call('llm_query', {'prompt': 5})['error'])\n"
            "print(ch.call('llm_query_batched', {'prompts': 'abc'})['error'])")
    result = run_repl(lambda repl: repl.run_cell(code), handler=handler)
    assert ok(result).splitlines() == [
        "malformed 'read_keys' call: unknown operation",
        "malformed 'llm_query' call: prompt must be a string",
        "malformed 'llm_query_batched' call: prompts must be a list of strings"]
    assert handler.calls == []


# --- isolation -----------------------------------------------------------------------------

def test_child_sees_no_parent_environment(run_repl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")
    result = run_repl(lambda repl: repl.run_cell("import os\nsorted(os.environ.items())"))
    assert "sk-test-secret-value" not in ok(result) and "OPENAI_API_KEY" not in result.output
    assert "HOME" not in result.output and "'LANG', 'C.UTF-8'" in result.output


def test_cwd_is_an_empty_temp_dir_removed_on_close(run_repl: Any) -> None:
    result = run_repl(lambda repl: repl.run_cell("import os\nprint(os.getcwd())\nos.listdir()"))
    cwd, listing = ok(result).splitlines()
    assert Path(cwd).parent.name.startswith("rlm-repl-") and listing == "[]"
    assert not Path(cwd).parent.exists()


def test_stray_writes_to_fd_1_and_closed_std_fds_do_not_break_frames(run_repl: Any) -> None:
    results = run_repl(lambda repl: cells(
        repl, "import os\nos.write(1, b'\\x00\\x00\\x00\\x05garbage')\nprint('ok')",
        "os.close(0)\nos.close(1)\nprint('still ok')", "input()"))
    assert ok(results[0]) == "ok\n" and ok(results[1]) == "still ok\n"
    assert results[2].error is not None and not results[2].restarted


# --- timeouts, crashes, restarts -----------------------------------------------------------

def test_handler_time_does_not_count_against_the_cell_timeout(run_repl: Any) -> None:
    result = run_repl(lambda repl: repl.run_cell("r = llm_query('slow')\nr"),
                      handler=FakeHandler(delay=1.5), cell_timeout=1.0)
    assert ok(result) == "'answer to slow'\n"


def test_timeout_interrupts_and_keeps_variables(run_repl: Any) -> None:
    timed_out, after = run_repl(lambda repl: cells(
        repl, "kept = 7\nwhile True:\n    pass", "kept"), cell_timeout=0.5)
    assert timed_out.timed_out and not timed_out.restarted
    assert timed_out.error is not None
    assert timed_out.error.startswith("cell timed out after 0.5s and was interrupted; variables")
    assert "KeyboardInterrupt" in timed_out.error
    assert ok(after) == "7\n"


def test_calls_during_the_grace_period_are_refused(run_repl: Any) -> None:
    code = ("try:\n    while True:\n        pass\nexcept KeyboardInterrupt:\n"
            "    llm_query('after the interrupt')")
    result = run_repl(lambda repl: repl.run_cell(code), cell_timeout=0.3)
    assert result.timed_out and not result.restarted
    assert result.error is not None and "SubCallError: cell timed out" in result.error


@pytest.mark.parametrize("code", [
    "import time\nwhile True:\n    try:\n        time.sleep(10)\n    except KeyboardInterrupt:\n"
    "        pass",
    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
])
def test_timeout_of_code_ignoring_interrupts_restarts(run_repl: Any, code: str) -> None:

    async def session(repl: ReplProcess) -> tuple[list[CellResult], int, int | None]:
        first_pid = repl.pid
        results = await cells(repl, "lost = 1", code, "lost", "print('fresh')")
        return results, first_pid or 0, repl.pid

    (_, hung, lost, fresh), first_pid, pid = run_repl(
        session, cell_timeout=0.5, interrupt_grace=0.5)
    assert hung.timed_out and hung.restarted
    assert hung.error is not None and "all variables were lost" in hung.error
    assert lost.error is not None and "NameError" in lost.error
    assert ok(fresh) == "fresh\n"
    assert pid != first_pid and process_gone(first_pid)


@pytest.mark.parametrize(("code", "explanation"), [
    ("import os\nos._exit(3)", "exit code 3"),
    ("import ctypes\nctypes.string_at(0)", "killed by signal SIGSEGV"),
    ("import os\nos.closerange(3, 256)", "the REPL process"),
    ("import sys, os\nos.write(sys.modules['__main__'].CHANNEL.out_fd, b'\\x00\\x00\\x00\\x03abc')",
     "bad frame"),
    ("import sys, os\nos.write(sys.modules['__main__'].CHANNEL.out_fd, b'\\xff\\xff\\xff\\xff')",
     "over the cap"),
    ("import sys\nsys.modules['__main__'].CHANNEL.send({'type': 'result', 'id': 2, 'head': 5})",
     "malformed result frame"),
    ("import sys\nsys.modules['__main__'].CHANNEL.send({'type': 'ready'})",
     "unexpected 'ready' frame"),
])
def test_child_death_or_bad_frames_restart_it(run_repl: Any, code: str, explanation: str) -> None:
    async def session(repl: ReplProcess) -> tuple[list[CellResult], int]:
        results = await cells(repl, "v = 1", code, "v", "print('works')")
        return results, repl.restarts

    (_, died, lost, works), restarts = run_repl(session)
    assert died.restarted and not died.timed_out and restarts == 1
    assert died.error is not None and explanation in died.error
    assert "all variables were lost" in died.error
    assert lost.error is not None and "NameError" in lost.error
    assert ok(works) == "works\n"


def test_engine_failure_in_the_handler_propagates(run_repl: Any) -> None:
    async def session(repl: ReplProcess) -> CellResult:
        with pytest.raises(RuntimeError, match="provider fatal error"):
            await repl.run_cell("llm_query('explode')")
        return await repl.run_cell("print('next')")

    after = run_repl(session)
    assert after.restarted and after.error is None and after.output.endswith("next\n")


# --- life cycle ----------------------------------------------------------------------------

def test_close_reaps_and_is_idempotent(context_files: tuple[Path, Path]) -> None:
    # The sandbox stops code from starting processes; this checks the safety net behind it
    # (the process group is killed on close), so the kernel layers are off, knowingly.
    async def main() -> tuple[int, int]:
        repl = ReplProcess(*context_files, call_handler=FakeHandler(),
                           sandbox=SandboxSettings(allow_unsandboxed=True),
                           simulate_missing=("seccomp", "landlock"))
        await repl.start()
        out = await repl.run_cell("import subprocess\nprint(subprocess.Popen(['sleep', '30']).pid)")
        await repl.close()
        await repl.close()
        with pytest.raises(SandboxError):
            await repl.run_cell("1")
        return repl.pid or 0, int(ok(out))

    pid, grandchild = asyncio.run(main())
    assert process_gone(pid)
    status = Path(f"/proc/{grandchild}/status")
    assert not status.exists() or "zombie" in status.read_text()


@pytest.mark.parametrize("code", ["while True: pass", "llm_query('hang')"])
def test_cancelled_cell_then_close_is_quick(context_files: tuple[Path, Path], code: str) -> None:
    async def main() -> tuple[float, int]:
        loop = asyncio.get_running_loop()
        repl = ReplProcess(*context_files, call_handler=FakeHandler(), cell_timeout=60)
        await repl.start()
        task = asyncio.create_task(repl.run_cell(code))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        started = loop.time()
        await repl.close()
        return loop.time() - started, repl.pid or 0

    elapsed, pid = asyncio.run(main())
    assert elapsed < 2 and process_gone(pid)


def test_start_failure_reports_the_child_stderr(tmp_path: Path) -> None:
    async def main() -> None:
        repl = ReplProcess(tmp_path / "missing.txt", tmp_path / "missing.json",
                           call_handler=FakeHandler())
        try:
            await repl.start()
        finally:
            await repl.close()

    with pytest.raises(SandboxError, match=r"(?s)failed to start.*exit code 1.*FileNotFound"):
        asyncio.run(main())
