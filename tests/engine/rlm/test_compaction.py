"""WindowKeeper on its own: what is elided, what is summarised, what is never touched."""

from __future__ import annotations

import asyncio
import itertools

from engine.providers.tokens import TokenGauge
from engine.rlm.compaction import SUMMARY_HEAD, SUMMARY_NOTE, WindowKeeper

Messages = list[dict[str, str]]


def conversation(steps: int, size: int) -> Messages:
    messages = [{"role": "system", "content": "S" * 400},
                {"role": "user", "content": "First question: what is the rent?"}]
    for n in range(steps):
        messages += [{"role": "assistant", "content": f"reply {n} " + "r" * size},
                     {"role": "user", "content": f"output {n} " + "o" * size}]
    return messages


def test_small_turns_are_not_replaced_by_longer_notes() -> None:
    messages = conversation(6, 10)
    before = [m["content"] for m in messages]
    keeper = WindowKeeper(messages[:2], TokenGauge())
    result = asyncio.run(keeper.fit(messages, 200, lambda request: _none()))
    assert result is None   # nothing could be made shorter
    assert [m["content"] for m in messages] == before


async def _none() -> None:
    return None


def test_a_follow_up_question_stays_whole_and_only_its_own_steps_are_summarised() -> None:
    messages = conversation(4, 2000)
    follow_up = {"role": "user", "content": "Follow-up question: and the deposit?"}
    messages[-1]["content"] += "\n\n" + follow_up["content"]   # joined, as add_user_turn does
    asked = messages[-1]
    messages += conversation(8, 2000)[2:]
    keeper = WindowKeeper([*messages[:2], asked], TokenGauge())
    requests: list[Messages] = []

    async def summarize(request: Messages) -> str:
        requests.append(request)
        return "the deposit is not found yet"

    result = asyncio.run(keeper.fit(messages, 8000, summarize))
    assert result is not None and result.summary == "the deposit is not found yet"
    assert result.after_tokens <= 0.6 * 8000
    assert asked in messages and asked["content"].endswith("Follow-up question: and the deposit?")
    index = messages.index(asked)
    assert messages[index + 1]["content"].startswith(SUMMARY_HEAD)
    assert messages[index + 2]["content"] == SUMMARY_NOTE
    assert [m["content"] for m in messages[-4:]] == \
        [m["content"] for m in conversation(8, 2000)[-4:]]   # the last two exchanges, whole
    roles = [m["role"] for m in messages]
    assert all(a != b for a, b in itertools.pairwise(roles))
    record = requests[0][-1]["content"]
    assert "output 0 ooo" in record   # the summary saw the steps as they were, not the notes
