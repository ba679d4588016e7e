"""Code blocks and prose FINAL are found the way the loop needs them."""

from __future__ import annotations

from engine.rlm.parsing import code_blocks, prose_final, strip_code


def test_repl_and_python_blocks_in_order_others_ignored() -> None:
    reply = ("Look:\n```repl\na = 1\n```\ntext\n```python\nb = 2\n```\n"
             "```json\n{}\n```\n```\nplain = 3\n```\n")
    assert code_blocks(reply) == ["a = 1\n", "b = 2\n"]


def test_fence_inside_a_string_does_not_end_the_block() -> None:
    reply = '```repl\ns = "```not a fence"\nprint(s)\n```'
    assert code_blocks(reply) == ['s = "```not a fence"\nprint(s)\n']


def test_indented_fences_are_accepted() -> None:
    assert code_blocks("  ```repl\nx = 1\n  ```") == ["x = 1\n"]


def test_prose_final_balanced_parentheses_and_quotes() -> None:
    assert prose_final("So:\nFINAL(It costs $5 (net).)").value == "It costs $5 (net)."
    assert prose_final("FINAL('quoted')").value == "quoted"
    assert prose_final('FINAL("""multi\nline""")').value == "multi\nline"


def test_final_mentioned_mid_sentence_is_a_plan_not_an_answer() -> None:
    assert prose_final("I will search, then call FINAL(answer) when done.") is None
    assert prose_final("> **FINAL(quoted and bold)**").value == "quoted and bold"


def test_an_unclosed_fence_is_still_code() -> None:
    # Servers that stop on ``` end the reply before the closing fence.
    assert code_blocks("Run:\n```repl\nx = 1\nFINAL(x)") == ["x = 1\nFINAL(x)"]
    assert prose_final("```repl\nresult = 2\nFINAL(result)") is None


def test_prose_final_ignores_final_inside_code() -> None:
    assert prose_final("```repl\nFINAL(x)\n```") is None


def test_prose_final_var_needs_an_identifier() -> None:
    found = prose_final("FINAL_VAR(answer)")
    assert found is not None and found.is_var and found.value == "answer"
    literal = prose_final("FINAL_VAR(two words)")
    assert literal is not None and not literal.is_var


def test_unclosed_final_takes_the_rest() -> None:
    assert prose_final("FINAL(the answer is 4").value == "the answer is 4"


def test_strip_code_keeps_prose() -> None:
    assert strip_code("Before\n```repl\nx=1\n```\nAfter") == "Before\n\nAfter"



def test_ends_in_open_block() -> None:
    from engine.rlm.parsing import ends_in_open_block

    assert ends_in_open_block("```repl\nx = [1,")
    assert not ends_in_open_block("```repl\nx = 1\n```")
    assert not ends_in_open_block("no code at all")
    assert not ends_in_open_block("```text\nnotes")
