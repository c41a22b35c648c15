"""One request's tab: summary strip, error banner and the sub-tabs.

Sub-tabs: Download (downloads only), Events, Chunks, Raw, Headers, Timeline, Diagnostics and
LLM (shown for every SSE and NDJSON stream, and any stream an LLM format was detected in). The tab is a view of its
``StreamController``: it refreshes the visible sub-tab on the controller's throttled
``updated`` signal and never touches records one by one.
"""

from __future__ import annotations

import dataclasses
import html
import time

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
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

from gui.stream.controller import State, StreamController
from gui.views.chunks_panel import ChunksPanel
from gui.views.diagnostics_view import DiagnosticsView
from gui.views.download_view import DownloadView
from gui.views.events_panel import EventsPanel
from gui.views.headers_view import HeadersView
from gui.views.indicators import ShownState, shown_state
from gui.views.llm_view import LLMView
from gui.views.raw_view import RawView
from gui.views.tab_strip import tab_title
from gui.views.timeline_view import TimelineView
from stream_core.analysis.diagnostics import Fix
from stream_core.analysis.formatting import fmt_ms, fmt_size
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import Event, Record

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
        self.label = QLabel(self)
        self.label.setObjectName("errorText")
        self.label.setTextFormat(Qt.TextFormat.RichText)  # show_error escapes the message
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label, 1)
        self.hide()

    def show_error(self, kind: str, message: str) -> None:
        self.label.setText(f"<b>Failed ({html.escape(kind)}):</b> {html.escape(message)}")
        self.show()


#: Shortest gap between two updates of a running stream's tab title (see ``title_due``).
TITLE_GAP_S = 0.25
TITLE_GAP_HIDDEN_S = 1.0


