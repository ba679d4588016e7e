"""``rlm ask`` checks the answer's citations: scripted models on the fake server, a real REPL,
documents read by the real ingest (text with form-feed pages, and a Word file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.cli.main import main
from tests.engine.ingest.makers import make_ooxml, para
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import ask, ask_args, repl, write_docs

DOCS = {
    "lease.txt": ("Lease agreement between Alpha Ltd and Beta plc.\f"
                  "Clause 9: the tenant's liability shall not exceed ten thousand dollars upon "
                  "termi-\nnation of the lease.\f"
                  "Clause 12: notice must be given in writing within thirty days.\n"),
    "memo.txt": "Board memo: the budget for 2026 is approved.\n",
}
IDS = "ids = {d['path'].rsplit('/', 1)[-1]: d['id'] for d in documents}\n"
ANSWER = IDS + (
    "L, M = ids['lease.txt'], ids['memo.txt']\n"
    "a = 'Liability is capped. ' + cite(L, 2, 'liability shall not exceed ten thousand "
    "dollars upon termination')\n"
    "b = ' Notice is written. ' + cite(L, 1, 'notice must be given in writing')\n"
    "c = ' The cap is higher. ' + cite(L, 2, 'liability shall not exceed twenty thousand "
    "dollars upon termination')\n"
    "d = ' The budget passed. ' + cite(M, 1)\n"
    "e = ' Broken. [[cite doc=999 page=1]]'\n"
    "FINAL(a + b + c + d + e)")


def run(tmp_path: Path, capsys: Any, cell: str, *extra: str) -> Any:
    docs = write_docs(tmp_path / "docs", DOCS)
    with FakeOpenAI(by_model({"fake-root": sequence(repl(cell))})) as server:
        return ask(server, tmp_path, capsys, "What does the lease say?", *extra, docs=docs)


def test_ask_json_lists_each_citation_checked(tmp_path: Path, capsys: Any) -> None:
    out = run(tmp_path, capsys, ANSWER)
    assert out.code == 0, out.stderr
    citations = out.result["citations"]
    assert [c["n"] for c in citations] == [1, 2, 3, 4, 5]
    assert [c["status"] for c in citations] == [
        "verified", "relocated", "not_found", "no_quote", "invalid"]
    verified, relocated, invented, no_quote, broken = citations
    assert verified["path"].endswith("lease.txt") and verified["page"] == 2
    assert verified["title"] and verified["cited_page"] is None
    assert (relocated["page"], relocated["cited_page"]) == (3, 1)   # corrected
    assert invented["page"] == 2 and invented["cited_page"] is None
    assert no_quote["path"].endswith("memo.txt") and no_quote["quote"] is None
    assert broken["doc_id"] == 999 and broken["path"] is None
    assert set(verified) >= {"n", "doc_id", "path", "title", "page", "page_label", "quote",
                             "status", "cited_page"}
    # The event carries them too, so the record of the analysis (and every view) has them.
    [event] = out.of_type("answer_citations")
    assert [c["status"] for c in event.citations] == [c["status"] for c in citations]


def test_plain_output_numbers_the_markers_and_words_each_source(tmp_path: Path,
                                                                capsys: Any) -> None:
    docs = write_docs(tmp_path / "docs", DOCS)
    with FakeOpenAI(by_model({"fake-root": sequence(repl(ANSWER))})) as server:
        args = [a for a in ask_args(server, tmp_path, "q", "-q", docs=docs) if a != "--json"]
        assert main(args) == 0
    out = capsys.readouterr().out
    assert "[[cite" not in out
    assert "Liability is capped. [1] Notice is written. [2]" in out and "Broken. [5]" in out
    sources = out.split("Sources:\n")[1].splitlines()
    assert sources[0].startswith("[1] ") and sources[0].endswith("Quote checked on this page")
    assert sources[1].endswith("Quote found on another page — corrected to p. 3")
    assert sources[2].endswith("Quote not found in the documents — check this claim")
    assert sources[3].endswith("Page cited without a quote")
    assert sources[4] == "[5] document 999, page 1 — Broken citation (no such document or page)"
    # rlm show lists the same checked sources.
    assert main(["show", str(tmp_path / "run.jsonl")]) == 0
    shown = capsys.readouterr().out
    assert "Sources:" in shown and "Quote found on another page — corrected to p. 3" in shown


def test_an_answer_without_citations_has_an_empty_list(tmp_path: Path, capsys: Any) -> None:
    out = run(tmp_path, capsys, "FINAL('no sources')")
    assert out.code == 0 and out.result["citations"] == []
    assert out.of_type("answer_citations") == []


def test_locate_answers_from_the_host(tmp_path: Path, capsys: Any) -> None:
    cell = IDS + ("import json\n"
                  "def refused():\n"
                  "    try:\n"
                  "        locate('(a+)+$ ' * 20_000)\n"
                  "    except SubCallError as exc:\n"
                  "        return str(exc)\n"
                  "FINAL(json.dumps([locate('NOTICE must be given in   writing'), "
                  "locate('words that are nowhere in these files'), ids['lease.txt'], "
                  "refused()]))")
    out = run(tmp_path, capsys, cell)
    assert out.code == 0, out.stderr
    found, nowhere, lease, refused = json.loads(out.result["answer"])
    assert [(f["doc_id"], f["page"]) for f in found] == [(lease, 3)]
    assert found[0]["title"] and "label" in found[0]
    assert nowhere == []
    assert "locate refused" in refused and "at most 2,000" in refused


def test_a_word_document_is_checked_like_any_other(tmp_path: Path, capsys: Any) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    make_ooxml(folder / "contract.docx",
               para("The supplier delivers the goods within ten working days.")
               + para("Payment is due thirty days after the invoice date.", break_before=True))
    cell = ("d = documents[0]\n"
            "FINAL('Payment: ' + cite(d['id'], d['pages'][0]['page'], "
            "'payment is due thirty days after the invoice date'))")
    with FakeOpenAI(by_model({"fake-root": sequence(repl(cell))})) as server:
        out = ask(server, tmp_path, capsys, "When is payment due?", docs=folder)
    assert out.code == 0, out.stderr
    [citation] = out.result["citations"]
    assert citation["path"].endswith("contract.docx")
    assert citation["status"] in {"verified", "relocated"}
    pages = out.of_type("run_started")  # the run saw the document
    assert pages
