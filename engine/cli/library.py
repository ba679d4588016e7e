"""The library commands of ``rlm``: ingest, docs, collections; and the documents of
``rlm ask --docs/--collection``, read through the store."""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from engine.cli.argtypes import at_least_one, positive_float
from engine.cli.ingest_progress import IngestDisplay
from engine.cli.terminal import json_text, printable
from engine.errors import ConfigError
from engine.ingest.formats import SUPPORTED_TEXT
from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.ingest.pool import DEFAULT_TIMEOUT_S
from engine.ingest.report import IngestReport, describe
from engine.store.contexts import CachedContext, prepare_context
from engine.store.library import DEFAULT_COLLECTION, FAILED, DocumentRecord, Library

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
MAX_WARNINGS_SHOWN = 10


def add_commands(commands: Any) -> None:
    """Register ingest, docs and collections on the ``rlm`` subcommand parser."""
    ing = commands.add_parser("ingest", help="add files and folders to the document library")
    ing.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    ing.add_argument("--collection", default=DEFAULT_COLLECTION, metavar="NAME",
                     help=f"collection to add them to (default {DEFAULT_COLLECTION!r})")
    ing.add_argument("--include", action="append", default=[], metavar="GLOB",
                     help="in folders, only files matching GLOB (repeatable), e.g. '*.pdf'")
    ing.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                     help="skip files and folders matching GLOB (repeatable), e.g. 'drafts/*'")
    ing.add_argument("--follow-links", action="store_true",
                     help="follow symbolic links that lead out of a folder")
    ing.add_argument("--password", action="append", default=[], metavar="PASSWORD",
                     help="password to try on encrypted PDFs (repeatable; other users of this "
                     "computer can see it in the process list: --password-stdin hides it)")
    ing.add_argument("--password-stdin", action="store_true",
                     help="read passwords from standard input, one per line; at a terminal, "
                     "ask for one without showing it")
    ing.add_argument("--ocr", choices=["auto", "off"], default="auto",
                     help="read scanned pages with Tesseract when installed (default auto)")
    ing.add_argument("--ocr-language", default="eng", metavar="LANG",
                     help="Tesseract language(s), e.g. eng+deu (default eng)")
    ing.add_argument("--workers", type=at_least_one, metavar="N",
                     help="extraction processes (default: one per core)")
    ing.add_argument("--file-timeout", type=positive_float, default=DEFAULT_TIMEOUT_S,
                     metavar="SECONDS", help="time limit per file (default %(default)g)")
    ing.add_argument("--force", action="store_true", help="read every file again")
    ing.add_argument("--retry-failed", action="store_true",
                     help="try again files that failed before, even if unchanged")
    ing.add_argument("--prune", action="store_true",
                     help="forget documents whose files were deleted (the files are never "
                     "touched)")
    ing.add_argument("--json", action="store_true", help="print the summary as JSON")
    ing.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    ing.add_argument("-v", "--verbose", action="store_true", help="a line per file read")

    docs = commands.add_parser("docs", help="list the documents in the library")
    docs.add_argument("--collection", metavar="NAME", help="only this collection")
    docs.add_argument("--status", choices=["ok", "warning", "failed", "missing"],
                      help="only documents with this status")
    docs.add_argument("--json", action="store_true", help="print JSON")

    cols = commands.add_parser("collections", help="list collections with their sizes")
    cols.add_argument("--json", action="store_true", help="print JSON")


# --- rlm ingest ---------------------------------------------------------------------------

def command_ingest(args: argparse.Namespace) -> int:
    passwords = list(args.password)
    if args.password_stdin:
        passwords += read_passwords(sys.stdin)
    options = IngestOptions(collection=args.collection, include=args.include,
                            exclude=args.exclude, follow_links=args.follow_links,
                            passwords=passwords, ocr=args.ocr, ocr_language=args.ocr_language,
                            workers=args.workers, timeout_s=args.file_timeout, force=args.force,
                            retry_failed=args.retry_failed, prune=args.prune)
    display = None if args.quiet else IngestDisplay(sys.stderr, bar=sys.stderr.isatty(),
                                                    show_files=args.verbose)
    try:
        with _sigterm_as_interrupt():
            report = ingest(args.paths, options, emit=display)
    except KeyboardInterrupt:
        print("\nrlm: ingest cancelled; every document read so far is stored, and the same "
              "command picks up where this one stopped", file=sys.stderr)
        raise
    if args.json:
        print(json_text(describe(report)))
    else:
        print_summary(report, sys.stdout)
    return EXIT_SOME_FAILED if report.failed else EXIT_OK


