"""The system prompt covers the REPL contract; the first turn describes, never includes, context."""

from __future__ import annotations

from engine.rlm import prompts


def test_system_prompt_names_every_repl_function() -> None:
    for name in ("context", "documents", "llm_query(", "llm_query_batched(", "rlm_query(",
                 "cite(", "FINAL(", "FINAL_VAR(", "SHOW_VARS("):
        assert name in prompts.SYSTEM_PROMPT
    assert "```repl" in prompts.SYSTEM_PROMPT


def test_system_prompt_asks_for_a_quoted_citation_after_each_claim_and_names_locate() -> None:
    prompt = " ".join(prompts.SYSTEM_PROMPT.split())
    assert "After each claim put a citation" in prompt and "exact words quoted" in prompt
    assert "`locate(quote) -> list[dict]`" in prompt and "`locate(words)`" in prompt


def docs(n: int) -> list[dict]:
    return [{"id": i, "title": f"Doc {i}", "type": "text", "start": i * 100,
             "end": i * 100 + 90, "pages": [{"page": 1, "start": 0, "end": 1}]}
            for i in range(1, n + 1)]


def test_first_turn_has_question_sizes_and_titles() -> None:
    text = prompts.first_turn("Who signed?", 1_000_000, docs(3), 30)
    assert "Who signed?" in text and "1,000,000 characters" in text
    assert "about 250,000 tokens" in text and "3 documents" in text
    assert "[2] Doc 2 (text, 1 page, 90 chars)" in text and "30 iterations" in text


def test_large_libraries_are_truncated_in_the_listing() -> None:
    text = prompts.first_turn("q", 10, docs(500), 30)
    assert "[50] Doc 50" in text and "[51] Doc 51" not in text
    assert "and 450 more" in text
    assert len(text) < 5000


def test_cell_report_marks_errors_and_empty_output() -> None:
    assert "(no output)" in prompts.cell_report(1, "", None)
    report = prompts.cell_report(2, "partial", "Traceback ... ZeroDivisionError")
    assert "Cell 2 output:\npartial" in report and "Cell 2 error:" in report
