"""One request's tab: summary strip, error banner, progress bar and the four sub-tabs.

The tab is a view of its ``StreamController``: it refreshes labels on the controller's
throttled ``updated`` signal and never touches records one by one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.chunks_panel import ChunksPanel
from gui.controller import State, StreamController
from gui.events_panel import EventsPanel
from gui.headers_view import HeadersView
from gui.models import fmt_size
from gui.raw_view import RawView
from stream_core.spec import Mode

STATE_COLORS = {
    State.CONNECTING: "#b7791f", State.STREAMING: "#2b6cb0", State.RECONNECTING: "#c05621",
    State.DONE: "#2f855a", State.FAILED: "#c53030", State.STOPPED: "#4a5568",
}
SUMMARY_FIELDS = (
    ("status", "Status"), ("version", "HTTP"), ("mode", "Mode"), ("state", "State"),
    ("ttfb", "First byte"), ("first_event", "First event"), ("elapsed", "Elapsed"),
    ("bytes", "Bytes"), ("chunks", "Chunks"), ("events", "Events"), ("rate", "Rate"),
)


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


class SummaryStrip(QFrame):
    """Name/value pairs in one row: the numbers a user glances at while a stream runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryStrip")
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(0)
        for col, (key, title) in enumerate(SUMMARY_FIELDS):
            name = QLabel(title, self)
            name.setProperty("class", "summaryName")
            value = QLabel("—", self)
            value.setProperty("class", "summaryValue")
            value.setObjectName(f"summary_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, 0, col)
            grid.addWidget(value, 1, col)
            self.values[key] = value
        grid.setColumnStretch(len(SUMMARY_FIELDS), 1)

    def set(self, key: str, text: str, color: str | None = None) -> None:
        label = self.values[key]
        label.setText(text)
        label.setStyleSheet(f"color: {color};" if color else "")


class ErrorBanner(QFrame):
    """The in-tab error message: no modal box, the rows above it stay."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.label = QLabel(self)
        self.label.setObjectName("errorText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label, 1)
        self.hide()

    def show_error(self, kind: str, message: str) -> None:
        self.label.setText(f"<b>Failed ({kind}):</b> {message}")
        self.show()


class StreamTab(QWidget):
    """Everything about one stream."""

    def __init__(self, controller: StreamController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._raw_hex_chosen = False
        self.summary = SummaryStrip(self)
        self.banner = ErrorBanner(self)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("downloadProgress")
        self.progress.setFormat("%p%  (%v of %m KiB)")
        self.progress.setVisible(controller.spec.mode == Mode.DOWNLOAD)
        self.progress.setRange(0, 0)
        self.events = EventsPanel(controller.events, self)
        self.chunks = ChunksPanel(controller.chunks, self)
        self.raw = RawView(controller.raw, self)
        self.headers = HeadersView(self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.events, "Events")
        self.tabs.addTab(self.chunks, "Chunks")
        self.tabs.addTab(self.raw, "Raw")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addWidget(self.banner)
        layout.addWidget(self.progress)
        layout.addWidget(self.tabs, 1)

        self.events.eventSelected.connect(self._event_selected)
        self.chunks.chunkSelected.connect(self._chunk_selected)
        controller.updated.connect(self.refresh)
        controller.stateChanged.connect(lambda _s: self.refresh())
        controller.finished.connect(self._finished)
        self.refresh()

    # -- refresh -----------------------------------------------------------------------------
    def refresh(self) -> None:
        c = self.controller
        s = c.stats
        resp = c.response
        if resp is not None:
            color = "#2f855a" if resp.status < 400 else "#c53030"
            self.summary.set("status", f"{resp.status} {resp.reason}".strip(), color)
            self.summary.set("version", resp.http_version)
            self.summary.set("mode", resp.mode)
            self.raw.set_sse(resp.mode == "sse")
            if resp.mode == "download" and not self._raw_hex_chosen:
                self._raw_hex_chosen = True  # a binary file reads better as hex; the user may untick
                self.raw.hex.setChecked(True)
        else:
            self.summary.set("mode", c.spec.mode.value)
        self.summary.set("state", c.state.value, STATE_COLORS[c.state])
        self.summary.set("ttfb", fmt_ms(s.ttfb))
        self.summary.set("first_event", fmt_ms(s.first_event))
        self.summary.set("elapsed", fmt_ms(c.elapsed()))
        self.summary.set("bytes", fmt_size(s.bytes))
        self.summary.set("chunks", f"{s.chunks:,}")
        self.summary.set("events", f"{s.events:,}")
        rate = f"{fmt_size(int(s.rate))}/s"
        if s.event_rate and c.state.running:
            rate += f", {s.event_rate:,.0f} ev/s"
        self.summary.set("rate", rate if c.state.running else "—")
        if c.progress is not None and c.running:
            self.progress.show()
            total = c.progress.total
            if total:
                self.progress.setRange(0, max(1, total // 1024))
                self.progress.setValue(c.progress.bytes // 1024)
                speed = c.progress.rate or s.rate
                left = (total - c.progress.bytes) / speed if speed > 0 else None
                self.progress.setFormat(
                    f"%p%  ·  {fmt_size(c.progress.bytes)} of {fmt_size(total)}  ·  "
                    f"{fmt_size(int(speed))}/s" + (f"  ·  {left:.0f} s left" if left else ""))
            else:
                self.progress.setRange(0, 0)
        self.events.refresh_kinds()
        current = self.tabs.currentWidget()
        if current is self.raw:
            self.raw.refresh(final=not c.running)
        elif current is self.headers:
            self.headers.update_from(c.requests, c.responses)
        if c.error is not None and c.error.kind != "cancelled":
            self.banner.show_error(c.error.kind, c.error.message)

    def _finished(self) -> None:
        c = self.controller
        self.refresh()
        self.raw.refresh(final=True)
        self.headers.update_from(c.requests, c.responses)
        if c.spec.mode == Mode.DOWNLOAD and c.end is not None and c.end.complete:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress.setFormat(f"complete: {fmt_size(c.end.bytes)}"
                                    + (f" → {c.end.path}" if c.end.path else ""))

    # -- correlation -------------------------------------------------------------------------
    def _event_selected(self, row: int) -> None:
        chunks = self.controller.chunks
        if row < 0:
            chunks.set_highlight(-1, -1)
            return
        item = self.controller.events.row(row)
        first = getattr(item, "first_chunk", -1)
        last = getattr(item, "last_chunk", -1)
        if first < 0:
            chunks.set_highlight(-1, -1)
            return
        a, b = chunks.row_of_seq(first), chunks.row_of_seq(last)
        chunks.set_highlight(a, b if b >= 0 else a)
        self.chunks.scroll_to(a)

    def _chunk_selected(self, seq: int) -> None:
        events = self.controller.events
        first, last = events.rows_for_chunk(seq) if seq >= 0 else (-1, -1)
        events.set_highlight(first, last)
        if first >= 0:
            self.events.follower.set_following(False)
            index = events.index(first, 0)
            if self.events.table.model() is self.events.proxy:
                index = self.events.proxy.mapFromSource(index)
            if index.isValid():
                self.events.table.scrollTo(index)

    def splitters(self) -> dict[str, QSplitter]:
        """The tab's resizable panes by settings name (restored for new tabs, saved on quit)."""
        return {"events": self.events.splitter, "chunks": self.chunks.splitter}

    def title(self) -> str:
        c = self.controller
        rest = c.spec.url.split("://", 1)[-1].split("?", 1)[0]
        path = rest[rest.find("/"):] if "/" in rest else "/"
        if len(path) > 32:
            path = "…" + path[-31:]
        count = c.stats.events if c.stats.events or c.spec.mode != Mode.DOWNLOAD else None
        suffix = f" ({count:,})" if count is not None else f" ({fmt_size(c.stats.bytes)})"
        return f"{c.spec.method} {path}{suffix}"
