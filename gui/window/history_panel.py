"""The History list: every sent request with its status and time, searchable.

Entries of the demo server are stored relative to it (``HistoryEntry.demo``) and shown and
refilled on the current demo server, whose port changes from one run to the next. The
settings file keeps no secret (``gui.services.settings``): an entry of an earlier run says
that its secrets (``***``) must be typed again before it is resent.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from gui.services.settings import HistoryEntry

ROLE = Qt.ItemDataRole.UserRole


def when_text(when: float, now: float | None = None) -> str:
    """"14:03:21" today, "3 Dec 14:03" another day, "" when unknown."""
    if not when:
        return ""
    stamp = datetime.fromtimestamp(when)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    return stamp.strftime("%H:%M:%S") if stamp.date() == today else stamp.strftime("%d %b %H:%M")


def label(entry: HistoryEntry) -> str:
    """Two lines: the request, then what came of it (status, when, mode), and whether its
    secrets were kept (an earlier run's entry has ``***`` in their place, to type again)."""
    facts = [str(entry.status) if entry.status is not None else "no response",
             when_text(entry.when)]
    if entry.mode != "auto":
        facts.append(entry.mode)
    if entry.masked:
        facts.append("secrets not kept")
    return f"{entry.method}  {entry.url}\n    " + " · ".join(f for f in facts if f)


class HistoryPanel(QWidget):
    """A search box over the list of sent requests.

    Signals:
        chosen(object): the ``HistoryEntry`` clicked, rebased on the current demo server.
    """

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search history (method, URL, status, body)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_search)
        self.list = QListWidget(self)
        self.list.setObjectName("historyList")
        self.list.setAlternatingRowColors(True)
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)

    def set_entries(self, entries: list[HistoryEntry], server_url: str | None) -> None:
        self.list.clear()
        for stored in entries:
            entry = stored.rebased(server_url)
            item = QListWidgetItem(label(entry), self.list)
            item.setData(ROLE, entry)
            tip = entry.body[:500] if entry.body else ""
            if entry.masked:
                tip = ("Its secrets were not kept (***): type them again before sending, or use"
                       " {{variables}} from an environment.\n" + tip)
            item.setToolTip(f"{entry.method} {entry.url}\n{tip}".strip())
        self.apply_search()

    def apply_search(self) -> None:
        words = self.search.text().lower().split()
        for i in range(self.list.count()):
            item = self.list.item(i)
            entry = item.data(ROLE)
            hay = f"{item.text()}\n{entry.body}".lower() if entry is not None else item.text()
            item.setHidden(not all(w in hay for w in words))

    def visible_entries(self) -> list[HistoryEntry]:
        return [self.list.item(i).data(ROLE) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def _clicked(self, item: QListWidgetItem) -> None:
        entry = item.data(ROLE)
        if isinstance(entry, HistoryEntry):
            self.chosen.emit(entry)
