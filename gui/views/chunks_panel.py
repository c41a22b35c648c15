"""The Chunks sub-tab: one row per network read, with a hex + text dump of the selection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from gui.stream import cell_painter
from gui.stream.models import ChunksModel, StoredChunk
from gui.stream.tables import PaintThrottle, ResponsiveSplitter, apply_widths, make_table
from gui.views.detail_views import hex_dump
from gui.views.tail_follow import TailFollower

if TYPE_CHECKING:
    from gui.stream.controller import StreamController
    from gui.views.subviews import TabContext


class ChunksPanel(QWidget):
    """Chunks table + hex dump.

    Signals:
        chunkSelected(int): seq of the selected chunk (-1 when none).
    """

    chunkSelected = Signal(int)

    def __init__(self, model: ChunksModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = make_table(self, {0: "000000", 1: "00:00:00.000", 2: "+000.000 s",
                                       3: "000,000,000", 4: "000,000"}, "chunksTable")
        self.table.setModel(model)
        cell_painter.install(self.table, model)  # cheaper repaints of a growing table
        apply_widths(self.table)
        self.throttle = PaintThrottle(self.table, model)
        self.follower = TailFollower(self.table, self.throttle)
        self.follow = QCheckBox("Follow tail", self)
        self.follow.setChecked(True)
        self.follower.followingChanged.connect(self.follow.setChecked)
        self.follow.toggled.connect(self.follower.set_following)
        self.caption = QLabel("Select a chunk to see its bytes.", self)
        self.dump = QPlainTextEdit(self)
        self.dump.setReadOnly(True)
        self.dump.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(7.0, mono.pointSizeF() - 1))  # a 16-byte line fits beside the table
        self.dump.setFont(mono)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.caption)
        right_layout.addWidget(self.dump, 1)
        self.splitter = ResponsiveSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(right)
        self.splitter.setSizes([710, 390])
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Each row is one network read, as httpx handed it over.", self), 1)
        row.addWidget(self.follow)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.splitter, 1)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> ChunksPanel:
        return cls(controller.chunks, parent)

    def title(self) -> str:
        return "Chunks"

    def applies(self) -> bool:
        return True

    def refresh(self, final: bool = False) -> None:
        """Nothing to do: the table follows its model, the dump its selection."""

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def scroll_to(self, row: int) -> None:
        """Bring ``row`` into view (now, or when the Chunks sub-tab shows); stop following."""
        if 0 <= row < len(self.model):
            self.follower.bring_into_view(lambda: self.model.index(row, 0))

    def _selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        row = self.selected_row()
        if row < 0:
            self.chunkSelected.emit(-1)
            return
        item: StoredChunk = self.model.row(row)
        note = "" if item.complete else f" (only the first {len(item.data)} bytes were kept)"
        self.caption.setText(f"Chunk #{item.seq}: {item.size:,} bytes at offset "
                             f"{item.offset:,}{note}")
        self.dump.setPlainText(hex_dump(item.data, item.offset))
        self.chunkSelected.emit(item.seq)
