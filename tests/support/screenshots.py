"""Render the README's screenshots of the main window: the demo a newcomer sees, then mid-run
and after an answer, from a scripted fake model and generated documents (nothing real is
touched: temporary folders, the in-memory keyring, offscreen Qt).

    python -m tests.support.screenshots resources/screenshots          # light palette
    python -m tests.support.screenshots resources/screenshots --dark
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_gui_stall import isolate, wait  # noqa: E402
from tests.support.review_shots import review_shots  # noqa: E402

DOCUMENTS = {
    "Lease agreement - Harbour Street.pdf": [
        "LEASE AGREEMENT between Northwind Holdings Ltd (Landlord) and Acme Analytics GmbH "
        "(Tenant) for the premises at 14 Harbour Street, second floor.",
        "2. RENT. The Tenant shall pay a monthly rent of EUR 12,400, payable in advance on the "
        "first business day of each month. 2.3 The rent is indexed annually to the consumer "
        "price index, capped at 3 per cent.",
        "7. TERMINATION. Either party may terminate this Lease with six (6) months' written "
        "notice to the end of a calendar quarter. 7.2 Early termination by the Tenant before "
        "31 December 2028 requires a break fee of three monthly rents.",
    ],
    "Board minutes 2026-03.pdf": [
        "MINUTES of the meeting of the Board of Directors of Acme Analytics GmbH, 12 March 2026.",
        "Item 4: The Board approved the relocation to Harbour Street and noted the break fee "
        "in clause 7.2 of the lease. The CFO reported that office costs rise by 18 per cent.",
    ],
    "Annual report 2025.pdf": [
        "ANNUAL REPORT 2025. Revenue grew to EUR 41.2 million (2024: 35.9 million).",
        "Outlook: the move to new premises in 2026 is expected to add EUR 0.4 million of "
        "one-off costs. Commitments under leases total EUR 2.9 million.",
        "Risks: concentration on three customers accounts for 46 per cent of revenue.",
    ],
}

QUESTION = "What does it cost us to leave the Harbour Street lease early, and did the board know?"

EXPLORE = '''I'll look at the documents that mention termination, notice or break fees first.

```repl
import re
hits = [(d["id"], d["title"]) for d in documents
        if re.search(r"terminat|break fee|notice", context[d["start"]:d["end"]], re.I)]
print(hits)
```'''

READ = '''Two documents matter. I'll have a sub-model read each page that mentions them.

```repl
pages = [(d["id"], p["page"], context[p["start"]:p["end"]]) for d in documents
         for p in d["pages"]
         if re.search(r"break fee|terminat|rent", context[p["start"]:p["end"]], re.I)]
notes = llm_query_batched([f"Quote exactly what this page says about ending the lease early, "
                           f"notice periods and fees:\\n{text}" for _, _, text in pages])
for (doc, page, _), note in zip(pages, notes):
    print(doc, page, note[:120])
```'''

ANSWER = '''```repl
lease = next(d["id"] for d in documents if d["title"].startswith("Lease"))
board = next(d["id"] for d in documents if d["title"].startswith("Board"))
answer = f"""**Leaving early costs three monthly rents: EUR 37,200** at today's rent.

- The lease allows termination with **six months' written notice** to the end of a calendar
  quarter {cite(lease, 3, "six (6) months' written notice")}.
- Before **31 December 2028** the tenant also owes a **break fee of three monthly rents**
  {cite(lease, 3, "break fee of three monthly rents")}; the rent is EUR 12,400 a month
  {cite(lease, 2, "monthly rent of EUR 12,400")}, indexed by at most 3 % a year.
- **Yes, the board knew:** the March 2026 minutes note the break fee in clause 7.2 when
  approving the move {cite(board, 2, "noted the break fee")}.
