"""The words the root model reads: system prompt, first turn, per-iteration turns and reminders."""

from __future__ import annotations

from typing import Any

from engine.sandbox.contract import CONTRACT


def repl_listing() -> str:
    """The system prompt's list of REPL names, one line each, from the REPL contract."""
    lines = []
    for entry in CONTRACT:
        if entry.prompt is not None:
            kind = f" ({entry.value_type})" if entry.value_type else ""
            lines.append(f"- `{entry.signature}`{kind}: {entry.prompt}\n")
    return "".join(lines)


SYSTEM_PROMPT = """\
You answer questions about a set of documents that is far too large to read in one go. \
The documents are not in this conversation. They are loaded in a persistent Python REPL \
that you drive by writing code, and you must look at them before you answer.

Write code in fenced blocks tagged `repl`:
```repl
print(len(context))
print(context[:2000])
```
Every `repl` block in your reply runs, in order, in the same REPL; variables persist across \
turns. You then see what the code printed (long output is cut in the middle, so print \
selectively). Only the standard library is available; there is no network and no file access.

What the REPL holds:
""" + repl_listing() + """
How to work:
1. Look first: sizes, the document list, a few samples. Then search with `re`, slice, and \
read the parts that matter.
2. For questions about the whole set, split the relevant text into chunks (by document or \
page), ask the sub-model about each chunk with `llm_query_batched`, collect the answers in \
variables, and combine them.
3. Verify what you found before answering; quote the source text where it matters.
4. Answer in the question's language, in plain prose for a reader who does not program. \
After each claim put a citation from `cite(doc_id, page, quote)` with the page's exact \
words quoted (a short passage, copied, not paraphrased); `locate(words)` tells you which \
page words are on. Call `FINAL(...)` inside a `repl` block only when you are done; do not \
guess an answer before you have looked.
"""

FIRST_TURN = """\
Question: {question}

The REPL is ready. `context` holds {chars:,} characters (about {tokens:,} tokens) from \
{count} document{plural}:
{listing}
You have {max_iterations} iterations. Start by looking at the context; do not answer yet.\
"""

ITERATION_TURN = (
    "{outputs}\n\n[Iteration {iteration} of {max_iterations}: continue, or call FINAL(...) "
    "in a ```repl``` block when you are done.]"
)

NO_CODE_REMINDER = (
    "[Iteration {iteration} of {max_iterations}] Your reply had no ```repl``` block and no "
    "FINAL(...). Continue working in the REPL, or call FINAL(answer) in a ```repl``` block "
    "when you are done."
)

CUT_OFF_REMINDER = (
    "[Iteration {iteration} of {max_iterations}] Your reply was cut off at the model's output "
    "limit before its code block was complete, so nothing ran. Write shorter code, and build "
    "long answers in a variable to end with FINAL_VAR(name)."
)

CUT_OFF_NOTE = (
    "Note: your reply was cut off at the model's output limit inside its last code block, so "
    "that block did not run. Write shorter blocks."
)

PROSE_FINAL_WITH_CODE = (
    "Note: you wrote FINAL(...) outside a code block in a reply that also ran code, so it "
    "was ignored; check the outputs above, then call FINAL(...) inside a ```repl``` block."
)

HELD_UNSEEN_OUTPUT = (
    "Note: you called FINAL before seeing the output above, so your answer was not accepted "
    "yet. Your answer was:\n<<<\n{answer}\n>>>\nCheck it against the output. If it holds, "
    "call FINAL again with it; if not, correct it or keep working. Your next FINAL ends the "
    "task."
)

BLOCKS_AFTER_FINAL_NOTE = "Note: the code blocks after the one that called FINAL did not run."

HELD_FIRST_REPLY = (
    "Note: you called FINAL before looking at the documents, so your answer was not accepted "
    "yet. Your answer was:\n<<<\n{answer}\n>>>\nLook at `context` first and check the "
    "answer against it; then call FINAL again to confirm or correct it. Your next FINAL ends "
    "the task."
)

LAST_CHANCE = (
    "You have reached the limit ({reason}). Do not write code. Reply now with your best "
    "final answer to the question, from what you have found so far, as FINAL(your answer). "
    "Say plainly what you could not check."
)

DOCUMENT_LISTING_LIMIT = 50


def document_listing(documents: list[dict[str, Any]], limit: int = DOCUMENT_LISTING_LIMIT) -> str:
    """One line per document (id, title, pages, characters), truncated for large libraries."""
    lines = []
    for doc in documents[:limit]:
        chars = doc["end"] - doc["start"]
        pages = len(doc.get("pages", []))
        lines.append(f'- [{doc["id"]}] {doc["title"]} ({doc.get("type", "?")}, '
                     f'{pages} page{"s" * (pages != 1)}, {chars:,} chars)')
    if len(documents) > limit:
        lines.append(f"- ... and {len(documents) - limit:,} more (see `documents`)")
    return "\n".join(lines) + "\n" if lines else "- (a single text with no document index)\n"


def first_turn(question: str, context_chars: int, documents: list[dict[str, Any]],
               max_iterations: int) -> str:
    count = len(documents) or 1
    return FIRST_TURN.format(
        question=question, chars=context_chars, tokens=estimate_tokens(context_chars),
        count=count, plural="s" * (count != 1), listing=document_listing(documents),
        max_iterations=max_iterations)


def estimate_tokens(chars: int) -> int:
    """About four characters a token for English prose; good enough for planning."""
    return (chars + 3) // 4


def cell_report(index: int, output: str, error: str | None) -> str:
    """What the model reads about one cell: its output (a cut one says so), then the error."""
    parts = [f"Cell {index} output:"]
    parts.append(output if output.strip() else "(no output)")
    if error:
        parts.append(f"Cell {index} error:\n{error}")
    return "\n".join(parts)