def read_passwords(stream: TextIO) -> list[str]:
    """Passwords for ``--password-stdin``: asked for without echo at a terminal, else one per
    line of the input (blank lines skipped). None at all is a usage error."""
    if stream.isatty():
        found = [getpass.getpass("Password for encrypted PDFs (not shown): ")]
    else:
        found = [line.rstrip("\r\n") for line in stream]
    found = [password for password in found if password]
    if not found:
        raise ConfigError("--password-stdin read no password: pipe them in one per line "
                          "(e.g. rlm ingest --password-stdin FOLDER < passwords.txt)")
    return found


def print_summary(report: IngestReport, stream: TextIO) -> None:
    out = _Printable(stream)
    out.write(f"collection {report.collection!r}: {len(report.ingested):,} ingested, "
              f"{len(report.updated):,} updated, {len(report.unchanged):,} unchanged, "
              f"{len(report.failed):,} failed ({report.pages:,} pages read in "
              f"{report.seconds:.1f} s)\n")
    warned = [d for d in report.ingested + report.updated if d.error]
    if warned:
        out.write(f"{len(warned):,} with warnings (all of them: rlm docs --status warning):\n")
        for doc in warned[:MAX_WARNINGS_SHOWN]:
            out.write(f"  {doc.path}: {doc.error}\n")
        if len(warned) > MAX_WARNINGS_SHOWN:
            out.write(f"  ... and {len(warned) - MAX_WARNINGS_SHOWN:,} more\n")
    for kept in report.kept:
        out.write(f"warning: {kept.path}: {kept.reason}\n")
    if report.failed:
        out.write("failed:\n")
        for failure in report.failed:
            again = " (unchanged since it failed before)" if failure.unchanged else ""
            out.write(f"  {failure.path}: {failure.reason}{again}\n")
    if report.missing:
        verb = "removed from the library" if report.pruned else \
            "missing (moved or deleted; `rlm ingest --prune` forgets them)"
        out.write(f"{len(report.missing):,} {verb}:\n")
        for path in report.missing:
            out.write(f"  {path}\n")
    if report.skipped:
        kinds = ", ".join(f"{name} ×{count}" for name, count in report.skipped.most_common())
        out.write(f"skipped {sum(report.skipped.values()):,} files not read ({kinds})\n")


class _Printable:
    """Writes whole lines to a stream with control characters, newlines inside included,
    shown as escapes: paths and reasons come from the files and must not forge a line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, line: str) -> None:
        self.stream.write(printable(line.removesuffix("\n"), keep_layout=False) + "\n")


# --- rlm docs / collections -----------------------------------------------------------------

def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _table(rows: list[list[str]], headers: list[str], flexible: int) -> str:
    """A plain text table; column ``flexible`` shrinks to fit the terminal."""
    width = shutil.get_terminal_size((120, 24)).columns
    # Titles, names and reasons come from documents: escapes shown, never obeyed.
    rows = [[printable(cell, keep_layout=False) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    fixed = sum(w for i, w in enumerate(widths) if i != flexible) + 2 * (len(headers) - 1)
    widths[flexible] = max(12, min(widths[flexible], width - fixed))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in rows:
        cells = [_clip(cell, widths[i]).ljust(widths[i]) if i == flexible else
                 cell.rjust(widths[i]) if cell.replace(",", "").isdigit() else
                 cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def command_docs(args: argparse.Namespace) -> int:
    with Library() as library:
        docs = library.documents(collection=args.collection, status=args.status)
    if args.json:
        print(json_text([d.to_json() for d in docs], indent=1))
        return EXIT_OK
    if not docs:
        print("no documents" + (f" in collection {args.collection!r}" if args.collection else "")
              + "; add some with: rlm ingest PATH")
        return EXIT_OK
    # Sizes in pages, as every screen gives them; tokens are in --json (the details view).
    headers = ["id", "title", "type", "pages", "status", "reason"]
    several = len({d.collection for d in docs}) > 1
    if several:
        headers.insert(1, "collection")
    rows = []
    for d in docs:
        title = _clip(printable(d.title, keep_layout=False), 48)
        row = [str(d.id), title, d.type, f"{d.pages:,}", d.status, d.error or ""]
        if several:
            row.insert(1, d.collection)
        rows.append(row)
    print(_table(rows, headers, flexible=len(headers) - 1))
    return EXIT_OK


def command_collections(args: argparse.Namespace) -> int:
    with Library() as library:
        collections = library.collections()
    if args.json:
        print(json_text(collections, indent=1))
        return EXIT_OK
    if not collections:
        print("no collections yet; add files with: rlm ingest PATH --collection NAME")
        return EXIT_OK
    rows = [[c["name"], f"{c['documents']:,}", f"{c['readable']:,}", f"{c['failed']:,}",
             f"{c['missing']:,}", f"{c['pages']:,}"] for c in collections]
    print(_table(rows, ["name", "documents", "readable", "failed", "missing", "pages"],
                 flexible=0))
    return EXIT_OK


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops an ingest as Ctrl-C does: workers killed, the store left consistent."""
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, OSError):   # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


