"""The window's keyboard: Ctrl+L and Ctrl+F, and the Help menu that lists every shortcut.

Why a module: the shortcuts are spread over the window, the editor, the tab strip and the
capture menus; the Help menu reads them back from the actions themselves, so the list cannot
drift from what the keys do. It plugs into the window through ``ShortcutsHost`` and never
imports the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

if TYPE_CHECKING:
    from gui.views.stream_tab import StreamTab
    from gui.window.request_editor import RequestEditor

#: Keys handled by widgets rather than window actions, listed in the Help menu as well.
WIDGET_KEYS = (
    ("Enter in the URL", "Send"),
    ("Esc in a find bar", "Close the find bar"),
    ("Tab / Shift+Tab", "Next / previous field (tables let go of Tab)"),
    ("Ctrl+C in a table", "Copy the row's data"),
)


class ShortcutsHost(Protocol):
    """What the keyboard shortcuts need of the window (the main window has all of it)."""

    @property
    def editor(self) -> RequestEditor: ...
    @property
    def request_menu(self) -> QMenu: ...
    @property
    def view_menu(self) -> QMenu: ...

    def current_tab(self) -> StreamTab | None: ...


def key_text(action: QAction) -> str:
    """``action``'s shortcuts as the Help menu lists them ("" for none)."""
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                     for k in action.shortcuts() if not k.isEmpty())


def shortcut_list(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every window action with a shortcut, then widget keys."""
    seen: set[str] = set()
    out = []
    for action in window.findChildren(QAction):
        keys = key_text(action)
        text = action.text().replace("&", "").rstrip("…").strip()
        if keys and text and keys not in seen:
            seen.add(keys)
            out.append((keys, text))
    out.sort(key=lambda kv: kv[1].lower())
    return out + [(keys, text) for keys, text in WIDGET_KEYS]


class Shortcuts(QObject):
    """Ctrl+L (go to the URL), Ctrl+F (find in the view) and the Help menu (its shortcut
    list built when opened, when every action is there)."""

    def __init__(self, window: QMainWindow, host: ShortcutsHost) -> None:
        """``window`` holds the actions and the Help menu; ``host`` (the same window) gives
        the editor, the menus and the current tab."""
        super().__init__(window)
        self.window = window
        self.host = host
        self.focus_url_action = self._action("Go to the &URL", "Ctrl+L", self.focus_url)
        self.find_action = self._action("&Find in the view", "Ctrl+F", self.find)
        host.request_menu.insertAction(host.request_menu.actions()[0], self.focus_url_action)
        host.view_menu.addAction(self.find_action)
        self.help_menu = window.menuBar().addMenu("&Help")
        self.menu = self.help_menu.addMenu("&Keyboard shortcuts")
        self.menu.aboutToShow.connect(self.fill)
        # Also filled once the window shows (gui.window.warmup), for menus that never announce
        # that they open (a global menu bar may not).

    def _action(self, text: str, key: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def focus_url(self) -> None:
        url = self.host.editor.url
        url.setFocus(Qt.FocusReason.ShortcutFocusReason)
        url.selectAll()

    def find(self) -> None:
        tab = self.host.current_tab()
        if tab is None:
            self.window.statusBar().showMessage("Nothing to find in: send a request first.",
                                                4000)
            return
        tab.find_text()

    def fill(self) -> None:
        """(Re)build the Help menu's list from the window's actions."""
        self.menu.clear()
        for keys, text in shortcut_list(self.window):
            item = self.menu.addAction(f"{text}\t{keys}")  # the tab puts keys in the column
            item.setEnabled(False)


__all__ = ["WIDGET_KEYS", "Shortcuts", "ShortcutsHost", "key_text", "shortcut_list"]
