"""Hold back, once per run, a FINAL the model called before seeing what its code printed."""

from __future__ import annotations

from engine.events import HoldReason
from engine.rlm import prompts
from engine.rlm.parsing import clip_middle

# How much of a held answer the model is shown again (the rest is in its variable or reply).
ANSWER_SHOWN_CHARS = 4_000

_NOTES = {HoldReason.UNSEEN_OUTPUT: prompts.HELD_UNSEEN_OUTPUT,
          HoldReason.FIRST_REPLY: prompts.HELD_FIRST_REPLY}


class AnswerGate:
    """Decides whether a FINAL ends the run now or waits for the model to confirm it.

    A FINAL waits when the model has not looked at any output of its code yet (its first
    reply) or when code in the same reply printed output it has not seen. Only the first
    such FINAL waits: after a hold, the next FINAL ends the run whatever it follows, so a
    model that keeps answering early cannot loop. No FINAL waits on the last iteration
    (there is no turn left to confirm it in), nor when the setting is off.
    """

    def __init__(self, enabled: bool, *, looked: bool = False) -> None:
        self.enabled = enabled
        self.looked = looked          # the model has read some output of its code
        self.held: str | None = None  # the answer held back, if one was

    def reason(self, *, unseen: bool, has_next: bool) -> HoldReason | None:
        """Why this FINAL must wait, or None when it ends the run."""
        if not self.enabled or self.held is not None or not has_next:
            return None
        if not self.looked:
            return HoldReason.FIRST_REPLY
        return HoldReason.UNSEEN_OUTPUT if unseen else None

    def hold(self, answer: str, reason: HoldReason) -> str:
        """Remember the held answer; the note that asks the model to confirm it."""
        self.held = answer
        return _NOTES[reason].format(answer=clip_middle(answer, ANSWER_SHOWN_CHARS))