"""
FINAL(answer)
```'''

SUB_REPLIES = [
    "Clause 7: six months' written notice to the end of a calendar quarter; before 31 Dec 2028 "
    "a break fee of three monthly rents.",
    "Monthly rent EUR 12,400, indexed annually, capped at 3 per cent.",
    "The Board approved the relocation and noted the break fee in clause 7.2.",
    "No mention of early termination on this page.",
]


def make_documents(folder: Path) -> None:
    import pymupdf

    folder.mkdir(parents=True)
    for name, pages in DOCUMENTS.items():
        doc = pymupdf.open()
        for text in pages:
            page = doc.new_page()
            page.insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=11)
        doc.set_metadata({"title": name.removesuffix(".pdf")})
        doc.save(folder / name)
        doc.close()


def scripts() -> Any:
    from tests.support.fake_openai import Reply, by_model, sequence

    counter = iter(range(10_000))

    def sub(_request: Any) -> Reply:
        return Reply(content=SUB_REPLIES[next(counter) % len(SUB_REPLIES)], latency=1.2,
                     prompt_tokens=900, completion_tokens=60)

    root = sequence(Reply(content=EXPLORE, latency=0.6, prompt_tokens=2400, completion_tokens=90),
                    Reply(content=READ, latency=0.8, prompt_tokens=3100, completion_tokens=160),
                    Reply(content=ANSWER, latency=0.8, prompt_tokens=4200, completion_tokens=260))
    return by_model({"gpt-5": root, "gpt-5-mini": sub})


def dark_palette() -> Any:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, "#2b2d31"), (roles.WindowText, "#e6e6e6"),
                         (roles.Base, "#1f2023"), (roles.AlternateBase, "#2a2b2f"),
                         (roles.Text, "#e6e6e6"), (roles.Button, "#34363b"),
                         (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d7bd9"),
                         (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, "#34363b"),
                         (roles.ToolTipText, "#e6e6e6"), (roles.PlaceholderText, "#8a8d93"),
                         (roles.Link, "#79a6ff"), (roles.Mid, "#45474d"),
                         (roles.Midlight, "#3a3c41"), (roles.Dark, "#18191b"),
                         (roles.Light, "#5a5d63"), (roles.Shadow, "#0e0e10")):
        palette.setColor(role, QColor(colour))
    # Disabled controls greyed as a dark desktop theme greys them (setColor above sets every
    # group, so without this a disabled button would look enabled).
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#6f7278"))
    palette.setColor(disabled, roles.Button, QColor("#2f3135"))
    return palette


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--dark", action="store_true", help="use a dark palette")
    parser.add_argument("--size", default="1500x900", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="rlm-shots-"))
    isolate(tmp / "demo-home")      # the demo as a newcomer sees it: nothing set up yet

    from PySide6.QtWidgets import QApplication

    from engine.config import ModelSettings, Settings, config_dir, save_settings
    from rlm_desktop.window.main_window import MainWindow
    from rlm_desktop.worker_client import WorkerClient
    from tests.support.fake_openai import FakeOpenAI

    app = QApplication([])
    app.setStyle("Fusion")
    if args.dark:
        app.setPalette(dark_palette())
    suffix = "-dark" if args.dark else ""
    args.out.mkdir(parents=True, exist_ok=True)
    demo = demo_shots(app, args.out, suffix, (width, height))
    isolate(tmp / "home")
    make_documents(tmp / "Acme data room")
    with FakeOpenAI(scripts(), models=["gpt-5", "gpt-5-mini"]) as server:
        settings = Settings(root=ModelSettings(model="gpt-5", base_url=server.base_url),
                            sub=ModelSettings(model="gpt-5-mini", base_url=server.base_url))
        settings.limits.budget_usd = 0.25   # shows the budget bar
        save_settings(settings)
        # The fake server answers any model name; price them as the real ones would be.
        (config_dir() / "prices.json").write_text(
            '{"gpt-5": {"input": 1.25, "output": 10.0}, '
            '"gpt-5-mini": {"input": 0.25, "output": 2.0}}', encoding="utf-8")
        client = WorkerClient()
        window = MainWindow(client, offer_setup=False)
        window.resize(width, height)
        window.show()
        client.start()
        wait(app, lambda: client.state == "ready", 60)
        done: list[Any] = []
        window.library.ingest_finished.connect(done.append)
        window.library.add_paths([str(tmp / "Acme data room")])
        wait(app, lambda: bool(done) and window.library.document_count() == 3, 120)

        events: list[dict[str, Any]] = []
        finished: list[Any] = []
        window.ask_panel.run_event.connect(events.append)
        window.ask_panel.run_finished.connect(lambda *a: finished.append(a))
        window.ask_panel.ask(QUESTION)
        # Mid-run: the second step's sub-queries are out and the first answers are back.
        wait(app, lambda: sum(e.get("type") == "subcall_finished" for e in events) >= 2, 120)
        settle(app, 0.4)
        window.grab().save(str(args.out / f"main-window-mid-run{suffix}.png"))
        wait(app, lambda: bool(finished), 120)
        settle(app, 0.8)
        window.grab().save(str(args.out / f"main-window-answer{suffix}.png"))
        shots = [*demo, "main-window-mid-run", "main-window-answer",
                 *viewer_shots(app, window, tmp, args.out, suffix),
                 *review_shots(app, window, server, tmp, args.out, suffix)]
        client.stop()
        wait(app, lambda: client.state in ("stopped", "failed"), 15)
        window.close()
    print("wrote " + ", ".join(f"{args.out}/{name}{suffix}.png" for name in shots))


def demo_shots(app: Any, out: Path, suffix: str, size: tuple[int, int]) -> list[str]:
    """A first start without a model: the banner's "See a demo", then a citation clicked."""
    from PySide6.QtCore import QSettings, QUrl

    from engine.config import config_dir
    from rlm_desktop.window.main_window import MainWindow
    from rlm_desktop.worker_client import WorkerClient

    store = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    store.setValue("setup/skipped", True)     # the wizard was skipped once: the banner offers
    client = WorkerClient()
    window = MainWindow(client, settings=store)
    window.resize(*size)
    window.show()
    client.start()
    wait(app, lambda: window.banner.isVisible() and window.banner.other.isVisible(), 60)
    window.banner.other.click()
    wait(app, lambda: bool(window.demo.shown and window.demo.last_message)
         and window.library.document_count() == 3, 60)
    settle(app, 0.8)
    window.grab().save(str(out / f"demo{suffix}.png"))
    html = window.ask_panel.view.toHtml()
    start = html.index('href="cite:') + len('href="')
    window.ask_panel.view.anchorClicked.emit(QUrl(html[start:html.index('"', start)]))
    viewer = window.viewer
    wait(app, lambda: viewer.mode == "pdf" and "PDF p." in viewer.page_label.text(), 60)
    settle(app, 0.5)
    window.grab().save(str(out / f"demo-citation{suffix}.png"))
    client.stop()
    wait(app, lambda: client.state in ("stopped", "failed"), 15)
    window.close()
    return ["demo", "demo-citation"]


