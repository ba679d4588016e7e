"""The engine's command-line advice ("rlm ingest --force") as what to do in the app (no Qt)."""

from __future__ import annotations

import re

READ_AGAIN = "right-click the document and choose “Read again”"

# The engine's messages are written for the command line too; each entry turns one piece of
# command-line advice into the place in the app that does the same. Kept as one table so a
# new engine message needs one line here (tests/rlm_desktop/test_advice.py checks them all).
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in (
        # Scanned pages (engine/ingest/readers/pdf.py OCR_ADVICE)
        (r" and run rlm ingest again with --force", f", then {READ_AGAIN}"),
        (r"OCR was off \(--ocr off\): run rlm ingest again with --force to read them",
         f"text recognition (OCR) was off when it was read: {READ_AGAIN} to read them"),
        # Password-protected PDFs (readers/pdf.py)
        (r"; give its password with `rlm ingest --password-stdin` \(or `--password PASSWORD`\)",
         ": add it again (drop it or use Add files) and enter its password when asked"),
        # Extraction limits and start-up (engine/ingest/pool.py)
        (r"; raise it with --file-timeout", "; it was left out"),
        (r"check the installation with `rlm info`, and that the system lets rlm start processes",
         "reinstall the app, and check that this computer lets it start helper processes"),
        # Missing files (engine/store/library.py)
        (r"`rlm ingest --prune` removes it from the library",
         "“Re-scan and forget missing files” removes it from the library"),
        (r"Add files with: rlm ingest PATH --collection .*$", "Add files to it first."),
        # Models and keys (engine/endpoints.py, engine/providers/client.py, engine/secrets.py)
        (r"no model: pass --model NAME \(e\.g\. --model gpt-5\), or set root\.model in the "
         r"settings file", "no AI model is set up yet: choose one in Settings, AI models"),
        (r"Check the key, then store it with `rlm key set [^`]+` or set \S+ "
         r"\(or pass --api-key-env VAR\)\.",
         "Check the key and enter it again in Settings, AI models."),
        (r"check the account or --model\.",
         "check the account, or the model chosen in Settings, AI models."),
        (r"Check --model against the provider's model list, and the base URL\.",
         "Check the model chosen in Settings, AI models against the provider's model list, "
         "and the service's address."),
        (r"(No API key found for [^\n]*?)\. Fix it in one of these ways:(?:\n  [^\n]*)+",
         r"\1. Enter the key in Settings, AI models."),
        (r"\nNote: [^\n]*so use one of the environment routes\.", ""),
        # Prices and the spending limit (engine/providers/prices.py, engine/rlm/loop.py)
        (r"--budget needs known prices, and there is none for ([^;]+); add them to a price file "
         r"and pass --prices FILE \(see the README\), or run without --budget",
         r"a spending limit needs known prices, and there is none for \1: add them in "
         "Settings, Prices, or clear the spending limit in Settings, Limits"),
        (r"add it with --prices FILE", "add it in Settings, Prices"),
        # An engine fault (engine/worker/server.py): a Python exception is no help on screen;
        # the engine log keeps it.
        (r"unexpected error in the engine during \w+: \w+(?:Error|Exception)?: .*?; see the log "
         r"for details", "something went wrong inside the engine; Help > Engine log has the "
         "details, and trying again usually works"),
        # The engine's names for the two models (VOCABULARY.md): the words the screens use.
        (r"\bin the settings\b(?! file)", "in Settings, AI models"),
        (r"\broot model\b", "main model"), (r"\bRoot model\b", "Main model"),
        (r"\bsub-model\b", "helper model"), (r"\bSub-model\b", "Helper model"),
        # The safe workspace (engine/sandbox/policy.py)
        (r"To run anyway, knowingly: pass --allow-unsandboxed to rlm ask, or set "
         r"\"sandbox\": \{\"allow_unsandboxed\": true\} in \S+",
         "To run anyway, knowingly: in Settings, Safety, choose “Run the model's code even "
         "where this computer cannot seal it off”"),
    ))

# Command-line advice this table does not know yet: a flag or an ``rlm`` command.
_CLI_HINT = re.compile(r"(?<![\w-])--[a-z][a-z-]+|`rlm [^`]*`|\brlm (?:ingest|ask|key|info|"
                       r"show|library|export|review|bench)\b")


def in_app(message: str) -> str:
    """The message with its command-line advice replaced by what to do in the app; a
    clause of advice not known here is left out rather than shown."""
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)
    if not _CLI_HINT.search(message):
        return message
    # Drop the clauses ("; ..." or sentences) that still name the command line.
    pieces = re.split(r"(?<=[.;])\s+", message)
    kept = [p for p in pieces if not _CLI_HINT.search(p)]
    return " ".join(kept).rstrip(";").strip() or "The engine reported a problem (see its log)."


def names_command_line(message: str) -> bool:
    """True when a message still tells the person to run a command (tests use this)."""
    return bool(_CLI_HINT.search(message))
