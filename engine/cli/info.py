"""``rlm info``: where the data lives, which versions run, and whether OCR, the safe workspace
(the REPL sandbox) and the keyring work on this machine."""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from engine import __version__, secrets
from engine.cli.common import EXIT_OK
from engine.cli.progress import ISOLATION_WORDS
from engine.cli.terminal import json_text, printable
from engine.config import DEFAULT_BASE_URL, config_dir, data_dir, load_settings, settings_path
from engine.errors import ConfigError

REPL_FAILED = "the REPL could not be started: "   # in --json as it always was


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0


def store_info() -> dict[str, Any]:
    from engine.store.contexts import cache_dir
    from engine.store.db import store_path

    path = store_path()
    info: dict[str, Any] = {"path": str(path), "exists": path.exists(),
                            "bytes": sum(_size(Path(f"{path}{s}")) for s in ("", "-wal", "-shm")),
                            "context_cache": str(cache_dir()),
                            "context_cache_bytes": _size(cache_dir())}
    if path.exists():
        from engine.store.library import Library

        try:
            with Library(path) as library:
                info.update(library.counts())
                info["schema"] = max((r[0] for r in library.conn.execute(
                    "SELECT id FROM migrations")), default=0)
        except Exception as exc:   # a damaged store is exactly what info must report
            info["error"] = str(exc)
    return info


def versions() -> dict[str, str]:
    from engine.ingest.readers.pdf import pymupdf_version
    from engine.ingest.readers.word import python_docx_version

    return {"rlm": __version__, "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.release()} ({platform.machine()})",
            "sqlite": sqlite3.sqlite_version, "pymupdf": pymupdf_version(),
            "python-docx": python_docx_version()}


def sandbox_info() -> dict[str, Any]:
    """Start one REPL child on an empty context and report the isolation it achieved."""
    from engine.errors import EngineError
    from engine.sandbox.context_file import write_context
    from engine.sandbox.host import ReplProcess
    from engine.sandbox.policy import SandboxRefusedError

    async def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("no calls during rlm info")

    async def probe(folder: Path) -> dict[str, Any]:
        context_path, documents_path = write_context(folder, "", [])
        repl = ReplProcess(context_path, documents_path, call_handler=refuse,
                           sandbox=load_settings().sandbox)
        try:
            await repl.start()
            return dict(repl.status or (repl.ready or {}).get("lockdown") or {})
        except SandboxRefusedError as exc:
            return dict(exc.status)
        finally:
            await repl.close()

    try:
        with tempfile.TemporaryDirectory(prefix="rlm-info-") as folder:
            status = asyncio.run(probe(Path(folder)))
    except (EngineError, OSError, RuntimeError, TypeError) as exc:
        return {"enforced": False, "error": f"{REPL_FAILED}{exc}"}
    keep = ("enforced", "platform", "isolation", "layers", "missing", "note",
            "allowed_unsandboxed")
    return {k: status[k] for k in keep if k in status}


def models_info() -> dict[str, Any]:
    """The saved models, where they are called (URLs without user:password@ or ?key=) and
    their windows."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        return {"error": str(exc)}
    root_url = settings.root.base_url or DEFAULT_BASE_URL
    root_model = settings.root.model or None
    sub_model = settings.sub.model or root_model
    sub_url = settings.sub.base_url or root_url
    sub_setting = settings.sub.context_window or (
        settings.root.context_window if sub_model == root_model else None)
    sub_key_env = settings.sub.api_key_env or settings.root.api_key_env
    root_window, sub_window = asyncio.run(_windows(
        (root_url, root_model, settings.root.api_key_env, settings.root.context_window),
        (sub_url, sub_model, sub_key_env, sub_setting)))
    return {"root": {"model": root_model, "base_url": secrets.safe_url(root_url),
                     "window": root_window},
            "sub": {"model": sub_model, "base_url": secrets.safe_url(sub_url),
                    "window": sub_window}}


async def _windows(*models: tuple[str, str | None, str | None, int | None]
                   ) -> list[dict[str, Any] | None]:
    """Each model's window: its server is asked (a local one, or one we hold a key for)."""
    from engine.providers.windows import choose, discover_window, ollama_warning

    async def one(base_url: str, model: str | None, key_env: str | None,
                  setting: int | None) -> dict[str, Any] | None:
        if not model:
            return None
        found = None
        try:
            key = secrets.get_key(base_url, key_env)
        except ConfigError:
            key = None
        if key or secrets.is_local(base_url):
            found = await discover_window(base_url, model, key)
        window = choose(found, model, setting)
        return {**window.to_json(), "described": window.describe(),
                "warning": ollama_warning(window, model, _tokens_a_question_needs())}

    return list(await asyncio.gather(*(one(*m) for m in models)))


def _tokens_a_question_needs() -> int:
    """About what the first steps of a short question take: the system prompt, a first
    turn, and room for a few steps."""
    from engine.providers.tokens import TokenGauge
    from engine.providers.windows import RUN_HEADROOM_TOKENS
    from engine.rlm.prompts import SYSTEM_PROMPT

    return TokenGauge().tokens(SYSTEM_PROMPT) + 500 + RUN_HEADROOM_TOKENS


