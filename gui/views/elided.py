"""Texts and pages that never widen (or heighten) the window: one line elided, a few lines
that scroll, a page that scrolls.

Why: a label's minimum width is its text's, so one long value from a server (an LLM's usage
line, a model name, an error message) raised the whole window's minimum above 1024x640 and
the window grew by itself (issue 23.7); so did a sub-view whose parts, stacked, were taller
than a 640 px window leaves it. ``ElidedLabel`` is one line that shows what fits with "…"
and the whole text in its tooltip; ``WrappedText`` wraps and scrolls past a few lines;
``scrolling`` puts a page in a scroll area that scrolls only when the window is small.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget

from gui.services.tooltips import plain_tip

__all__ = ["ElidedLabel", "WrappedText", "scrolling"]


class ElidedLabel(QLabel):
    """A one-line plain-text label as narrow as ``min_chars`` characters: what does not fit
    is elided, the whole text is in the tooltip. ``text()`` gives the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, min_chars: int = 8,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
        super().__init__(parent)
        self._full = ""
        self._min_chars = min_chars
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def text(self) -> str:  # the whole text, not what is shown
        return self._full

    def shown(self) -> str:
        """What the label shows now (elided or whole)."""
        return super().text()

    def setText(self, text: str) -> None:
        if text != self._full:
            self._full = text
            self._fit()
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        extra = margins.left() + margins.right() + 2 * self.margin()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + extra + 2,
                     super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        width = self.fontMetrics().averageCharWidth() * self._min_chars
        return QSize(min(width, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.contentsRect().width() - 2 * self.margin()
        full = self._full
        shown = self.fontMetrics().elidedText(full, self._mode, width) if width > 0 else full
        if shown != super().text():
            super().setText(shown)
        tip = plain_tip(full) if shown != full else ""
        if self.toolTip() != tip:
            self.setToolTip(tip)


class WrappedText(QScrollArea):
    """A word-wrapped label that takes up to ``lines`` lines and scrolls past them (at least
    one line tall): a long message stays whole without making its window taller."""

    def __init__(self, parent: QWidget | None = None, *, lines: int = 3) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.label)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setAutoFillBackground(False)
        self.label.setAutoFillBackground(False)
        self._lines = lines
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def _line(self) -> int:
        return self.label.fontMetrics().lineSpacing()

    def sizeHint(self) -> QSize:
        width = max(self.viewport().width(), 200)
        height = self.label.heightForWidth(width)
        height = min(max(height, self._line()), self._lines * self._line() + 4)
        return QSize(super().sizeHint().width(), height + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self._line() + 4 + 2 * self.frameWidth())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # the height it wants depends on the width

    def setText(self, text: str) -> None:
        self.label.setText(text)
        self.updateGeometry()

    def text(self) -> str:
        return self.label.text()


def scrolling(page: QWidget, parent: QWidget) -> QScrollArea:
    """``page`` in a frameless scroll area that gives it all the room there is and scrolls
    (down only) when there is less than it needs: its minimum is no longer the window's."""
    area = QScrollArea(parent)
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
