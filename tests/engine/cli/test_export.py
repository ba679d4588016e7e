"""``rlm export``: a run recorded through the real engine (scripted models on the fake server, a
real REPL, real ingest) written as Markdown, Word and PDF, and each file reopened and read."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import docx
import pymupdf
import pytest

from engine import events as ev
from engine.cli.main import main
from engine.config import runs_dir
from engine.errors import ConfigError
from engine.export import document as export_document
from engine.export.atomic import write_atomically
from engine.store.trajectory import read_events
from tests.engine.cli.test_ask_citations import ANSWER, DOCS
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import ask, repl, write_docs

QUESTION = "What does the lease say?"
HELPER = 'verdict = llm_query("Is the cap ten thousand dollars?")\nprint("helper said", verdict)'
# Tags, an image of a local file, a link definition and control characters in the answer.
HOSTILE = ("FINAL('<script>alert(1)</script> <img src=\"/etc/passwd\"> ![x](/etc/passwd) "
           "[a](file:///etc/passwd) bell\\x07 esc\\x1b[31m red &amp; **bold**')")
SOURCES = [
    "Quote checked on this page",
    "Quote found on another page — corrected to p. 3",
    "Quote not found in the documents — check this claim",
    "Page cited without a quote",
    "Broken citation (no such document or page)",
]


def record(tmp_path: Path, capsys: Any, answer_cell: str = ANSWER) -> Path:
    """Ask through the real engine: a helper question in step 1, the answer in step 2."""
    docs = write_docs(tmp_path / "docs", DOCS)
    script = {"fake-root": sequence(repl(HELPER), repl(answer_cell)),
              "fake-sub": sequence("Yes, ten thousand dollars.")}
    with FakeOpenAI(by_model(script)) as server:
        out = ask(server, tmp_path, capsys, QUESTION, docs=docs)
    assert out.code == 0, out.stderr
    return out.log


def export(capsys: Any, log: Path | str, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["export", str(log), "-o", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def docx_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def pdf_text(path: Path) -> str:
    with pymupdf.open(str(path)) as pdf:
        return "\n".join(page.get_text() for page in pdf)


def squeeze(text: str) -> str:
    """Text with its line wrapping undone (a PDF breaks lines where the page ends)."""
    return " ".join(text.split())


@pytest.mark.parametrize("fmt", ["md", "docx", "pdf"])
def test_each_format_holds_question_answer_and_checked_sources(tmp_path: Path, capsys: Any,
                                                               fmt: str) -> None:
    log = record(tmp_path, capsys)
    out = tmp_path / f"answer.{fmt}"
    code, said = export(capsys, log, out, "--format", fmt)
    assert code == 0, said
    assert str(out) in said
    text = squeeze({"md": lambda p: p.read_text(encoding="utf-8"), "docx": docx_text,
                    "pdf": pdf_text}[fmt](out))
    if fmt == "md":   # escaped punctuation, read back as a viewer shows it
        text = re.sub(r"\\(.)", r"\1", text)
    assert QUESTION in text
    assert "Liability is capped. [1] Notice is written. [2]" in text
    assert "Broken. [5]" in text and "[[cite" not in text
    for n, status in enumerate(SOURCES, 1):
        assert f"[{n}]" in text and status in text
    assert "lease.txt" in text and "liability shall not exceed ten thousand dollars" in text
    assert "main fake-root, helper fake-sub" in text and "$" in text
    # The audit appendix only when asked for.
    assert "Audit appendix" not in text and "helper said" not in text
    with_trajectory = tmp_path / f"audit.{fmt}"
    code, said = export(capsys, log, with_trajectory, "--with-trajectory")  # format from name
    assert code == 0, said
    audit = squeeze({"md": lambda p: p.read_text(encoding="utf-8"), "docx": docx_text,
                     "pdf": pdf_text}[fmt](with_trajectory))
    if fmt == "md":
        audit = re.sub(r"\\(.)", r"\1", audit)
    assert "Audit appendix" in audit
    assert 'verdict = llm_query("Is the cap ten thousand dollars?")' in audit   # code
    assert "helper said Yes, ten thousand dollars." in audit                    # its output
    assert "Helper question #1 to fake-sub" in audit and "Is the cap" in audit
    assert "safe workspace:" in audit and "Whole analysis:" in audit
    assert "Step 1: fake-root replied in" in audit


def test_markdown_structure(tmp_path: Path, capsys: Any) -> None:
    log = record(tmp_path, capsys)
    out = tmp_path / "answer.md"
    assert export(capsys, log, out, "--with-trajectory")[0] == 0
    text = out.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[:7] == ["# RLM Desktop: answer to a question", "## Question", "## Answer",
                            "## Sources", "## Details", "## Audit appendix",
                            "### Safe workspace"]
    assert headings[7:9] == ["### Timings", "### Code cells"]
    assert headings[9].startswith("#### Step 1, code 1: ok, ")
    assert headings[10].startswith("#### Step 2, code 2: ok, ")
    assert headings[11] == "### Helper questions"
    assert headings[12].startswith("#### Helper question \\#1 to fake-sub: ")
    body = text.split("## Question\n\n")[1]
    assert body.startswith("What does the lease say?\n\n## Answer\n\nLiability is capped. "
                           "\\[1\\] Notice is written. \\[2\\]")
    sources = text.split("## Sources\n\n")[1].split("\n\n")[0].splitlines()
    assert len(sources) == 5
    assert sources[0].startswith("- \\[1\\] lease.txt, p. 2: “liability shall not exceed")
    assert sources[0].endswith("” — Quote checked on this page")
    assert sources[1] == ("- \\[2\\] lease.txt: “notice must be given in writing” — "
                          "Quote found on another page — corrected to p. 3")
    assert sources[3] == "- \\[4\\] memo.txt, p. 1 — Page cited without a quote"
    assert sources[4] == ("- \\[5\\] document 999, page 1 — "
                          "Broken citation \\(no such document or page\\)")
    details = text.split("## Details\n\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(":")[0] for line in details] == [
        "- Asked", "- Ended", "- Models", "- Cost", "- Record"]
    assert details[1] == "- Ended: Answered"
    assert re.fullmatch(r"- Record: [0-9]{8}-[0-9]{6}-[0-9a-f]+", details[4])
    assert re.fullmatch(r"- Asked: [0-9-]{10} [0-9:]{5} UTC", details[0])
    # Code and output in fenced blocks, as they ran.
    assert ('```python\nverdict = llm_query("Is the cap ten thousand dollars?")\n'
            'print("helper said", verdict)\n```') in text
    assert "Output:\n\n```text\nhelper said Yes, ten thousand dollars.\n```" in text


def test_hostile_answer_is_text_everywhere(tmp_path: Path, capsys: Any) -> None:
    log = record(tmp_path, capsys, HOSTILE)
    md, word, paper = tmp_path / "a.md", tmp_path / "a.docx", tmp_path / "a.pdf"
    for path in (md, word, paper):
        assert export(capsys, log, path)[0] == 0
    # Markdown: every character that could make a tag, an image or a link is escaped.
    text = md.read_text(encoding="utf-8")
    answer = text.split("## Answer\n\n")[1].split("\n\n")[0]
    assert "![" not in answer and "<" not in answer.replace("\\<", "")
    assert "\\!\\[x\\]\\(/etc/passwd\\)" in answer and "\\<script\\>" in answer
    assert "\x1b" not in text and "\x07" not in text
    assert "bell\\\\x07 esc\\\\x1b\\[31m" in answer      # shown as escapes
    # Word: the same words as plain runs; no picture, no hyperlink.
    document = docx.Document(str(word))
    words = docx_text(word)
    assert '<script>alert(1)</script> <img src="/etc/passwd"> ![x](/etc/passwd)' in words
    assert "bell\\x07 esc\\x1b[31m red &amp; **bold**" in words
    assert not document.inline_shapes
    assert not [rel for rel in document.part.rels.values()
                if "image" in rel.reltype or "hyperlink" in rel.reltype]
    # PDF: the text as written, and no image or link on any page.
    assert '<img src="/etc/passwd"> ![x](/etc/passwd)' in squeeze(pdf_text(paper))
    assert "bell\\x07 esc\\x1b[31m red &amp; **bold**" in squeeze(pdf_text(paper))
    with pymupdf.open(str(paper)) as pdf:
        for page in pdf:
            assert page.get_images() == [] and page.get_links() == []


def test_unknown_run_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "x.md"
    code, said = export(capsys, "20261203-000000-nosuch", out)
    assert code == 2
    assert "no saved analysis '20261203-000000-nosuch'" in said
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_run_found_by_id_and_unwritable_path(tmp_path: Path, capsys: Any) -> None:
    log = record(tmp_path, capsys, "FINAL('no sources')")
    runs_dir().mkdir(parents=True, exist_ok=True)
    saved = runs_dir() / "20261203-081100-abcdef.jsonl"
    saved.write_bytes(log.read_bytes())
    out = tmp_path / "by-id.md"
    assert export(capsys, "20261203-081100-abcdef", out)[0] == 0
    assert "no sources" in out.read_text(encoding="utf-8")
    assert "## Sources" not in out.read_text(encoding="utf-8")
    code, said = export(capsys, log, tmp_path / "missing-folder" / "a.pdf")
    assert code == 2 and "cannot write" in said and "missing-folder" in said
    code, said = export(capsys, log, tmp_path / "a.txt")
    assert code == 2 and "--format" in said


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="needs a folder we cannot write")
def test_read_only_folder_is_a_clear_error(tmp_path: Path, capsys: Any) -> None:
    log = record(tmp_path, capsys, "FINAL('hi')")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, said = export(capsys, log, folder / "a.docx")
    finally:
        folder.chmod(0o700)
    assert code == 2 and f"cannot write {folder / 'a.docx'}" in said
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("fmt", ["md", "docx", "pdf"])
def test_existing_file_is_replaced_whole(tmp_path: Path, capsys: Any, fmt: str) -> None:
    log = record(tmp_path, capsys)
    out = tmp_path / f"answer.{fmt}"
    out.write_bytes(b"old contents")
    link = tmp_path / "hard-link"
    os.link(out, link)           # the old file stays as it was: replaced by rename, not rewritten
    assert export(capsys, log, out)[0] == 0
    assert link.read_bytes() == b"old contents" and out.read_bytes() != b"old contents"
    assert out.stat().st_ino != link.stat().st_ino
    # A writer that fails half-way leaves the old file and no temporary one.
    doc = export_document.build(read_events(log))

    def broken(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    before = out.read_bytes()
    with pytest.raises(ConfigError, match=f"cannot write {re.escape(str(out))}: No space left"):
        write_atomically(out, broken)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert doc.sources and doc.sources[0].status == SOURCES[0]


def test_a_reused_helper_answer_says_so_in_the_appendix() -> None:
    events = [
        ev.SubCallStarted(run_id="r", call_id="r:1", kind="llm_query", model="mini",
                          prompt_preview="read page 1", prompt_chars=11),
        ev.SubCallFinished(run_id="r", call_id="r:1", kind="llm_query", model="mini",
                           response_preview="it says yes", cost_usd=0.0, cached=True),
    ]
    doc = export_document.build(events, with_trajectory=True)
    assert doc.appendix is not None
    (helper,) = doc.appendix.helpers
    assert helper.title == ("Helper question #1 to mini: asked before: same answer reused, "
                            "at no cost")
    assert helper.answer == "it says yes"