class StreamTab(QWidget):
    """Everything about one stream."""

    def __init__(self, controller: StreamController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stale = False  # a refresh was skipped while hidden
        self._title_at = 0.0  # when the window last took this tab's title (title_due)
        self.controller = controller
        self._raw_hex_chosen = False
        self._download_shown = False
        self.summary = SummaryStrip(self)
        self.banner = ErrorBanner(self)
        self.notice = QLabel(self)  # what the recording will hold, when it is capped
        self.notice.setObjectName("tabNotice")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #975a16; padding: 2px 8px;")
        self.notice.hide()
        self.download = DownloadView(controller, self)
        self.events = EventsPanel(controller.events, self)
        self.chunks = ChunksPanel(controller.chunks, self)
        self.raw = RawView(controller.raw, self)
        self.headers = HeadersView(self)
        self.timeline = TimelineView(controller, self)
        self.diagnostics = DiagnosticsView(controller, self)
        self.llm = LLMView(controller, self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        for widget, name in ((self.download, "Download"), (self.events, "Events"),
                             (self.chunks, "Chunks"), (self.raw, "Raw"),
                             (self.headers, "Headers"), (self.timeline, "Timeline"),
                             (self.diagnostics, "Diagnostics"), (self.llm, "LLM")):
            self.tabs.addTab(widget, name)
        self.tabs.setTabVisible(self.tabs.indexOf(self.llm), False)
        self.tabs.setTabVisible(self.tabs.indexOf(self.download), False)
        self._show_download()
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)

        self.events.eventSelected.connect(self._event_selected)
        self.chunks.chunkSelected.connect(self._chunk_selected)
        self.diagnostics.pointerActivated.connect(self.show_pointer)
        self.diagnostics.fixRequested.connect(self.apply_fix)
        controller.updated.connect(self.refresh)
        controller.stateChanged.connect(lambda _s: self.refresh())
        controller.finished.connect(self._finished)
        self.refresh()

    def show_notice(self, text: str) -> None:
        """A line under the summary that stays (unlike the status bar's messages)."""
        self.notice.setText(text)
        self.notice.show()

    @property
    def progress(self) -> QProgressBar:
        """The download's progress bar (in the Download sub-tab)."""
        return self.download.bar

    def _show_download(self) -> None:
        """Show and select the Download sub-tab once the stream turns out to be a download."""
        if not self._download_shown and DownloadView.wanted(self.controller):
            self._download_shown = True
            self.tabs.setTabVisible(self.tabs.indexOf(self.download), True)
            self.tabs.setCurrentWidget(self.download)

    # -- refresh -----------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.isHidden():  # a tab behind another: refreshed when it shows (showEvent)
            self._stale = True
            return
        self._stale = False
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
            self._show_download()
        else:
            self.summary.set("mode", c.spec.mode.value)
        shown = self.shown_state()
        state, color = shown.word, shown.color
        stalled = self.timeline.stalled_for() if c.state == State.STREAMING else 0.0
        if stalled >= self.timeline.stall_after.value():
            state, color = f"stalled {stalled:.0f} s", "#c05621"
        self.summary.set("state", state, color)
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
        if not self.tabs.isTabVisible(self.tabs.indexOf(self.llm)) and (
                c.llm.detected or (resp.mode if resp is not None else c.spec.mode.value) in (
                    "sse", "ndjson")):
            self.tabs.setTabVisible(self.tabs.indexOf(self.llm), True)
        self.events.refresh_kinds()
        self.events.update_jump()
        current = self.tabs.currentWidget()
        if self._download_shown:
            self.download.refresh()  # cheap labels; keeps the bar right whichever tab is shown
        if current is self.raw:
            self.raw.refresh(final=not c.running)
        elif current is self.headers:
            self.headers.update_from(c.requests, c.responses)
        elif current is self.llm:
            self.llm.refresh()
        elif current is self.timeline and not c.running:
            self.timeline.redraw()
        self.diagnostics.refresh()  # throttled to 2/s; its count goes in the tab's title
        serious = sum(f.severity != "info" for f in self.diagnostics.findings)
        title = f"Diagnostics ({serious})" if serious else "Diagnostics"
        index = self.tabs.indexOf(self.diagnostics)
        if self.tabs.tabText(index) != title:  # a set repaints the tab bar, even if the same
            self.tabs.setTabText(index, title)
        if c.error is not None and c.error.kind != "cancelled":
            self.banner.show_error(c.error.kind, c.error.message)
        elif c.running:
            self.banner.hide()  # a resumed download clears the previous failure

    def _finished(self) -> None:
        c = self.controller
        self.refresh()
        if self.tabs.currentWidget() is self.raw:  # else when shown (``currentChanged``)
            self.raw.refresh(final=True)
        self.headers.update_from(c.requests, c.responses)
        self.download.refresh()
        self.diagnostics.refresh(force=True)
        self.refresh()  # the Diagnostics count
        self.llm.refresh()

    # -- diagnostics -------------------------------------------------------------------------
    def show_pointer(self, kind: str, seq: int) -> None:
        """Select the chunk or event a finding points at, in its sub-tab."""
        if kind == "event":
            row = self._event_row(seq)
            if row >= 0:
                self.tabs.setCurrentWidget(self.events)
                self.events.select_row(row)
                return
        row = self.controller.chunks.row_of_seq(seq)
        if row >= 0:
            self.tabs.setCurrentWidget(self.chunks)
            self.chunks.select_row(row)

    def _event_row(self, seq: int) -> int:
        """Row of event ``seq``: at or after row ``seq`` (retry/reconnect rows come between)."""
        events = self.controller.events
        for row in range(max(seq, 0), len(events)):
            item = events.row(row)
            if isinstance(item, Event | Record) and item.seq == seq:
                return row
        return -1

    def fixed_spec(self, fix: Fix) -> RequestSpec:
        """The request again, with the finding's fix applied (headers replaced, mode)."""
        spec = self.controller.spec
        names = {k.lower() for k, _ in fix.headers}
        headers = [(k, v) for k, v in spec.headers if k.lower() not in names]
        headers.extend(fix.headers)
        mode = Mode(fix.mode) if fix.mode is not None else spec.mode
        return dataclasses.replace(spec, headers=headers, mode=mode, resume=False,
                                   identity_encoding=spec.identity_encoding or bool(names & {
                                       "accept-encoding"}))

    def apply_fix(self, fix: Fix) -> None:
        """Resend with ``fix`` in a new tab of the window (its ``start``)."""
        start = getattr(self.window(), "start", None)
        if callable(start):
            start(self.fixed_spec(fix))

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

    def find_text(self) -> None:
        """Ctrl+F: find in the Raw view, else filter the Events table by the text."""
        if self.tabs.currentWidget() is self.raw:
            self.raw.find_bar.open()
            return
        self.tabs.setCurrentWidget(self.events)
        self.events.filter_text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.events.filter_text.selectAll()

    def shown_state(self) -> ShownState:
        """The state as the tab, its icon and the summary show it (paused, incomplete...)."""
        return shown_state(self.controller, self.download.paused)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.controller.set_background(False)
        if self._stale:
            self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.controller.set_background(True)  # its rows can wait: batched drains

    def title_due(self) -> bool:
        """Whether the window should update this tab's title (its event count) now: at once
        when it ended, else at most 4 times a second while it is the tab shown and once a
        second behind another (each title set relays out the whole tab bar: with twenty tabs
        streaming, those relayouts were a tenth of the GUI thread)."""
        now = time.monotonic()
        gap = TITLE_GAP_HIDDEN_S if self.isHidden() else TITLE_GAP_S
        if self.controller.state.running and now - self._title_at < gap:
            return False
        self._title_at = now
        return True

    def title(self) -> str:
        c = self.controller
        count = c.stats.events if c.stats.events or c.spec.mode != Mode.DOWNLOAD else None
        suffix = f" ({count:,})" if count is not None else f" ({fmt_size(c.stats.bytes)})"
        mark = "⇄ " if c.proxied else ""  # an exchange the recording proxy forwarded
        return mark + tab_title(c.spec.method, c.spec.url,
                                capture=not c.live and not c.proxied) + suffix