def licence_info() -> dict[str, Any]:
    """The program's licence and where its third-party notices are (None: made from the
    installed packages, by ``python -m engine.notices -``)."""
    from engine.notices import LICENCE_EXPRESSION, shipped_notices

    path = shipped_notices()
    return {"licence": LICENCE_EXPRESSION, "third_party_notices": str(path) if path else None}


def gather_info() -> dict[str, Any]:
    from engine.ingest.readers.about import reader_list
    from engine.ingest.readers.pdf import tesseract_status

    return {"data_dir": str(data_dir()), "config_dir": str(config_dir()),
            "settings_file": str(settings_path()), "models": models_info(),
            "store": store_info(),
            "versions": versions(), "ocr": tesseract_status(), "sandbox": sandbox_info(),
            "keyring": secrets.keyring_status(), "executable": sys.executable,
            "readers": reader_list(), "licence": licence_info()}


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


def render_info(info: dict[str, Any]) -> str:
    store = info["store"]
    lines = [f"data directory   {info['data_dir']}",
             f"store            {store['path']} ({store['bytes'] / 1e6:,.1f} MB"
             + (f", {_n(store.get('documents', 0), 'document')} in "
                f"{_n(store.get('collections', 0), 'collection')}, "
                f"{_n(store.get('pages', 0), 'page')}" if store.get("exists") else
                ", not created yet") + ")",
             f"document cache   {store['context_cache']} "
             f"({store['context_cache_bytes'] / 1e6:,.1f} MB)",
             f"settings         {info['settings_file']}"]
    if store.get("error"):
        lines.append(f"store error      {store['error']}")
    models = info["models"]
    if models.get("error"):
        lines.append(f"models           unknown: {models['error']}")
    else:
        for label, key in (("main model", "root"), ("helper model", "sub")):
            chosen = models[key]
            name = chosen["model"] or "not chosen (rlm ask --model NAME)"
            window = chosen.get("window") or {}
            reads = f", window {window['described']}" if window.get("tokens") else (
                ", window unknown (give it as context_window in the settings)"
                if chosen["model"] else "")
            lines.append(f"{label:<17}{name} at {chosen['base_url']}{reads}")
            if window.get("warning"):
                lines.append(f"{'':<17}warning: {window['warning']}")
    v = info["versions"]
    lines.append(f"versions         rlm {v['rlm']}, Python {v['python']}, PyMuPDF {v['pymupdf']}, "
                 f"python-docx {v['python-docx']}, SQLite {v['sqlite']}")
    lines.append(f"platform         {v['platform']}")
    lines.append(f"OCR (Tesseract)  {info['ocr']}")
    for n, reader in enumerate(info.get("readers") or []):
        what = f": {reader['reader']}" if reader.get("reader") else ""
        suffixes = "" if "(." in reader["label"] else f" ({', '.join(reader['suffixes'])})"
        lines.append(f"{'readers' if n == 0 else '':<17}{reader['label']}{suffixes}{what}")
    sandbox = info["sandbox"]
    if sandbox.get("error"):
        # The JSON keeps the engine's sentence; here it reads in the product's words.
        error = str(sandbox["error"]).removeprefix(REPL_FAILED)
        lines.append(f"safe workspace   unknown: it could not be started: {error}")
    else:
        isolation = sandbox.get("isolation") or {}
        kept = [ISOLATION_WORDS.get(k, k) for k, on in isolation.items() if on]
        open_ = [ISOLATION_WORDS.get(k, k) for k, on in isolation.items() if not on]
        if sandbox.get("enforced"):
            state = f"isolated ({', '.join(kept) or 'files, network, other programs'})"
        else:
            state = (f"NOT fully isolated (protected: {', '.join(kept) or 'nothing'}; "
                     f"unprotected: {', '.join(open_) or 'unknown'})")
        detail = sandbox.get("missing") or sandbox.get("note") or ""
        if isinstance(detail, dict):
            detail = "; ".join(f"{k}: {m}" for k, m in detail.items())
        lines.append(f"safe workspace   {state}"
                     + (f" — {detail}" if detail and not sandbox.get("enforced") else ""))
    keyring = info["keyring"]
    lines.append(f"keyring          {'usable' if keyring.get('usable') else 'NOT usable'}: "
                 f"{keyring.get('detail')}")
    licence = info["licence"]
    lines.append(f"licence          {licence['licence']}; third-party notices: "
                 f"{licence['third_party_notices'] or 'generated from the installed packages'}")
    return "\n".join(lines)


def add_commands(commands: Any) -> None:
    """Register ``info`` on the ``rlm`` subcommand parser."""
    info = commands.add_parser("info", help="where data lives, versions, the safe workspace "
                                "and the keyring")
    info.add_argument("--json", action="store_true", help="print JSON")


def command_info(args: argparse.Namespace) -> int:
    info = gather_info()
    # Paths, the keyring's and the sandbox's words may hold anything: escapes made visible.
    print(json_text(info, indent=1) if args.json
          else printable(render_info(info)))
    return EXIT_OK


HANDLERS = {"info": command_info}
