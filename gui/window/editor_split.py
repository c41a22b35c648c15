"""The request editor above the stream tabs, sized with the window until the user moves it.

Why: the editor had a fixed 170 px, so its body and headers showed 3-5 lines in any window
(issue 23.15). It now takes 30 % of the height (``SHARE``), within ``LOW``-``HIGH`` px,
and the stream tabs the rest, until the user drags the handle (or a saved layout is
restored): then it is theirs.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget

__all__ = ["EditorSplitter"]

SHARE = 0.3
LOW, HIGH = 160, 320


class EditorSplitter(QSplitter):
    """Vertical: the editor (first) and the stream tabs (second, which take the rest)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.auto = True  # sized with the window (False once moved or restored)
        self.splitterMoved.connect(self._moved)

    def _moved(self, _pos: int, _index: int) -> None:
        self.auto = False

    def restoreState(self, state: QByteArray | bytes | bytearray | memoryview) -> bool:
        restored = super().restoreState(state)
        if restored:
            self.auto = False
        return restored

    def editor_height(self, total: int) -> int:
        return max(LOW, min(HIGH, round(total * SHARE)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.auto and self.count() == 2:
            total = sum(self.sizes())
            top = min(self.editor_height(event.size().height()), total)
            if self.sizes()[0] != top:
                self.setSizes([top, total - top])
