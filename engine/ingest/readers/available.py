"""Which document readers this installation has, and the library each needs (for ``rlm info``)."""

from __future__ import annotations

import importlib.util
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from engine.ingest.formats import FORMATS

# Format kind -> (module to find, distribution whose version is shown). Kinds not listed
# read with the standard library alone.
NEEDS: dict[str, tuple[str, str]] = {
    "pdf": ("pymupdf", "PyMuPDF"),
    "word": ("docx", "python-docx"),
    "legacy_word": ("olefile", "olefile"),
    "odt": ("lxml", "lxml"),
}


def reader_status() -> list[dict[str, Any]]:
    """One entry per advertised format: its label, suffixes, what it needs and whether it is
    there (found without importing it)."""
    out = []
    for fmt in FORMATS:
        if not fmt.label:
            continue
        module, dist = NEEDS.get(fmt.kind, ("", ""))
        entry: dict[str, Any] = {"format": fmt.label, "suffixes": sorted(fmt.suffixes),
                                 "needs": dist or "standard library", "available": True}
        if module:
            entry["available"] = importlib.util.find_spec(module) is not None
            try:
                entry["version"] = version(dist)
            except PackageNotFoundError:
                entry["version"] = None
        out.append(entry)
    return out


def describe_readers(readers: list[dict[str, Any]]) -> str:
    """``rlm info``'s line: each format with its library, and what is missing."""
    parts = []
    for r in readers:
        if not r["available"]:
            parts.append(f"{r['format']} (MISSING: install {r['needs']})")
        elif r.get("version"):
            parts.append(f"{r['format']} ({r['needs']} {r['version']})")
        else:
            parts.append(r["format"])
    return ", ".join(parts)
