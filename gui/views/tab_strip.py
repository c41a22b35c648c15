"""The stream tabs' strip: titles that tell tabs apart, a list of all tabs, keys and mouse.

Why: with a few streams the strip overflowed into arrows and titles looked alike ("GET /
(0)" twice); a reopened capture looked like its live tab. Titles say method, host and path
(full URL in the tooltip), a reopened capture is marked, a drop-down lists every tab, the
middle button and Ctrl+W close one, Ctrl+Tab / Ctrl+Shift+Tab go to the next / previous.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QMenu, QTabWidget, QToolButton, QWidget

#: A path longer than this is shortened in the middle (the tooltip has it whole).
PATH_CHARS = 32
CAPTURE_MARK = "capture · "  # plain text: an emoji may have no glyph


def tab_title(method: str, url: str, *, capture: bool = False) -> str:
    """``GET 127.0.0.1:8000/events``: method, host and path (no query); captures marked."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # never user info
    path = parts.path or "/"
    if len(path) > PATH_CHARS:
        keep = PATH_CHARS - 1
        path = path[: keep // 2] + "…" + path[-(keep - keep // 2):]
    if not host:  # "capture:NAME" and other non-URLs
        return f"{CAPTURE_MARK if capture else ''}{url[:PATH_CHARS]}"
    return f"{CAPTURE_MARK if capture else ''}{method} {host}{path}"


#: A query shown to tell tabs apart is shortened in the middle past this many characters.
QUERY_CHARS = 24


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: keep // 2] + "…" + text[-(keep - keep // 2):]


def tags(tabs: list[tuple[str, str]]) -> list[str]:
    """For tabs given as (title without figures, URL), in the order they were opened: what
    tells each apart from the tabs of the same title (issue 23.17): "" for a title of its
    own; its query when no other tab of that title has it (``?size=1000``); else a number
    in opening order (``#2``)."""
    groups: dict[str, list[int]] = {}
    for i, (title, _url) in enumerate(tabs):
        groups.setdefault(title, []).append(i)
    out = [""] * len(tabs)
    for members in groups.values():
        if len(members) < 2:
            continue
        queries = [urlsplit(tabs[i][1]).query for i in members]
        for number, (i, query) in enumerate(zip(members, queries, strict=True), 1):
            unique = bool(query) and queries.count(query) == 1
            out[i] = f"?{_short(query, QUERY_CHARS)}" if unique else f"#{number}"
    return out


class TabStrip(QObject):
    """Adds the tab list, the close/switch shortcuts and middle-click close to ``tabs``.

    ``close(index)`` is the window's way to close a tab (it stops its stream).
    """

    def __init__(self, tabs: QTabWidget, window: QWidget, close: Callable[[int], None]) -> None:
        super().__init__(window)
        self.tabs = tabs
        self._close = close
        self.list_button = QToolButton(tabs)
        self.list_button.setObjectName("tabList")
        self.list_button.setText("▾")
        self.list_button.setToolTip("All tabs")
        self.list_button.setAutoRaise(True)
        self.list_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.list_button)
        self.menu.aboutToShow.connect(self.fill_menu)
        self.list_button.setMenu(self.menu)
        tabs.setCornerWidget(self.list_button, Qt.Corner.TopRightCorner)
        tabs.tabBar().installEventFilter(self)

        self.close_action = self._shortcut(window, "&Close tab", ["Ctrl+W"],
                                           lambda: self._close(self.tabs.currentIndex()))
        self.next_action = self._shortcut(window, "&Next tab", ["Ctrl+Tab", "Ctrl+PgDown"],
                                          lambda: self.step(1))
        self.previous_action = self._shortcut(window, "&Previous tab",
                                              ["Ctrl+Shift+Tab", "Ctrl+PgUp"],
                                              lambda: self.step(-1))

    def _shortcut(self, window: QWidget, text: str, keys: list[str],
                  slot: Callable[[], None]) -> QAction:
        action = QAction(text, window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        window.addAction(action)
        return action

    def actions(self) -> list[QAction]:
        return [self.close_action, self.next_action, self.previous_action]

    def step(self, by: int) -> None:
        n = self.tabs.count()
        if n > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + by) % n)

    def fill_menu(self) -> None:
        self.menu.clear()
        for i in range(self.tabs.count()):
            action = self.menu.addAction(self.tabs.tabIcon(i), self.tabs.tabText(i))
            action.setToolTip(self.tabs.tabToolTip(i))
            action.setCheckable(True)
            action.setChecked(i == self.tabs.currentIndex())
            action.triggered.connect(lambda _c=False, k=i: self.tabs.setCurrentIndex(k))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.MiddleButton):
            index = self.tabs.tabBar().tabAt(event.position().toPoint())
            if index >= 0:
                self._close(index)
                return True
        return super().eventFilter(watched, event)