HANDLERS = {"ingest": command_ingest, "docs": command_docs, "collections": command_collections}


# --- rlm ask --docs / --collection --------------------------------------------------------------

def sole_default_collection() -> str:
    """The collection ``rlm ask`` uses without --docs or --collection: "default" when it is the
    only one and has readable documents; else ConfigError listing what there is to choose."""
    from engine.store.db import store_path

    collections: list[dict[str, Any]] = []
    if store_path().exists():   # asking must not create an empty store
        with Library() as library:
            collections = library.collections()
    if (len(collections) == 1 and collections[0]["name"] == DEFAULT_COLLECTION
            and collections[0]["readable"] > 0):
        return DEFAULT_COLLECTION
    fix = "pass --docs PATH (files or folders) or --collection NAME"
    if not any(c["readable"] for c in collections):
        raise ConfigError(f"no documents to ask about: {fix}, or first add some with: "
                          "rlm ingest PATH")
    listed = ", ".join(f"{c['name']} ({c['readable']:,} readable document"
                       f"{'s' * (c['readable'] != 1)})" for c in collections)
    raise ConfigError(f"no documents chosen: {fix}; the collections are: {listed}")


def check_ask_sources(docs: list[str], collection: str | None) -> None:
    """Fail fast (before any reading) on a path that is not there or an unknown collection."""
    for raw in docs:
        if not os.path.exists(os.path.expanduser(raw)):
            raise ConfigError(f"{raw}: no such file or folder")
    if collection is not None and not docs:   # with --docs, the files start it
        with Library() as library:
            library.require_collection(collection)


def documents_for_ask(docs: list[str], collection: str | None,
                      stream: TextIO | None) -> CachedContext:
    """The context of a run: files named with --docs and/or a stored collection.

    ``--docs`` files are ingested first (into ``--collection`` when given, else the
    "default" collection), so a second question over them starts at once. With
    --collection the run covers that whole collection; without it, exactly the
    files named. Files that cannot be read are reported on ``stream`` and left out.
    """
    with Library() as library:
        chosen: dict[int, DocumentRecord] = {}
        if collection is not None and not docs:
            library.require_collection(collection)
        report: IngestReport | None = None
        if docs:
            # A line every few seconds while a big first ingest runs; nothing for a quick one.
            display = IngestDisplay(stream, bar=False, step=None) if stream is not None \
                else None
            report = ingest(docs, IngestOptions(collection=collection or DEFAULT_COLLECTION),
                            emit=_ask_events(display), library=library)
            if stream is not None:
                _ask_summary(report, stream)
        if collection is not None:
            for doc in library.documents(collection=collection):
                if doc.content_hash is not None and doc.status != FAILED:
                    chosen[doc.id] = doc
        if report is not None:
            for doc in report.selection:
                chosen.setdefault(doc.id, doc)
        if not chosen:
            raise ConfigError(_nothing_readable(report, collection, docs))
        ordered = sorted(chosen.values(), key=lambda d: (d.path, d.id)) if collection \
            else list(chosen.values())
        return prepare_context(library, ordered)


def _ask_events(display: IngestDisplay | None) -> Any:
    """Before a run, say only what goes wrong (failures, warnings), not every file."""
    from engine import events as ev

    def emit(event: ev.Event) -> None:
        if display is not None and isinstance(event, ev.FileFailed | ev.FileDone |
                                                      ev.FileMissing | ev.IngestProgress):
            display(event)

    return emit


def _ask_summary(report: IngestReport, stream: TextIO) -> None:
    read = len(report.ingested) + len(report.updated)
    parts = [f"{read} read now"] if read else []
    if report.unchanged:
        parts.append(f"{len(report.unchanged)} already in the library")
    if report.failed:
        parts.append(f"{len(report.failed)} could not be read")
    if report.kept:
        parts.append(f"{len(report.kept)} could not be read again (the text read before is "
                     "used)")
    stream.write(f"documents: {', '.join(parts) or 'none found'}\n")  # numbers only
    stream.flush()


def _nothing_readable(report: IngestReport | None, collection: str | None,
                      docs: list[str]) -> str:
    if report is not None and report.failed:
        reasons = "; ".join(f"{f.path}: {f.reason}" for f in report.failed[:5])
        more = f" and {len(report.failed) - 5} more" if len(report.failed) > 5 else ""
        return f"none of the documents could be read ({reasons}{more})"
    if collection is not None and not docs:
        return (f"collection {collection!r} has no readable documents; add some with: "
                f"rlm ingest PATH --collection {collection}")
    skipped = ""
    if report is not None and report.skipped:
        skipped = " (skipped: " + ", ".join(f"{k} ×{v}" for k, v in
                                            report.skipped.most_common(5)) + ")"
    return (f"no documents found in {', '.join(docs)}{skipped}; rlm reads {SUPPORTED_TEXT} "
            "files")
