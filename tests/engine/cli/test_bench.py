"""``rlm bench`` end to end against the fake server and the scripted oracle model: generate,
print a context, run the three methods, resume, stop at a budget, and report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.bench import contracts, suite
from engine.bench.sample import sha256
from engine.cli.main import main
from tests.support.bench_oracle import oracle
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply
from tests.support.harness import write_prices


def generate(folder: Path, *extra: str) -> None:
    assert main(["bench", "generate", "--task", "needle", "--task", "aggregate", "--task",
                 "pairs", "--tokens", "8K", "--items", "2", "--seed", "4", "-o", str(folder),
                 "-q", *extra]) == 0


def run_args(server: FakeOpenAI, folder: Path, *extra: str) -> list[str]:
    return ["bench", "run", str(folder), "--model", "fake-root", "--sub-model", "fake-sub",
            "--base-url", server.base_url, "--prices", str(write_prices(folder.parent)),
            *extra]


def results(folder: Path) -> list[dict[str, Any]]:
    return suite.read_results(folder / suite.RESULTS)


def test_generate_writes_the_manifest_items_and_contexts_on_demand(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    generate(folder)
    manifest = suite.read_manifest(folder)
    items = suite.read_items(folder)
    assert len(items) == 6 and manifest["chars_per_token"] == 4
    assert {i["id"] for g in manifest["generated"] for i in g["items"]} == {i.id for i in items}
    line = json.loads((folder / suite.ITEMS).read_text().splitlines()[-1])
    assert {"task", "id", "tokens", "seed", "question", "gold", "context_sha256"} <= set(line)
    assert all(a < b for a, b in line["gold"])   # the last item is a pairs item
    capsys.readouterr()
    assert main(["bench", "context", str(folder), items[2].id]) == 0
    assert sha256(capsys.readouterr().out) == items[2].context_sha256
    generate(folder)   # the same seed again: no duplicate items
    assert len(suite.read_items(folder)) == 6


def test_run_scores_three_methods_resumes_and_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    generate(folder)
    with FakeOpenAI(oracle(batch=50)) as server:
        assert main(run_args(server, folder, "--methods", "direct,retrieval,rlm")) == 0
        asked = len(server.requests)
        err = capsys.readouterr().err
        assert "18/18 answered" in err
        done = results(folder)
        assert len(done) == 18
        by = {(r["id"], r["method"]): r for r in done}
        assert all(by[(i.id, m)]["score"] == 1.0 for i in suite.read_items(folder)
                   for m in ("direct", "rlm"))
        rlm_aggregate = [r for r in done if r["method"] == "rlm" and r["task"] != "needle"]
        assert all(r["calls"] >= 3 for r in rlm_aggregate)   # main model twice, helpers
        assert all(r["cost_usd"] > 0 for r in done)
        # Run again: everything is already answered, nothing is asked.
        assert main(run_args(server, folder, "--methods", "direct,retrieval,rlm")) == 0
        assert len(server.requests) == asked
        assert "0 answered (18 already done)" in capsys.readouterr().err
    out = tmp_path / "report"
    assert main(["bench", "report", str(folder), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| needle | 8K | rlm | 2 | 1.000 | 1.000–1.000 |" in text
    assert (out / "report.md").read_text() == text
    rows = json.loads((out / "report.json").read_text())
    assert len(rows) == 9 and {r["method"] for r in rows} == {"direct", "retrieval", "rlm"}
    charts = sorted(p.name for p in out.glob("*.png"))
    assert charts == ["cost.png", "score-aggregate.png", "score-needle.png", "score-pairs.png"]
    assert all(f"]({name})" in text for name in charts)
    assert all((out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in charts)


def test_an_interrupted_results_line_is_skipped_and_the_item_asked_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    main(["bench", "generate", "--task", "needle", "--tokens", "8K", "--items", "2", "-o",
          str(folder), "-q"])
    with FakeOpenAI(oracle()) as server:
        assert main(run_args(server, folder, "--methods", "direct", "-q")) == 0
        lines = (folder / suite.RESULTS).read_text().splitlines()
        (folder / suite.RESULTS).write_text(lines[0] + "\n" + lines[1][:30])
        assert main(run_args(server, folder, "--methods", "direct", "-q")) == 0
    # The cut line is skipped and its item answered again, on a line of its own.
    assert [r["id"] for r in results(folder)] == [json.loads(line)["id"] for line in lines]


def test_the_budget_stops_before_spending_more(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    generate(folder)
    with FakeOpenAI(oracle()) as server:
        code = main(run_args(server, folder, "--methods", "direct", "--budget", "0.0001"))
    assert code == 3
    assert len(results(folder)) == 1
    assert "stopped at the spending limit" in capsys.readouterr().err


def test_a_prompt_longer_than_the_window_did_not_fit_and_scores_zero(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    main(["bench", "generate", "--task", "needle", "--tokens", "16K", "--items", "1", "-o",
          str(folder), "-q"])
    base = oracle()

    def small_window(request: ChatRequest) -> Reply:
        if len(request.last_user) > 40_000:
            return Reply(fault="400_context")
        return base(request)

    with FakeOpenAI(small_window) as server:
        assert main(run_args(server, folder, "--methods", "direct,retrieval", "-q")) == 0
    direct, retrieval = results(folder)
    assert (direct["fit"], direct["score"], direct["stop_reason"]) == (False, 0.0,
                                                                       "did_not_fit")
    assert (retrieval["fit"], retrieval["score"]) == (True, 1.0)
    main(["bench", "report", str(folder)])
    assert "| needle | 16K | direct | 1 | 0.000 | 0.000–0.000 | – | 1 |" in capsys.readouterr().out


def test_mistakes_are_said_in_plain_words(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "report", str(tmp_path)]) == 2
    assert main(["bench", "run", str(tmp_path), "--model", "m"]) == 2
    folder = tmp_path / "b"
    generate(folder)
    assert main(["bench", "run", str(folder), "--methods", "psychic", "--model", "m"]) == 2
    assert main(["bench", "context", str(folder), "nope"]) == 2
    err = capsys.readouterr().err
    assert "no results" in err and "rlm bench generate" in err
    assert "no method psychic" in err and "no question 'nope'" in err


def test_a_refused_key_stops_the_run_instead_of_scoring_every_question_zero(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    generate(folder)
    with FakeOpenAI(lambda _request: Reply(fault="401")) as server:
        code = main(run_args(server, folder, "--methods", "direct", "-q"))
        asked = len(server.requests)
    assert code == 4 and asked == 1
    assert results(folder) == []


def test_an_rlm_question_stops_at_what_is_left_of_the_budget(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    main(["bench", "generate", "--task", "aggregate", "--tokens", "8K", "--items", "1", "-o",
          str(folder), "-q"])
    with FakeOpenAI(oracle(batch=5)) as server:
        code = main(run_args(server, folder, "--methods", "rlm", "--budget", "0.002", "-q"))
    (result,) = results(folder)
    assert code == 0 and result["stop_reason"] == "budget"
    assert result["cost_usd"] < 0.01


def test_direct_counts_in_the_model_own_tokens_measured_by_a_probe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    main(["bench", "generate", "--task", "needle", "--tokens", "16K", "--items", "1", "-o",
          str(folder), "-q"])
    base = oracle()

    def dense_tokens(request: ChatRequest) -> Reply:   # 1.5 characters a token
        reply = base(request)
        reply.prompt_tokens = int(len(request.last_user) / 1.5)
        return reply

    # mistral-small's window is 32,768 tokens: 65,536 characters fit at 4 a token, not at 1.5.
    with FakeOpenAI(dense_tokens) as server:
        assert main(["bench", "run", str(folder), "--model", "mistral-small", "--base-url",
                     server.base_url, "--methods", "direct", "-q"]) == 0
        chats = len(server.requests)
    (result,) = results(folder)
    assert result["chars_per_token"] == pytest.approx(1.5, abs=0.01)
    assert (result["fit"], result["stop_reason"]) == (False, "did_not_fit")
    assert chats == 1   # the probe only


def test_contracts_run_ingests_the_room_and_scores_answers_and_citations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bench"
    assert main(["bench", "generate", "--task", "contracts", "--tokens", "8K", "--items", "5",
                 "--seed", "2", "-o", str(folder), "-q"]) == 0
    items = suite.read_items(folder)
    assert sorted(i.variant for i in items) == sorted(contracts.VARIANTS)
    with FakeOpenAI(oracle()) as server:
        assert main(run_args(server, folder, "--methods", "direct,retrieval,rlm")) == 0
        asked = len(server.requests)
        assert main(run_args(server, folder, "--methods", "direct,retrieval,rlm")) == 0
        assert len(server.requests) == asked   # all answered already: nothing asked again
    done = [r for r in results(folder) if r["method"] != "retrieval"]
    assert len(results(folder)) == 15 and len(done) == 10
    assert all(r["score"] == 1.0 for r in done)
    # rlm cites the stored documents' real ids and pages; the quotes are verified there
    assert all(r["citation_score"] == 1.0 for r in done if r["method"] == "rlm")
    assert all("[[cite doc=" in r["answer"] for r in done)
    assert len(list((folder / "rooms").glob("*/pdfs/*.pdf"))) >= 5 * 6
    capsys.readouterr()
    assert main(["bench", "report", str(folder), "-o", str(tmp_path / "report")]) == 0
    assert "| contracts | 8K | rlm | 5 | 1.000 |" in capsys.readouterr().out
