"""The report's intervals and table, the retrieval ranking, and a prompt refused before any
call when the model's window is known to be too small."""

from __future__ import annotations

import asyncio
import statistics

from engine.bench import report, suite
from engine.bench.methods import Setup, chunks_of, direct, top_chunks
from engine.config import Limits, SandboxSettings
from engine.endpoints import Endpoint
from engine.providers.prices import PriceTable
from tests.support.bench_oracle import oracle
from tests.support.fake_openai import FakeOpenAI


def test_the_bootstrap_interval_holds_the_mean_and_narrows_with_more_questions() -> None:
    few = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    many = few * 20
    low, high = report.bootstrap_interval(few)
    assert low <= statistics.fmean(few) <= high
    assert report.bootstrap_interval(few) == (low, high)  # the same seed, the same interval
    wide, narrow = high - low, report.bootstrap_interval(many)
    assert narrow[1] - narrow[0] < wide / 2
    assert report.bootstrap_interval([0.5]) == (0.5, 0.5)


def test_rows_group_by_task_length_and_method() -> None:
    base = {"task": "needle", "tokens": 8192, "calls": 2, "prompt_tokens": 100,
            "completion_tokens": 10, "wall_s": 1.0, "fit": True}
    results = [{**base, "method": "rlm", "score": 1.0, "cost_usd": 0.01},
               {**base, "method": "rlm", "score": 0.0, "cost_usd": 0.03},
               {**base, "method": "direct", "score": 0.0, "cost_usd": None, "fit": False}]
    rows = {r.method: r for r in report.rows(results)}
    assert rows["rlm"].mean == 0.5 and rows["rlm"].cost_usd == 0.02 and rows["rlm"].n == 2
    assert rows["direct"].did_not_fit == 1 and rows["direct"].cost_usd is None
    text = report.markdown(report.rows(results))
    assert "| needle | 8K | direct | 1 | 0.000 | 0.000–0.000 | – | 1 |" in text
    assert "unpriced" in text
    contracts = [{**base, "task": "contracts", "method": "rlm", "score": 1.0, "cost_usd": 0.0,
                  "citation_score": c} for c in (1.0, 0.5)]
    row, = report.rows(contracts)
    assert row.citation_score == 0.75 and rows["rlm"].citation_score is None
    assert "| contracts | 8K | rlm | 2 | 1.000 | 1.000–1.000 | 0.750 | 0 |" in \
        report.markdown([row])


def test_chunks_keep_whole_lines_and_bm25_finds_the_needle() -> None:
    item = next(suite.make_items("needle", 65_536, 1, seed=2, variant="single"))
    context = item.sample().context
    pieces = chunks_of(context, 2000)
    assert "\n".join(pieces) == context
    assert all(len(p) < 4000 for p in pieces)
    best = top_chunks(context, item.question, 3, 2000)
    assert any(item.gold[0] in piece for piece in best)


def test_direct_refuses_a_prompt_longer_than_a_known_window_without_asking() -> None:
    item = next(suite.make_items("needle", 16_384, 1, seed=1))
    with FakeOpenAI(oracle()) as server:
        # gpt-4's window is 8,192 tokens in the built-in table (the fake server says none).
        setup = Setup(Endpoint("gpt-4", server.base_url), Endpoint("gpt-4", server.base_url),
                      PriceTable(), Limits(), SandboxSettings())
        outcome = asyncio.run(direct(setup, item.sample().context, item.question))
        chats = [r for r in server.requests if r.messages]
    assert (outcome.fit, outcome.calls, outcome.stop_reason) == (False, 0, "did_not_fit")
    assert chats == []
    assert "8,192" in (outcome.error or "")
