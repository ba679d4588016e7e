"""Read plain-text files and folders for ``--docs`` (PDF and Word arrive with the ingest issue)."""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import ConfigError
from engine.rlm.context import Page, SourceDocument

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text", ".csv", ".tsv", ".log", ".json"}


def decode_text(data: bytes) -> str:
    """Decode as UTF-8 (BOM or not), UTF-16 by its BOM, else Windows-1252; never fails."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_text_document(path: Path, doc_id: int) -> SourceDocument:
    """One document; form feeds (``\\f``) separate pages when the file has them."""
    text = decode_text(path.read_bytes()).replace("\r\n", "\n")
    chunks = text.split("\f") if "\f" in text else [text]
    pages = [Page(number=i, text=chunk) for i, chunk in enumerate(chunks, start=1)]
    return SourceDocument(id=doc_id, title=path.name, path=str(path), type="text", pages=pages)


def _folder_files(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):  # followlinks=False: no symlink loops
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.startswith((".", "~$")) and path.suffix.lower() in TEXT_SUFFIXES:
                found.append(path)
    return found


def load_text_documents(paths: list[str | Path]) -> list[SourceDocument]:
    """Documents from files and folders; a folder contributes its text files, recursively."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files.extend(_folder_files(path))
        elif path.is_file():
            if path.suffix.lower() in {".pdf", ".docx", ".doc"}:
                raise ConfigError(
                    f"{path}: PDF and Word files need the document store, which is not built "
                    "yet; convert to plain text for now")
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such file or folder")
    if not files:
        raise ConfigError("no text documents found in " + ", ".join(map(str, paths)))
    docs = []
    for i, path in enumerate(files, start=1):
        try:
            docs.append(read_text_document(path, i))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return docs
