"""The REPL contract table and what it drives agree: the child's names, the frames it sends and
the host checks, the host's handlers and the system prompt's list."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from engine.rlm import prompts
from engine.rlm.subcalls import HANDLERS
from engine.sandbox import child, contract
from engine.sandbox.contract import CONTRACT, HOST_CALLS, NAMES
from engine.sandbox.frames import check_call

DEFINED_BY_CHILD = {entry.name for entry in CONTRACT if entry.value_type is None}
SAMPLES: dict[contract.ArgType, Any] = {
    contract.STR: "a prompt", contract.OPTIONAL_STR: None, contract.STR_LIST: ["a", "b"]}


def child_section_names() -> set[str]:
    """The public functions and classes of child.py's REPL-contract section."""
    path = Path(child.__file__)
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.startswith("# --- the REPL contract"))
    end = next(i for i, line in enumerate(lines, 1) if i > start and line.startswith("# ---"))
    tree = ast.parse("\n".join(lines))
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.ClassDef)
            and start < node.lineno < end and not node.name.startswith("_")}


def test_names_are_unique_and_every_signature_starts_with_its_name() -> None:
    assert len(set(NAMES)) == len(NAMES)
    for entry in CONTRACT:
        assert entry.signature == entry.name or entry.signature.startswith(f"{entry.name}(")
        assert (entry.value_type is None) or (entry.op is None and not entry.args)
        assert bool(entry.op) == bool(entry.args)


def test_every_name_the_child_defines_is_in_the_table_and_back() -> None:
    assert child_section_names() == DEFINED_BY_CHILD
    assert child.contract is contract and set(NAMES) == child.API_NAMES


def test_the_childs_namespace_follows_the_table() -> None:
    loaded = {"context": "text", "documents": []}
    names = contract.namespace(loaded, vars(child))
    assert list(names) == list(NAMES)
    assert names["context"] == "text" and names["llm_query"] is child.llm_query
    assert all(names[name] is getattr(child, name) for name in DEFINED_BY_CHILD)


class RecordingChannel:
    """Stands in for the child's frame channel: keeps each call, answers it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((op, args))
        return {"ok": True, "value": ["answer"]}


@pytest.mark.parametrize("entry", HOST_CALLS.values(), ids=lambda entry: entry.name)
def test_the_childs_call_frame_matches_the_table(entry: contract.ReplName,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    channel = RecordingChannel()
    monkeypatch.setattr(child, "CHANNEL", channel)
    function = getattr(child, entry.name)
    function(**{name: SAMPLES[kind] for name, kind in entry.args})
    [(op, args)] = channel.calls
    assert op == entry.op and list(args) == [name for name, _ in entry.args]
    assert check_call(op, args) is None


def test_every_host_call_has_a_handler_and_every_handler_a_call() -> None:
    assert set(HANDLERS) == set(HOST_CALLS)


def test_the_system_prompt_lists_the_table() -> None:
    listed = [entry for entry in CONTRACT if entry.prompt is not None]
    assert prompts.repl_listing().count("\n- `") + 1 == len(listed)
    for entry in listed:
        assert f"\n- `{entry.signature}`" in prompts.SYSTEM_PROMPT
        assert entry.prompt in prompts.SYSTEM_PROMPT
    assert "SubCallError" not in prompts.SYSTEM_PROMPT
