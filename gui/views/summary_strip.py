"""The top of a stream tab: the summary strip (the figures a user glances at) and the error
banner (a failure said in the tab, no modal box).

Why a module: the stream tab composes these with its sub-views; they are plain widgets that
the tab sets, knowing nothing of the stream.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QWidget

from gui.views.elided import WrappedText

__all__ = ["SUMMARY_FIELDS", "ErrorBanner", "SummaryStrip"]

SUMMARY_FIELDS = (
    ("status", "Status"), ("version", "HTTP"), ("mode", "Mode"), ("state", "State"),
    ("ttfb", "First byte"), ("first_event", "First event"), ("elapsed", "Elapsed"),
    ("bytes", "Bytes"), ("chunks", "Chunks"), ("events", "Events"), ("rate", "Rate"),
)


class SummaryStrip(QFrame):
    """Name/value pairs in one row: the numbers a user glances at while a stream runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryStrip")
        self.values: dict[str, QLabel] = {}
        self._pairs: list[tuple[QLabel, QLabel]] = []
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(8, 4, 8, 4)
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(0)
        for key, title in SUMMARY_FIELDS:
            name = QLabel(title, self)
            name.setProperty("class", "summaryName")
            value = QLabel("—", self)
            value.setProperty("class", "summaryValue")
            value.setObjectName(f"summary_{key}")
            value.setTextFormat(Qt.TextFormat.PlainText)  # the reason phrase is the server's
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            self._pairs.append((name, value))
        self.rows = 0
        self._place(1)

    def _place(self, rows: int) -> None:
        """Lay the pairs out on ``rows`` lines (two when one does not fit the width)."""
        if rows == self.rows:
            return
        self.rows = rows
        per_row = -(-len(self._pairs) // rows)
        for i, (name, value) in enumerate(self._pairs):
            line, col = divmod(i, per_row)
            self.grid.addWidget(name, 2 * line, col)
            self.grid.addWidget(value, 2 * line + 1, col)
        for col in range(len(self._pairs) + 1):
            self.grid.setColumnStretch(col, 1 if col == per_row else 0)

    def one_row_width(self) -> int:
        m = self.grid.contentsMargins()
        widths = [max(n.sizeHint().width(), v.sizeHint().width()) for n, v in self._pairs]
        return sum(widths) + self.grid.horizontalSpacing() * (len(widths) - 1) + m.left() \
            + m.right()

    def fit(self, width: int | None = None) -> None:
        self._place(1 if self.one_row_width() <= (width or self.width()) else 2)

    def minimumSizeHint(self) -> QSize:
        """As narrow as two lines allow: the strip wraps rather than widen the window."""
        hint = super().minimumSizeHint()
        m = self.grid.contentsMargins()
        half = -(-len(self._pairs) // 2)
        widths = [max(n.sizeHint().width(), v.sizeHint().width()) for n, v in self._pairs]
        two = max(sum(widths[:half]), sum(widths[half:])) + self.grid.horizontalSpacing() * (
            half - 1) + m.left() + m.right()
        return QSize(min(hint.width(), two), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.fit(event.size().width())
        super().resizeEvent(event)

    def set(self, key: str, text: str, color: str | None = None) -> None:
        label = self.values[key]
        style = f"color: {color};" if color else ""
        if label.text() != text:
            label.setText(text)
            if self.rows == 1 and self.isVisible():
                self.fit()
        if label.styleSheet() != style:  # a set re-polishes the label, even if the same
            label.setStyleSheet(style)


class ErrorBanner(QFrame):
    """The in-tab error message: no modal box, the rows above it stay."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        # Up to three lines, then it scrolls: a long message never makes the window taller.
        self.label = WrappedText(self, lines=3)
        self.label.setObjectName("errorText")
        self.label.label.setTextFormat(Qt.TextFormat.RichText)  # show_error escapes it
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label, 1)
        self.hide()

    def show_error(self, kind: str, message: str) -> None:
        self.label.setText(f"<b>Failed ({html.escape(kind)}):</b> {html.escape(message)}")
        self.show()
