"""Help > See a demo: the analysis recorded over the app's sample documents, shown without a model.

The worker adds the documents in ``resources/demo/documents`` to a "Demo" collection and
sends the recorded run (``resources/demo/run.jsonl``) with the library's document ids; the
answer then shows in the Ask panel with its checked citations (a click opens the page in the
Source tab, the quote highlighted), and every step in the run panel. No model, key or network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlm_desktop.advice import in_app
from rlm_desktop.ask.panel import AskPanel
from rlm_desktop.library.panel import LibraryPanel
from rlm_desktop.replies import DemoReplay, RunEvents, SavedSettings
from rlm_desktop.widgets.icons import RESOURCES
from rlm_desktop.window.banner import Banner, BannerAction
from rlm_desktop.worker_client import WorkerClient

DEMO_FOLDER = RESOURCES / "demo"
ACTION_TEXT = "See a demo"
RUN_KIND = "Demo, recorded earlier"
ACTION_TIP = ("See a question answered earlier about three sample documents, with every step "
              "and checked sources; no AI model or key is needed")
NOTE = ("Demo: this question was answered earlier about three sample documents (a lease, an "
        "amendment and a letter) and is replayed here; no AI model was asked just now.")
SEEN = ("This is a demo, recorded earlier. Click a numbered source in the answer to see the "
        "page it quotes, highlighted. Set up a model to ask your own questions.")
SEEN_WITH_MODEL = ("This is a demo, recorded earlier. Click a numbered source in the answer "
                   "to see the page it quotes, highlighted. To ask your own questions, choose "
                   "your documents in the library.")


@dataclass
class Demo:
    """Opens the demo for the main window; the window hands in its panels and callbacks."""

    client: WorkerClient
    ask_panel: AskPanel
    library: LibraryPanel
    banner: Banner
    replay: Callable[[RunEvents, str], None]         # shows a recorded run in the run panel
    remember: Callable[[int, str, str], None]        # a document's id, title and path
    status: Callable[[str], None]                    # a passing note in the status bar
    setup: BannerAction                              # "Set up a model"
    folder: Path = DEMO_FOLDER
    last_message: str = ""
    shown: int = 0                                   # how many times the demo was shown

    def open(self) -> None:
        """Ask the worker for the demo; it shows when the reply comes."""
        if self.ask_panel.running:
            self._problem("The demo was not opened: a question is running. Open it when the "
                          "question has finished, or stop it first.")
            return
        events: list[dict[str, Any]] = []
        self.status("Opening the demo…")
        self.client.request("open_demo", {"folder": str(self.folder)},
                            on_event=events.append,
                            on_done=lambda reply: self._opened(reply, events))

    def _opened(self, reply: dict[str, Any], events: list[dict[str, Any]]) -> None:
        if not reply.get("ok"):
            self._problem("The demo could not be opened: "
                          + in_app(str(reply.get("error") or "")))
            return
        demo = DemoReplay.from_json(reply.get("result"))
        if not self.ask_panel.show_recorded(demo.run, events, NOTE):
            self._problem("The demo was not shown: a question started while it was being "
                          "opened. Open it again when the question has finished.")
            return
        for doc in demo.documents:
            self.remember(doc.id, doc.title, doc.path)
        self.library.show_collection(demo.collection)
        self.replay(RunEvents(run=demo.run, events=events), RUN_KIND)
        self.shown += 1
        self.status("")
        self.client.request("settings_get", {}, on_done=self._explain)

    def _explain(self, reply: dict[str, Any]) -> None:
        """Say it is a demo and what to do next (set up a model, unless one is set up)."""
        has_model = bool(reply.get("ok")) and bool(
            SavedSettings.from_json(reply.get("result")).root_model)
        self.last_message = SEEN_WITH_MODEL if has_model else SEEN
        self.banner.show_message(self.last_message, "info",
                                 None if has_model else self.setup)

    def _problem(self, text: str) -> None:
        self.last_message = text
        self.status(text)
        self.banner.show_message(text, "warning")
