"""The window's keyboard: Ctrl+L and Ctrl+F, and the Help menu that lists every shortcut.

Why a module: the shortcuts are spread over the window, the editor, the tab strip and the
capture menus; the Help menu reads them back from the actions themselves, so the list cannot
drift from what the keys do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from gui.window.main_window import MainWindow

#: Keys handled by widgets rather than window actions, listed in the Help menu as well.
WIDGET_KEYS = (
    ("Enter in the URL", "Send"),
    ("Esc in a find bar", "Close the find bar"),
    ("Tab / Shift+Tab", "Next / previous field (tables let go of Tab)"),
    ("Ctrl+C in a table", "Copy the row's data"),
)


def _action(window: MainWindow, text: str, key: str, slot: Callable[[], object]) -> QAction:
    action = QAction(text, window)
    action.setShortcut(QKeySequence(key))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)
    return action


def focus_url(window: MainWindow) -> None:
    window.editor.url.setFocus(Qt.FocusReason.ShortcutFocusReason)
    window.editor.url.selectAll()


def find(window: MainWindow) -> None:
    tab = window.current_tab()
    if tab is None:
        window.statusBar().showMessage("Nothing to find in: send a request first.", 4000)
        return
    tab.find_text()


def install(window: MainWindow) -> None:
    """Add Ctrl+L, Ctrl+F and the Help menu (built when opened: every action is there)."""
    window.focus_url_action = _action(window, "Go to the &URL", "Ctrl+L",
                                      lambda: focus_url(window))
    window.find_action = _action(window, "&Find in the view", "Ctrl+F", lambda: find(window))
    window.request_menu.insertAction(window.request_menu.actions()[0],
                                     window.focus_url_action)
    window.view_menu.addAction(window.find_action)
    window.help_menu = window.menuBar().addMenu("&Help")
    window.shortcuts_menu = window.help_menu.addMenu("&Keyboard shortcuts")
    window.shortcuts_menu.aboutToShow.connect(lambda: fill_shortcuts(window))
    # Also filled once the window shows (gui.window.warmup), for menus that never announce
    # that they open (a global menu bar may not).


def shortcut_list(window: MainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every window action with a shortcut, then widget keys."""
    seen: set[str] = set()
    out = []
    for action in window.findChildren(QAction):
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                         for k in action.shortcuts() if not k.isEmpty())
        text = action.text().replace("&", "").rstrip("…").strip()
        if keys and text and keys not in seen:
            seen.add(keys)
            out.append((keys, text))
    out.sort(key=lambda kv: kv[1].lower())
    return out + [(keys, text) for keys, text in WIDGET_KEYS]


def fill_shortcuts(window: MainWindow) -> None:
    menu = window.shortcuts_menu
    menu.clear()
    for keys, text in shortcut_list(window):
        item = menu.addAction(f"{text}\t{keys}")  # the tab puts keys in the shortcut column
        item.setEnabled(False)
