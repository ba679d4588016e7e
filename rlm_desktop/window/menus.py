"""The main window's menus and keyboard shortcuts (one place to see every action)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QTabWidget, QWidget

from rlm_desktop.widgets.icons import icon
from rlm_desktop.window.demo import ACTION_TIP


class MenuHost(Protocol):
    """What the menus need of the main window (a protocol, so this module never imports it)."""

    library: Any
    ask_panel: Any
    side_tabs: QTabWidget
    run_panel_widget: QWidget
    history_panel_widget: QWidget
    details_action: QAction
    exports: Any            # WindowExports: its action is File > Export answer…

    def menuBar(self) -> QMenuBar: ...

    def close(self) -> bool: ...

    def open_settings(self) -> None: ...

    def open_saved_analysis(self) -> None: ...

    def open_setup(self) -> None: ...

    def open_demo(self) -> None: ...

    def show_engine_log(self) -> None: ...

    def restart_engine(self) -> None: ...

    def show_about(self) -> None: ...


@dataclass
class Menus:
    """The menu bar's menus by name, and the actions the window enables and triggers."""

    menus: dict[str, QMenu]
    settings_action: QAction
    restart_engine_action: QAction


def build_menus(window: MenuHost) -> Menus:
    """Create the menu bar of ``window`` and return its menus and the actions it needs."""
    bar = window.menuBar()
    library, ask = window.library, window.ask_panel

    def action(text: str, slot: object, shortcut: str | QKeySequence.StandardKey | None = None,
               icon_name: str | None = None) -> QAction:
        act = QAction(text, bar)
        if icon_name:
            act.setIcon(icon(icon_name))
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        return act

    file_menu = bar.addMenu("&File")
    for act in (library.add_files_action, library.add_folder_action):
        file_menu.addAction(act)
    file_menu.addSeparator()
    for act in (library.new_collection_action, library.delete_collection_action,
                library.rescan_action, library.prune_action, library.remove_action):
        file_menu.addAction(act)
    file_menu.addSeparator()
    file_menu.addAction(action("&Open a saved analysis…", window.open_saved_analysis,
                               "Ctrl+Alt+O", "history"))
    file_menu.addAction(window.exports.action)       # Export answer… (Ctrl+E)
    file_menu.addSeparator()
    settings_action = action("&Settings…", window.open_settings, "Ctrl+,", "settings")
    settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
    file_menu.addAction(settings_action)
    file_menu.addSeparator()
    quit_action = action("&Quit", window.close, QKeySequence.StandardKey.Quit)
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    file_menu.addAction(quit_action)

    ask_menu = bar.addMenu("&Ask")
    focus = action("&Type a question", lambda: ask.question.setFocus(), "Ctrl+L")
    ask_menu.addAction(focus)
    ask_menu.addAction(ask.new_action)
    # Ctrl+. stops from anywhere; Esc stops from the Ask panel and from the run panel (each
    # has its own Esc, so that the two never make the key ambiguous).
    ask_menu.addAction(ask.stop_action)

    view_menu = bar.addMenu("&View")
    view_menu.addAction(action("&Run panel", lambda: window.side_tabs.setCurrentWidget(
        window.run_panel_widget), "Ctrl+R", "run"))
    view_menu.addAction(action("&History", lambda: window.side_tabs.setCurrentWidget(
        window.history_panel_widget), "Ctrl+H", "history"))
    view_menu.addAction(action("&Library", lambda: library.table.setFocus(), "Ctrl+1",
                               "library"))
    view_menu.addSeparator()
    view_menu.addAction(window.details_action)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(action("Set up an AI &model…", window.open_setup))
    demo = action("See a &demo", window.open_demo)
    demo.setToolTip(ACTION_TIP)
    help_menu.addAction(demo)
    help_menu.addAction(action("Engine &log", window.show_engine_log))
    restart_engine_action = action("&Restart engine", window.restart_engine,
                                          icon_name="engine")
    help_menu.addAction(restart_engine_action)
    help_menu.addSeparator()
    about = action("&About RLM Desktop", window.show_about)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    help_menu.addAction(about)
    return Menus({"file": file_menu, "ask": ask_menu, "view": view_menu, "help": help_menu},
                 settings_action, restart_engine_action)
