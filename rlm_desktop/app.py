"""``rlm-desktop``: start the window and its engine worker (``--version`` needs no Qt at all)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("--version", "-V"):
        from engine import __version__
        print(f"rlm-desktop {__version__}")
        return 0
    if args and args[0] in ("--help", "-h"):
        print("usage: rlm-desktop [--version]\n\nOpens the RLM Desktop window. The same "
              "engine is available on the command line as `rlm`.")
        return 0
    from rlm_desktop.preflight import problem

    message = problem()
    if message:
        print(message, file=sys.stderr)
        return 1
    return _run_gui(args)


def _run_gui(args: list[str]) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    import engine
    from rlm_desktop.garbage import GarbageCollector
    from rlm_desktop.widgets.icons import app_icon
    from rlm_desktop.window.main_window import MainWindow
    from rlm_desktop.worker_client import WorkerClient

    # Crisp on fractional scale factors (125%, 150%) instead of rounding to whole pixels.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([sys.argv[0], *args])
    app.setApplicationName("RLM Desktop")
    app.setApplicationDisplayName("RLM Desktop")
    app.setOrganizationName("rlm-desktop")
    app.setApplicationVersion(engine.__version__)
    app.setDesktopFileName("rlm-desktop")
    app.setWindowIcon(app_icon())
    GarbageCollector(app)   # automatic collection could free Qt objects inside a destructor

    client = WorkerClient(app)
    window = MainWindow(client)
    app.aboutToQuit.connect(client.stop)
    window.show()
    client.start()
    code = app.exec()
    client.wait_stopped()      # the window is gone; let the engine finish its shutdown
    return int(code)