def viewer_shots(app: Any, window: Any, tmp: Path, out: Path, suffix: str) -> list[str]:
    """The source viewer: a citation clicked in the answer, then a file that has moved."""
    from PySide6.QtCore import QUrl

    html = window.ask_panel.view.toHtml()
    start = html.index('href="cite:') + len('href="')
    window.ask_panel.view.anchorClicked.emit(QUrl(html[start:html.index('"', start)]))
    viewer = window.viewer
    wait(app, lambda: viewer.mode == "pdf" and not viewer.canvas.sizeHint().isEmpty(), 60)
    settle(app, 0.5)
    window.grab().save(str(out / f"viewer-citation{suffix}.png"))
    report = next(row for row in window.library.model.documents()
                  if row.title.startswith("Annual"))
    Path(report.path).rename(tmp / "moved.pdf")
    window.show_source(report.id, 2, ["one-off costs"])
    wait(app, lambda: viewer.mode == "text" and viewer.doc is not None
         and viewer.doc.id == report.id, 60)
    settle(app, 0.3)
    window.grab().save(str(out / f"viewer-moved-file{suffix}.png"))
    return ["viewer-citation", "viewer-moved-file"]


def settle(app: Any, seconds: float) -> None:
    """Let queued panel updates and repaints happen before a grab."""
    until = time.monotonic() + seconds
    wait(app, lambda: time.monotonic() > until, seconds + 5)


if __name__ == "__main__":
    main()
