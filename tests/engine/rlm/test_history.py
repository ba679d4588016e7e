"""Long runs keep the root model's history under a size by eliding the oldest outputs."""

from __future__ import annotations

from engine.rlm.loop import compact_history


def history(turns: int, size: int) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    for i in range(turns):
        messages.append({"role": "assistant", "content": f"code {i}"})
        messages.append({"role": "user", "content": f"out {i} " + "o" * size})
    return messages


def test_under_the_limit_nothing_changes() -> None:
    messages = history(3, 100)
    before = [m["content"] for m in messages]
    assert compact_history(messages, 10_000) == 0
    assert [m["content"] for m in messages] == before


def test_oldest_outputs_go_first_code_and_latest_turn_stay() -> None:
    messages = history(10, 5_000)
    removed = compact_history(messages, 30_000)
    assert removed > 0
    assert sum(len(m["content"]) for m in messages) <= 30_000
    assert messages[3]["content"].startswith("[elided")
    assert messages[-1]["content"].startswith("out 9")
    assert all(m["content"].startswith("code") for m in messages if m["role"] == "assistant")
    assert messages[:2] == [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]


def test_older_replies_go_when_outputs_are_not_enough() -> None:
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    for i in range(6):
        messages.append({"role": "assistant", "content": f"code {i} " + "c" * 10_000})
        messages.append({"role": "user", "content": f"out {i}"})
    compact_history(messages, 25_000)
    assert sum(len(m["content"]) for m in messages) <= 25_000
    assert messages[2]["content"].startswith("[elided") and "older reply" in messages[2]["content"]
    assert messages[-2]["content"].startswith("code 5")
