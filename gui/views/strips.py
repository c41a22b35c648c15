"""Strips: lines under a stream tab's summary that stay in sight whichever sub-view is in
front (``StreamTab.add_strip``).

Why a seam of its own: what a request was sent *for* (its expectations passing and failing)
or *with* (the responses its request references read, a request run first) belongs to the
whole tab, not to one sub-tab. The window adds a strip to a tab it starts; the tab lays the
strips out under the summary, in the order added, and refreshes them with itself (on the
controller's throttled updates, skipped while the tab is hidden, and a last time when the
stream ends), so a strip connects to no signal of its own.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["NoteStrip", "Strip"]


class Strip(Protocol):
    """A widget under a stream tab's summary."""

    def refresh(self, final: bool = False) -> None:
        """Bring the strip up to date (``final``: the stream has ended)."""
        ...


class NoteStrip(QLabel):
    """A line of plain text that stays (what a request read from another one's response)."""

    def __init__(self, text: str, parent: QWidget | None = None, *,
                 color: str = "#2b6cb0") -> None:
        super().__init__(text, parent)
        self.setObjectName("noteStrip")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(f"color: {color}; padding: 0px 8px;")

    def refresh(self, final: bool = False) -> None:
        """Nothing to update: the text is set by whoever added the strip."""
