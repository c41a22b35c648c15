"""The Events sub-tab: filterable table of events/records with a detail pane.

SSE comments (``: ping`` keep-alives) are rows too, hidden until *Comments* is ticked or
``comment`` is picked as the type: without a filter the view hides their rows itself
(``setRowHidden``, per batch of inserted rows), so a flood still needs no filter proxy."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.services.steps import WorkProgress
from gui.stream import cell_painter
from gui.stream.event_filter import EventFilterProxy
from gui.stream.models import EventsModel
from gui.stream.tables import PaintThrottle, ResponsiveSplitter, apply_widths, make_table
from gui.views.detail_views import PayloadView
from gui.views.tail_follow import TailFollower
from stream_core.analysis.llm import llm_delta
from stream_core.records import Event, Record

if TYPE_CHECKING:
    from gui.stream.controller import StreamController
    from gui.views.subviews import TabContext


class EventsPanel(QWidget):
    """Events table + filter row + detail pane.

    The view shows the source model directly while no filter is set and a filter proxy only
    while one is, so an unfiltered flood costs no per-row Python call.

    Signals:
        eventSelected(int): source row of the selected event (-1 when none).
    """

    eventSelected = Signal(int)

    def __init__(self, model: EventsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        # Attached to the model only while a filter is active (``apply_filter``): an attached
        # proxy would run ``filterAcceptsRow`` for every inserted row even with no filter.
        self.proxy = EventFilterProxy(self)
        self.filter_text = QLineEdit(self)
        self.filter_text.setObjectName("eventFilter")
        self.filter_text.setPlaceholderText("Filter events (text in data, type or id)")
        self.filter_text.setClearButtonEnabled(True)
        self.regex = QCheckBox("Regex", self)
        self.kind = QComboBox(self)
        self.kind.setObjectName("eventKind")
        self.kind.addItem("All types", "")
        self.kind.setMinimumWidth(130)
        self.comments = QCheckBox("Comments", self)
        self.comments.setObjectName("showComments")
        self.comments.setToolTip("Show SSE comment lines (: ping keep-alives), hidden by "
                                 "default")
        self.comments.hide()  # until the stream has a comment
        self.follow = QCheckBox("Follow tail", self)
        self.follow.setChecked(True)
        # Shown while following is paused (a row selected, or scrolled up): how many rows
        # came in since, and one click back to the tail.
        self.jump = QPushButton(self)
        self.jump.setObjectName("jumpToLatest")
        self.jump.setToolTip("Follow the newest rows again")
        self.jump.clicked.connect(self.jump_to_latest)
        self.jump.hide()
        self._paused_at = 0
        self.filter_message = QLabel(self)
        self.filter_message.setTextFormat(Qt.TextFormat.PlainText)
        self.filter_message.setStyleSheet("color: #c53030;")
        # How far a filter over many rows has got (shown after half a second).
        self.filter_progress = WorkProgress(self.proxy.stepper, self)
        self.filter_progress.setFormat("filtering %p%")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.filter_text, 1)
        row.addWidget(self.regex)
        row.addWidget(self.kind)
        row.addWidget(self.comments)
        row.addWidget(self.filter_message)
        row.addWidget(self.filter_progress)
        row.addWidget(self.jump)
        row.addWidget(self.follow)

        self.table = make_table(self, {0: "000000", 1: "00:00:00.000", 2: "+000.000 s",
                                       3: "message··", 4: "0000", 5: "000.0 KiB"},
                                "eventsTable")
        self.table.setModel(model)
        cell_painter.install(self.table, model)  # cheaper repaints of a growing table
        apply_widths(self.table)
        self.throttle = PaintThrottle(self.table, model)
        self.follower = TailFollower(self.table, self.throttle)
        self.follower.followingChanged.connect(self.follow.setChecked)
        self.follower.followingChanged.connect(self._following_changed)
        self.follow.toggled.connect(self.follower.set_following)
        self.detail = PayloadView(self)
        self.splitter = ResponsiveSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([800, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.splitter, 1)

        self.filter_text.textChanged.connect(self.apply_filter)
        self.regex.toggled.connect(self.apply_filter)
        self.kind.currentIndexChanged.connect(self.apply_filter)
        self.comments.toggled.connect(self.apply_filter)
        model.rowsInserted.connect(self._rows_inserted)
        self._connect_selection()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy_data = QAction("Copy data", self.table)
        copy_data.setShortcut(QKeySequence.StandardKey.Copy)
        copy_data.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy_data.triggered.connect(self.copy_data)
        copy_json = QAction("Copy as capture record (JSON)", self.table)
        copy_json.triggered.connect(self.copy_record)
        self.table.addAction(copy_data)
        self.table.addAction(copy_json)

    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> EventsPanel:
        return cls(controller.events, parent)

    def title(self) -> str:
        return "Events"

    def applies(self) -> bool:
        return True

    def refresh(self, final: bool = False) -> None:
        """The type filter's choices and the "paused: N new" control (cheap)."""
        self.refresh_kinds()
        self.update_jump()

    def copy_data(self) -> None:
        """Put the selected row's full payload on the clipboard (the table shows a preview)."""
        row = self.selected_row()
        if row >= 0:
            QGuiApplication.clipboard().setText(self.model.text_at(row))

    def copy_record(self) -> None:
        row = self.selected_row()
        if row >= 0:
            record = self.model.row(row)
            QGuiApplication.clipboard().setText(
                json.dumps(record.to_json(), ensure_ascii=False))

    def _connect_selection(self) -> None:
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

    # -- filtering ---------------------------------------------------------------------------
    def refresh_kinds(self) -> None:
        """Offer every event type seen so far in the type combo (called on updates)."""
        known = {self.kind.itemData(i) for i in range(self.kind.count())}
        for kind in sorted(self.model.kinds):
            if kind not in known:
                self.kind.addItem(kind, kind)
        comments = self.model.kinds.get("comment", 0)
        if comments:
            self.comments.setText(f"Comments ({comments:,})")
            self.comments.show()

    def apply_filter(self) -> None:
        error = self.proxy.set_filter(self.filter_text.text(), self.regex.isChecked(),
                                      self.kind.currentData() or "", self.comments.isChecked())
        self.filter_message.setText(f"bad regex: {error}" if error else "")
        if error:
            return
        wanted = self.proxy if self.proxy.active else self.model
        if self.table.model() is not wanted:
            current = self.selected_row()
            if wanted is self.proxy:
                for row in self.model.comment_rows:  # a hidden row would stay hidden by number
                    self.table.setRowHidden(row, False)
                self.proxy.setSourceModel(self.model)
            self.table.setModel(wanted)
            if wanted is self.model:
                self.proxy.setSourceModel(None)
            self._connect_selection()
            if current >= 0:
                self.select_row(current, scroll=True)
        if wanted is self.model:  # the proxy filters comments itself; here the view hides them
            hidden = not self.comments.isChecked()
            for row in self.model.comment_rows:
                self.table.setRowHidden(row, hidden)
        if self.follower.following:
            self.table.scrollToBottom()

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        """Hide the comments among new rows (unless shown; the proxy has its own rule)."""
        if self.table.model() is self.model and not self.comments.isChecked():
            for row in self.model.comments_between(first, last):
                self.table.setRowHidden(row, True)

    def visible_rows(self) -> int:
        return self.table.model().rowCount()

    # -- selection ---------------------------------------------------------------------------
    def _to_source(self, index: QModelIndex) -> int:
        if self.table.model() is self.proxy:
            index = self.proxy.mapToSource(index)
        return index.row() if index.isValid() else -1

    def selected_row(self) -> int:
        indexes = self.table.selectionModel().selectedRows()
        return self._to_source(indexes[0]) if indexes else -1

    def select_row(self, source_row: int, scroll: bool = True) -> None:
        index = self.model.index(source_row, 0)
        if self.table.model() is self.proxy:
            index = self.proxy.mapFromSource(index)
        if index.isValid():
            self.table.selectRow(index.row())
            if scroll:
                self.table.scrollTo(index)

    def scroll_to(self, source_row: int) -> None:
        """Bring ``source_row`` into view (now, or when the Events sub-tab shows; through the
        filter when one is on); stop following."""
        def index() -> QModelIndex:
            found = self.model.index(source_row, 0)
            if self.table.model() is self.proxy:
                found = self.proxy.mapFromSource(found)
            return found

        if 0 <= source_row < len(self.model):
            self.follower.bring_into_view(index)

    # -- following ---------------------------------------------------------------------------
    def _following_changed(self, on: bool) -> None:
        self._paused_at = len(self.model)
        self.update_jump()

    def update_jump(self) -> None:
        """The "paused: N new" control (called on the controller's throttled updates)."""
        if self.follower.following:
            self.jump.hide()
            return
        new = len(self.model) - self._paused_at
        self.jump.setText(f"paused: {new:,} new — jump to latest" if new
                          else "paused — jump to latest")
        self.jump.show()

    def jump_to_latest(self) -> None:
        self.table.clearSelection()
        self.follower.set_following(True)

    def _selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        row = self.selected_row()
        if row >= 0 and self.follower.following:
            self.follower.set_following(False)  # the selected row stays in view
        if row < 0:
            self.detail.clear("Select a row to see its data.")
        else:
            self.show_detail(row)
        self.eventSelected.emit(row)

    def assembled_text(self, row: int) -> str | None:
        """For an LLM stream: the text of every delta up to ``row``, else None."""
        model = self.model
        if not model.is_event(row) or llm_delta(model.text_at(row)) is None:
            return None
        pieces = []
        for i in range(row + 1):
            if model.is_event(i):
                piece = llm_delta(model.text_at(i))
                if piece is not None:
                    pieces.append(piece)
        return "".join(pieces)

    def show_detail(self, row: int) -> None:
        item = self.model.row(row)
        kind = self.model.kind(item)
        if isinstance(item, Event):
            chunks = (f"chunks {item.first_chunk}–{item.last_chunk}"
                      if item.first_chunk >= 0 else "")
            caption = (f"<b>{html.escape(kind)}</b> #{item.seq} · id "
                       f"{html.escape(item.id) if item.id else '—'} · "
                       f"{len(item.data):,} chars · {chunks}")
            text = self.assembled_text(row)
            if text is not None:
                shown = text if len(text) <= 600 else "…" + text[-600:]
                caption += f"<br><i>LLM text so far:</i> {html.escape(shown)}"
            self.detail.show_text(caption, item.data)
        elif isinstance(item, Record):
            caption = f"<b>record</b> #{item.seq}"
            if item.error:
                caption += f"  <span style='color:#c53030'>{html.escape(item.error)}</span>"
            if item.parsed:
                self.detail.show_value(caption, item.value)
            else:
                self.detail.show_text(caption, item.text, try_json=False)
        else:
            self.detail.show_text(f"<b>{html.escape(kind)}</b>", self.model.text(item),
                                  try_json=False)
