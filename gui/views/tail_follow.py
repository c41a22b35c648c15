"""Follow-the-tail for a growing table: keep the newest row in view until the user scrolls up.

Why not ``scrollToBottom`` after each insert: that fights a user reading older rows. The
view follows while its scroll bar sits at the bottom; scrolling up pauses, scrolling back
down (or ticking the box) resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView

if TYPE_CHECKING:
    from gui.stream.tables import PaintThrottle


class TailFollower(QObject):
    """Keeps ``view`` scrolled to the end while ``following``.

    Signals:
        followingChanged(bool): following paused (user scrolled up) or resumed.
    """

    followingChanged = Signal(bool)

    def __init__(self, view: QAbstractItemView, throttle: PaintThrottle | None = None) -> None:
        """``throttle``: the view's ``PaintThrottle``; while it holds the view's repaints the
        view stays where it is and goes to the end when they are released (a scroll under
        held repaints put together a picture of two positions: issue 23.10)."""
        super().__init__(view)
        self._view = view
        self._throttle = throttle
        self._following = True
        self._adjusting = False
        if throttle is not None:
            throttle.released.connect(self._released)
        self._pending: Callable[[], QModelIndex] | None = None  # see bring_into_view
        view.installEventFilter(self)
        bar = view.verticalScrollBar()
        bar.rangeChanged.connect(self._range_changed)
        bar.valueChanged.connect(self._value_changed)

    @property
    def following(self) -> bool:
        return self._following

    def set_following(self, on: bool) -> None:
        if on != self._following:
            self._following = on
            self.followingChanged.emit(on)
        if on:
            if self._throttle is not None and self._throttle.holding:
                self._throttle.flush()  # painted whole, at the end (``_released``)
            else:
                self._to_end()

    def bring_into_view(self, index: Callable[[], QModelIndex]) -> None:
        """Stop following and show the row ``index()`` gives, now or, for a view behind
        another sub-tab, when it shows: a hidden view has not laid its new rows out, so a
        scroll then landed anywhere and the highlighted row was off-screen (issue 23.14)."""
        self.set_following(False)
        self._pending = index
        if self._view.isVisible():
            self._scroll_pending()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and self._pending is not None:
            QTimer.singleShot(0, self._scroll_pending)  # once the view has laid out its rows
        return False

    def _scroll_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        index = pending()
        if index.isValid():
            self._view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _released(self) -> None:
        if self._following:
            self._to_end()

    def _to_end(self) -> None:
        bar = self._view.verticalScrollBar()
        self._adjusting = True
        try:
            bar.setValue(bar.maximum())
        finally:
            self._adjusting = False

    def _range_changed(self, _lo: int, _hi: int) -> None:
        if self._following and (self._throttle is None or not self._throttle.holding):
            self._to_end()

    def _value_changed(self, value: int) -> None:
        if self._adjusting:
            return
        at_end = value >= self._view.verticalScrollBar().maximum()
        if at_end != self._following:
            self._following = at_end
            self.followingChanged.emit(at_end)
