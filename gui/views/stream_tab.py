"""One request's tab: summary strip, the strips the window adds, error banner and the sub-tabs.

The sub-tabs are the sub-views of ``gui.views.subviews.SUBVIEWS``, in its order (Download
and LLM show once they apply to the stream). The tab is a view of its ``StreamController``:
on the controller's throttled ``updated`` signal it refreshes the summary, the sub-view
shown and the ``background`` ones, and never touches records one by one. Views talk upward
through signals; the tab wires those between its views and up to the window
(``resendRequested``). Strips (``gui.views.strips``: expectations, what a request read from
another's response) go under the summary with ``add_strip`` and are refreshed with the tab.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QProgressBar, QSplitter, QTabWidget, QVBoxLayout, QWidget

from gui.stream.controller import State, StreamController
from gui.views.diagnostics_view import stream_times
from gui.views.elided import WrappedText
from gui.views.indicators import ShownState, shown_state
from gui.views.strips import Strip
from gui.views.subviews import SUBVIEWS, SubView, TabContext
from gui.views.summary_strip import ErrorBanner, SummaryStrip
from gui.views.tab_strip import tab_title
from stream_core.analysis.diagnostics import Fix
from stream_core.analysis.formatting import fmt_ms, fmt_size
from stream_core.analysis.stalls import clock_text
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import Event, Record

if TYPE_CHECKING:
    from gui.services.settings import Settings
    from gui.views.chunks_panel import ChunksPanel
    from gui.views.diagnostics_view import DiagnosticsView
    from gui.views.download_view import DownloadView
    from gui.views.events_panel import EventsPanel
    from gui.views.headers_view import HeadersView
    from gui.views.llm_view import LLMView
    from gui.views.raw_view import RawView
    from gui.views.timeline_view import TimelineView

#: Shortest gap between two updates of a running stream's tab title (see ``title_due``).
TITLE_GAP_S = 0.25
TITLE_GAP_HIDDEN_S = 1.0


V = TypeVar("V")


class _View(Generic[V]):
    """``tab.events`` and the like: the sub-view of that name, typed."""

    def __set_name__(self, _owner: type, name: str) -> None:
        self.name = name

    def __get__(self, tab: StreamTab, _owner: type | None = None) -> V:
        return cast(V, tab.views[self.name])


class StreamTab(QWidget):
    """Everything about one stream.

    Signals:
        resendRequested(object): a ``RequestSpec`` to send again in a new tab (a
            diagnostic's fix applied).
    """

    resendRequested = Signal(object)

    def __init__(self, controller: StreamController, parent: QWidget | None = None, *,
                 settings: Settings | None = None) -> None:
        """``settings``: what the sub-views remember per host (none: nothing remembered)."""
        super().__init__(parent)
        self._stale = False  # a refresh was skipped while hidden
        self._title_at = 0.0  # when the window last took this tab's title (title_due)
        self.controller = controller
        self._raw_hex_chosen = False
        #: What tells this tab from others of the same title (``tab_strip.tags``; the window).
        self.tag = ""
        self.summary = SummaryStrip(self)
        #: What the window added under the summary (``add_strip``), in that order.
        self.strips: list[Strip] = []
        self._strips = QVBoxLayout()
        self._strips.setSpacing(2)
        self.banner = ErrorBanner(self)
        # What the recording will hold, when it is capped (two lines, then it scrolls).
        self.notice = WrappedText(self, lines=2)
        self.notice.setObjectName("tabNotice")
        self.notice.label.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.label.setStyleSheet("color: #975a16; padding: 2px 8px;")
        self.notice.hide()
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        context = TabContext(settings=settings)
        #: The sub-views by ``--view`` name, in ``SUBVIEWS`` order (their sub-tabs' order).
        self.views: dict[str, SubView] = {}
        for entry in SUBVIEWS:
            view = self.views[entry.name] = entry.build(controller, context, self)
            self.tabs.addTab(cast(QWidget, view), view.title())
        for index, (entry, view) in enumerate(zip(SUBVIEWS, self.views.values(), strict=True)):
            if entry.front or not view.applies():  # shown (and fronted) once it applies
                self.tabs.setTabVisible(index, False)
        self._show_applicable()
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addLayout(self._strips)
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

    # -- the sub-views by name, typed (every one is in ``views``) ------------------------------
    download: _View[DownloadView] = _View()
    events: _View[EventsPanel] = _View()
    chunks: _View[ChunksPanel] = _View()
    raw: _View[RawView] = _View()
    headers: _View[HeadersView] = _View()
    timeline: _View[TimelineView] = _View()
    diagnostics: _View[DiagnosticsView] = _View()
    llm: _View[LLMView] = _View()

    def add_strip(self, strip: Strip) -> None:
        """Show ``strip`` (a widget) under the summary, after the strips already there; the
        tab refreshes it from now on, with itself."""
        self.strips.append(strip)
        self._strips.addWidget(cast(QWidget, strip))
        strip.refresh(final=self.controller.ended)

    def show_notice(self, text: str) -> None:
        """A line under the summary that stays (unlike the status bar's messages)."""
        self.notice.setText(text)
        self.notice.show()

    @property
    def progress(self) -> QProgressBar:
        """The download's progress bar (in the Download sub-tab)."""
        return self.download.bar

    def _show_applicable(self) -> None:
        """Show each hidden sub-tab whose view now applies; a ``front`` one is selected."""
        for entry, view in zip(SUBVIEWS, self.views.values(), strict=True):
            index = self.tabs.indexOf(cast(QWidget, view))
            if not self.tabs.isTabVisible(index) and view.applies():
                self.tabs.setTabVisible(index, True)
                if entry.front:
                    self.tabs.setCurrentIndex(index)

    def show_view(self, name: str) -> None:
        """Bring sub-view ``name`` to the front, shown even where it does not apply (such as
        LLM for a stream that is not a chat), and fully up to date."""
        view = self.views[name]
        index = self.tabs.indexOf(cast(QWidget, view))
        self.tabs.setTabVisible(index, True)
        self.tabs.setCurrentIndex(index)
        view.refresh(final=True)
        self.refresh()

    # -- refresh -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """The summary, the sub-view shown and the ``background`` ones (on the controller's
        throttled updates; a tab behind another is refreshed when it shows)."""
        self._refresh(final=not self.controller.running)

    def _finished(self) -> None:
        self._refresh(final=True)  # ``running`` may still be True in ``finished``

    def _refresh(self, final: bool) -> None:
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
        else:
            self.summary.set("mode", c.spec.mode.value)
        self._show_applicable()
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
        for strip in self.strips:
            strip.refresh(final)
        current = self.tabs.currentWidget()
        tip = clock_text(stream_times(c))  # where the times come from (arrival or read)
        if self.summary.toolTip() != tip:
            self.summary.setToolTip(tip)
        for entry, view in zip(SUBVIEWS, self.views.values(), strict=True):
            widget = cast(QWidget, view)
            index = self.tabs.indexOf(widget)
            if widget is current or (entry.background and self.tabs.isTabVisible(index)):
                view.refresh(final)
                title = view.title()
                if self.tabs.tabText(index) != title:  # a set repaints the tab bar
                    self.tabs.setTabText(index, title)
        if c.error is not None and c.error.kind != "cancelled":
            self.banner.show_error(c.error.kind, c.error.message)
        elif c.running:
            self.banner.hide()  # a resumed download clears the previous failure

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
        """Ask for the request again with ``fix`` applied (``resendRequested``)."""
        self.resendRequested.emit(self.fixed_spec(fix))

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
            self.events.scroll_to(first)  # now, or when the Events sub-tab shows

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

    def base_title(self) -> str:
        """Method, host and path (a mark for a proxied exchange or a capture): what tabs of
        one request share (``tab_strip.tags`` tells them apart)."""
        c = self.controller
        mark = "⇄ " if c.proxied else ""  # an exchange the recording proxy forwarded
        return mark + tab_title(c.spec.method, c.spec.url, capture=not c.live and not c.proxied)

    def title(self) -> str:
        c = self.controller
        # The summary's figures (one source each: issue 23.11), events unless a download.
        count = c.stats.events if c.stats.events or not self.download.applies() else None
        suffix = f" ({count:,})" if count is not None else f" ({fmt_size(c.stats.bytes)})"
        return self.base_title() + (f" {self.tag}" if self.tag else "") + suffix
