"""Reader benchmark for e-mail, Excel, PowerPoint and pictures (run on demand): locations
(pages, slides, messages) per second through our readers against the library used raw on
the same generated files.

    python -m tests.benchmarks.bench_formats              # every format, best of 3
    python -m tests.benchmarks.bench_formats --repeat 5 --scale 2

"Raw" is the least a program must do with the library to get the same text: openpyxl's
read-only rows joined as text, python-pptx's text frames, the ``email`` parser's body,
olefile's subject and body streams, PyMuPDF's page load. Our readers add headers, chunks
with repeated headers, tables, notes, attachments read as documents, and the checks
against crafted files. Pictures are timed without OCR (Tesseract dominates when present).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path

from engine.ingest.model import ExtractOptions, ReadRequest
from engine.ingest.readers.mail import read_email
from engine.ingest.readers.slides import read_pptx
from engine.ingest.readers.spreadsheet import read_xlsx
from tests.engine.ingest.officemakers import (
    make_eml,
    make_image,
    make_mbox,
    make_message,
    make_msg,
    make_pptx,
    make_xlsx,
)

REQUEST = ReadRequest(ExtractOptions(ocr="off"))


def build(folder: Path, scale: int) -> dict[str, list[Path]]:
    rows: list[list[object]] = [["Name", "Date", "Amount", "Party", "Notes", "Code"]]
    rows += [[f"item {i}", f"2026-01-{i % 28 + 1:02d}", i * 1.5, f"party {i % 97}",
              "some words of a note " * 2, f"C{i:06d}"] for i in range(20_000 * scale)]
    sheet = make_xlsx(folder / "big.xlsx", {"Data": rows})
    slides = [{"title": f"Slide {i}", "text": [f"Point {i}.1", f"Point {i}.2"],
               "table": [["k", "v"], [str(i), "x"]], "notes": f"Notes for {i}"}
              for i in range(200 * scale)]
    deck = make_pptx(folder / "deck.pptx", slides)
    messages = [make_message(f"Message {i}", f"Body of message {i}.\n" * 20,
                             attachments=[("note.txt", f"attached {i}".encode())])
                for i in range(300 * scale)]
    emls = [make_eml(folder / f"m{i}.eml", m) for i, m in enumerate(messages)]
    box = make_mbox(folder / "box.mbox", messages)
    msgs = [make_msg(folder / f"o{i}.msg", f"Outlook {i}", f"Body {i}\n" * 20,
                     attachments=[("n.txt", b"attached")]) for i in range(300 * scale)]
    pictures = [make_image(folder / f"p{i}.png", [f"PICTURE {i}"]) for i in range(50 * scale)]
    return {"xlsx": [sheet], "pptx": [deck], "eml": emls, "mbox": [box], "msg": msgs,
            "png": pictures}


def ours(kind: str, path: Path) -> int:
    """Locations our reader gives (pages; for e-mail, documents: messages and attachments)."""
    if kind == "xlsx":
        return len(read_xlsx(path, REQUEST).pages)
    if kind == "pptx":
        return len(read_pptx(path, REQUEST).pages)
    if kind == "png":
        from engine.ingest.readers.images import read_image

        return len(read_image(path, REQUEST).pages)
    doc = read_email(path, REQUEST)
    return 1 + len(doc.parts)


def raw(kind: str, path: Path) -> None:
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                " | ".join("" if v is None else str(v) for v in row)
        book.close()
    elif kind == "pptx":
        import pptx

        for slide in pptx.Presentation(str(path)).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    shape.text_frame.text  # noqa: B018
    elif kind in ("eml", "mbox"):
        if kind == "mbox":
            import mailbox

            datas = [m.as_bytes() for m in mailbox.mbox(path)]
        else:
            datas = [path.read_bytes()]
        for data in datas:
            message = BytesParser(policy=policy.default).parsebytes(data)
            body = message.get_body(("plain", "html"))
            if body is not None:
                body.get_content()
    elif kind == "msg":
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            for name in ("__substg1.0_0037001F", "__substg1.0_1000001F"):
                ole.openstream(name).read().decode("utf-16-le")
    elif kind == "png":
        import pymupdf

        with pymupdf.open(path) as doc:
            for page in doc:
                page.rect  # noqa: B018


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = build(Path(folder), args.scale)
        print(f"{'format':<7}{'files':>6}{'locations':>11}{'ours/s':>10}{'raw/s':>10}"
              f"{'ours s':>9}{'raw s':>8}")
        for kind, paths in files.items():
            locations = sum(ours(kind, p) for p in paths)
            ours_s = best(lambda paths=paths, kind=kind: [ours(kind, p) for p in paths],
                          args.repeat)
            raw_s = best(lambda paths=paths, kind=kind: [raw(kind, p) for p in paths],
                         args.repeat)
            print(f"{kind:<7}{len(paths):>6}{locations:>11,}{locations / ours_s:>10,.0f}"
                  f"{locations / raw_s:>10,.0f}{ours_s:>9.2f}{raw_s:>8.2f}")


if __name__ == "__main__":
    main()
