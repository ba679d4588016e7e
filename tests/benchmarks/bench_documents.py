"""Benchmark of the .doc, RTF and OpenDocument readers (run on demand, not in the test suite):
locations (paragraph-range pages) and characters per second, against olefile used raw (the
container opened and every stream read, which is all a library gives for .doc), and through
``rlm ingest`` (the worker pool, the store) into a fresh library.

    python -m tests.benchmarks.bench_documents               # ../shared/corpus's .doc files
    python -m tests.benchmarks.bench_documents --files DIR   # your own .doc/.rtf/.odt files
    python -m tests.benchmarks.bench_documents --repeat 3    # fastest of 3 runs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus"
SUFFIXES = {".doc", ".dot", ".rtf", ".odt", ".ott"}


def files_of(args: argparse.Namespace) -> list[Path]:
    if not args.files:
        return sorted((CORPUS / "word").rglob("*.doc"))
    found: list[Path] = []
    for raw in args.files:
        path = Path(raw)
        found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
                     if path.is_dir() else [path])
    return found


def olefile_raw(files: list[Path]) -> dict[str, Any]:
    import olefile

    started, read = time.perf_counter(), 0
    for path in files:
        try:
            with olefile.OleFileIO(str(path)) as ole:
                for entry in ole.listdir():
                    read += len(ole.openstream(entry).read())
        except Exception:
            continue
    return {"what": "olefile raw (open, read every stream)", "pages": 0, "chars": 0,
            "bytes": read, "failed": 0, "seconds": time.perf_counter() - started}


def readers(files: list[Path]) -> dict[str, Any]:
    from engine.ingest.formats import format_of, load
    from engine.ingest.model import ExtractionFailed, ExtractOptions, ReadRequest

    request = ReadRequest(ExtractOptions())
    started, pages, chars, failed = time.perf_counter(), 0, 0, 0
    for path in files:
        fmt = format_of(path)
        if fmt is None:
            continue
        try:
            doc = load(fmt.reader)(path, request)
        except ExtractionFailed:
            failed += 1
            continue
        pages += len(doc.pages)
        chars += doc.chars
    return {"what": "rlm's readers, one process", "pages": pages, "chars": chars,
            "failed": failed, "seconds": time.perf_counter() - started}


def ingest(files: list[Path]) -> dict[str, Any]:
    from engine.ingest.options import IngestOptions
    from engine.ingest.pipeline import ingest as run_ingest
    from engine.store.library import Library

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with Library(Path(folder) / "library.db") as library:
            report = run_ingest(files, IngestOptions(collection="bench", ocr="off"),
                                library=library)
            seconds = time.perf_counter() - started
            documents = library.documents("bench")
    return {"what": "rlm ingest (pool, store)", "pages": sum(d.pages for d in documents),
            "chars": sum(d.chars for d in documents), "failed": len(report.failed),
            "seconds": seconds}


def show(result: dict[str, Any], files: int) -> str:
    seconds = max(result["seconds"], 1e-9)
    rate = (f"{result['pages'] / seconds:8,.0f} pages/s  {result['chars'] / seconds / 1e6:6.2f} "
            "M chars/s" if result["pages"] else
            f"{result.get('bytes', 0) / seconds / 1e6:8,.1f} MB/s of streams")
    return (f"{result['what']:<40} {files} files  {result['pages']:6,} pages  "
            f"{result['failed']:4} failed  {seconds:7.2f} s  {rate}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", help="files or folders instead of the corpus")
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest of N runs")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    files = files_of(args)
    if not files:
        raise SystemExit(f"no .doc/.rtf/.odt files found (is the corpus at {CORPUS}?)")
    for phase in (olefile_raw, readers, ingest):
        runs = [phase(files) for _ in range(max(1, args.repeat))]
        print(show(min(runs, key=lambda r: r["seconds"]), len(files)))


if __name__ == "__main__":
    main()
