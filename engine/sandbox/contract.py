"""The REPL contract: every name model-written code can use in the REPL, in one table.

``CONTRACT`` drives the child's namespace (``child.py``), the check of each call frame the
child sends (``frames.check_call``), the host's dispatch of those calls (``HANDLERS`` in
``engine/rlm/subcalls.py``) and the list of names in the system prompt
(``engine/rlm/prompts.py``). The REPL child loads this file as a top-level module from its
own folder, so it imports the standard library only and nothing of the project.

To add a REPL function:

1. add a ``ReplName`` to ``CONTRACT``: its name, its signature and prompt line as the model
   reads them and, if it calls the host, its frame ``op`` and the ``args`` the frame carries;
2. define it in the REPL-contract section of ``child.py``, where every public function or
   class is a REPL name and helpers start with ``_`` (it reaches the host with
   ``_call(op, args)``);
3. if it calls the host, write its handler in ``engine/rlm/subcalls.py`` and list it in
   ``HANDLERS`` under the op.

``tests/engine/sandbox/test_contract.py`` fails until the table, the child and the handlers
agree.
"""

# No ``from __future__ import annotations`` here: typing.NamedTuple would compile each string
# annotation, which costs the child's start-up about 1.5 ms.
from collections.abc import Callable
from typing import Any, NamedTuple


class ArgType(NamedTuple):
    """What an argument of a call frame must hold, and how a refusal words it."""

    accepts: Callable[[Any], bool]
    wording: str  # "prompt must be <wording>"


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


STR = ArgType(lambda value: isinstance(value, str), "a string")
OPTIONAL_STR = ArgType(lambda value: value is None or isinstance(value, str),
                       "a string or null")
STR_LIST = ArgType(_is_str_list, "a list of strings")


class ReplName(NamedTuple):
    """One name in the REPL's namespace."""

    name: str
    signature: str                 # as the model reads it: "llm_query(prompt, model=None) -> str"
    prompt: str | None             # its line in the system prompt after the signature, or None
    value_type: str | None = None  # set for the values child.main loads (context, documents)
    op: str | None = None          # the call frame's op, for a function that calls the host
    # The frame's arguments, checked in this order (a missing one reads as null).
    args: tuple[tuple[str, ArgType], ...] = ()


CONTRACT: tuple[ReplName, ...] = (
    ReplName(
        "context", "context",
        "all selected documents. Each document starts with a line "
        "`=== DOCUMENT <id>: <title> (<type>, <n> pages) ===` and each page with a line "
        "`--- doc <id>, page <n> ---`.",
        value_type="str"),
    ReplName(
        "documents", "documents",
        "per document `id`, `title`, `path`, `type`, `start`, `end` (offsets into `context`) "
        "and `pages` (list of `{page, start, end}`), so `context[d[\"start\"]:d[\"end\"]]` is "
        "one document and a page's slice begins with its marker.",
        value_type="list of dict"),
    ReplName(
        "llm_query", "llm_query(prompt, model=None) -> str",
        "ask a sub-model. It reads only the prompt you give it, so put the text it needs in the "
        "prompt (it handles about 100,000 characters comfortably).",
        op="llm_query", args=(("prompt", STR), ("model", OPTIONAL_STR))),
    ReplName(
        "llm_query_batched", "llm_query_batched(prompts, model=None) -> list[str]",
        "many sub-model calls at once, results in order; far faster than a loop of "
        "`llm_query`. A failed prompt gives an error string in its slot.",
        op="llm_query_batched", args=(("prompts", STR_LIST), ("model", OPTIONAL_STR))),
    ReplName(
        "rlm_query", "rlm_query(prompt, context=None) -> str",
        "start a helper like you, with its own REPL over `context` (a string you pass, or by "
        "default all the documents). Use it for sub-problems that themselves need searching; "
        "use `llm_query` for simple ones.",
        op="rlm_query", args=(("prompt", STR), ("context", OPTIONAL_STR))),
    ReplName(
        "cite", "cite(doc_id, page, quote=None) -> str",
        "a citation marker to put in your answer after each claim, e.g. "
        "`cite(3, 12, \"liability shall not exceed\")`. Quote the page's exact words: after "
        "the run each quote is checked against its page, and a quote not found there is "
        "flagged to the reader."),
    ReplName(
        "locate", "locate(quote) -> list[dict]",
        "where exact words sit in the documents: a list of `{doc_id, page, label, title}` "
        "(label: the printed page number, if any), best first; empty when they are nowhere. "
        "Use it to find the page to cite.",
        op="locate", args=(("quote", STR),)),
    ReplName("FINAL", "FINAL(answer)",
             "end the task with this answer, once you have read the output it rests on."),
    ReplName(
        "FINAL_VAR", "FINAL_VAR(name)",
        "end the task with the value of a variable (for long answers built in code)."),
    ReplName("SHOW_VARS", "SHOW_VARS()", "list your variables."),
    ReplName("SubCallError", "SubCallError", None),
)

NAMES: tuple[str, ...] = tuple(entry.name for entry in CONTRACT)
# The calls the child may send the host, by frame op.
HOST_CALLS: dict[str, ReplName] = {entry.op: entry for entry in CONTRACT if entry.op}


def namespace(loaded: dict[str, Any], defined: dict[str, Any]) -> dict[str, Any]:
    """The REPL's names in the table's order: the values the child ``loaded`` at start-up,
    the rest from what ``child.py`` ``defined``."""
    return {entry.name: (loaded if entry.value_type else defined)[entry.name]
            for entry in CONTRACT}
