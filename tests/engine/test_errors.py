"""Which provider failures end a run: one predicate, used by sub-calls and child runs alike."""

from __future__ import annotations

import pytest

from engine.errors import ProviderError


@pytest.mark.parametrize(("kind", "ends"), [
    ("auth", True), ("permission", True), ("quota", True), ("not_found", True),
    ("bad_request", False), ("context_length", False), ("timeout", False),
    ("connection", False), ("rate_limit", False), ("server", False), ("malformed", False),
    ("error", False),
])
def test_only_failures_no_prompt_can_fix_end_the_run(kind: str, ends: bool) -> None:
    assert ProviderError("x", kind=kind).ends_run() is ends


def test_a_missing_model_the_code_named_is_the_codes_to_handle() -> None:
    assert ProviderError("x", kind="not_found").ends_run(model_named_by_code=True) is False
    assert ProviderError("x", kind="auth").ends_run(model_named_by_code=True) is True
