"""Table models for what a stream produces: events/records and network chunks.

Both keep the record objects themselves (slotted dataclasses from ``stream_core.records``) and
format cells on demand in ``data()``, so a flood of rows costs one list append each; rows are
added with ``append_batch()``, one ``beginInsertRows`` per drain tick, never one per record.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from stream_core.records import Chunk, Error, Event, Reconnect, Record, Retry

Index = QModelIndex | QPersistentModelIndex
EventRow = Event | Record | Reconnect | Retry | Error

PREVIEW_CHARS = 200
#: Chunk bytes kept in full up to this total; later chunks keep only a prefix (hundreds of
#: MiB downloads must not be held in memory twice).
CHUNK_DATA_BUDGET = 32 * 1024 * 1024
CHUNK_PREFIX = 256

HIGHLIGHT = QColor(255, 236, 153)
RECONNECT_BG = QColor(254, 235, 200)
ERROR_BG = QColor(254, 215, 215)

#: Role giving the full text searched by the filter (data, type and id of a row).
SearchRole = Qt.ItemDataRole.UserRole + 1
#: Role giving the row's kind for the type filter ("message", "record", "reconnect", ...).
KindRole = Qt.ItemDataRole.UserRole + 2


def fmt_clock(start_wall: float, t: float) -> str:
    """Wall-clock arrival time with milliseconds (start of the request + ``t``)."""
    return datetime.fromtimestamp(start_wall + t).strftime("%H:%M:%S.%f")[:-3]


def fmt_delta(seconds: float) -> str:
    if seconds < 1.0:
        return f"+{seconds * 1000:.1f} ms"
    return f"+{seconds:.3f} s"


def preview(text: str) -> str:
    text = text[:PREVIEW_CHARS]
    return text.replace("\r", "␍").replace("\n", "↵")


def llm_delta(text: str) -> str | None:
    """The text piece of an LLM streaming chunk (OpenAI or Anthropic style), else None.

    Why: in a chat stream every row starts with the same ``{"id":"chatcmpl-...`` prefix; the
    piece of text each event adds is what a developer scans for.
    """
    if not text.startswith("{") or ('"delta"' not in text):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    delta: Any = None
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        delta = choices[0].get("delta")
    elif isinstance(obj.get("delta"), dict):
        delta = obj["delta"]
    if not isinstance(delta, dict):
        return None
    for key in ("content", "text", "partial_json"):
        if isinstance(delta.get(key), str):
            return delta[key]
    calls = delta.get("tool_calls")
    if isinstance(calls, list) and calls and isinstance(calls[0], dict):
        fn = calls[0].get("function") or {}
        if isinstance(fn, dict):
            return f"{fn.get('name') or ''}{fn.get('arguments') or ''}"
    return None


def bytes_preview(data: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 else "·" for b in data[:PREVIEW_CHARS])


def fmt_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    if n < 1024 ** 3:
        return f"{n / 1024 / 1024:.1f} MiB"
    return f"{n / 1024 ** 3:.2f} GiB"


class _BaseModel(QAbstractTableModel):
    """Shared plumbing: header labels, row storage, batch append, highlighted rows."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, start_wall: float = 0.0, parent: Any = None) -> None:
        super().__init__(parent)
        self.start_wall = start_wall
        self._rows: list[Any] = []
        self._hl_first = -1
        self._hl_last = -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None

    def append_batch(self, items: Sequence[Any]) -> None:
        """Append ``items`` with one insert notification (the drain timer's batch)."""
        if not items:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._rows.extend(self._store(item) for item in items)
        self.endInsertRows()

    def _store(self, item: Any) -> Any:
        return item

    def row(self, row: int) -> Any:
        return self._rows[row]

    def __len__(self) -> int:
        return len(self._rows)

    def set_highlight(self, first: int, last: int) -> None:
        """Shade rows ``first..last`` (inclusive; -1 clears) for event/chunk correlation."""
        old = (self._hl_first, self._hl_last)
        self._hl_first, self._hl_last = first, last
        for a, b in (old, (first, last)):
            if a >= 0 and b >= a and self._rows:
                b = min(b, len(self._rows) - 1)
                self.dataChanged.emit(self.index(a, 0), self.index(b, len(self.HEADERS) - 1),
                                      [Qt.ItemDataRole.BackgroundRole])

    def highlighted(self, row: int) -> bool:
        return self._hl_first <= row <= self._hl_last and self._hl_first >= 0


class EventsModel(_BaseModel):
    """SSE events, NDJSON/line records, retries, reconnects and errors, one row each."""

    COL_SEQ, COL_TIME, COL_DELTA, COL_TYPE, COL_ID, COL_SIZE, COL_DATA = range(7)
    HEADERS = ("#", "Arrival", "Δ prev", "Type", "ID", "Size", "Data")

    def __init__(self, start_wall: float = 0.0, parent: Any = None) -> None:
        super().__init__(start_wall, parent)
        self._firsts: list[int] = []  # first_chunk of rows that carry chunks, ascending
        self._carriers: list[int] = []  # their row numbers
        self.kinds: dict[str, int] = {}

    def append_batch(self, items: Sequence[Any]) -> None:
        if not items:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        for offset, item in enumerate(items):
            kind = self.kind(item)
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            if isinstance(item, Event | Record) and item.first_chunk >= 0:
                self._firsts.append(item.first_chunk)
                self._carriers.append(first + offset)
        self._rows.extend(items)
        self.endInsertRows()

    @staticmethod
    def kind(item: EventRow) -> str:
        """The Type column: SSE event name, or what a line was (json / not json / line)."""
        if isinstance(item, Event):
            return item.event or "message"
        if isinstance(item, Record):
            return "json" if item.parsed else "not json" if item.error else "line"
        return item.type

    @staticmethod
    def text(item: EventRow) -> str:
        """The row's payload as text: what the detail pane and the filter look at."""
        if isinstance(item, Event):
            return item.data
        if isinstance(item, Record):
            if item.parsed:
                return json.dumps(item.value, ensure_ascii=False)
            return item.text
        if isinstance(item, Reconnect):
            why = f" - {item.reason}" if item.reason else ""
            return (f"reconnect attempt {item.attempt} after {item.delay_ms} ms"
                    f" (Last-Event-ID: {item.last_event_id or '-'}){why}")
        if isinstance(item, Retry):
            return f"retry: {item.ms} ms"
        return f"{item.kind}: {item.message}"

    def rows_for_chunk(self, seq: int) -> tuple[int, int]:
        """Rows (first, last) of the events carried (in part) by chunk ``seq``; (-1, -1) if none."""
        # first_chunk and last_chunk both ascend with the row, so walk back from the last
        # event starting at or before ``seq`` while the events still reach it.
        hi = bisect.bisect_right(self._firsts, seq)
        rows = []
        for i in range(hi - 1, -1, -1):
            if self._rows[self._carriers[i]].last_chunk < seq:
                break
            rows.append(self._carriers[i])
        return (min(rows), max(rows)) if rows else (-1, -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, col = index.row(), index.column()
        item = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col, item)
        if role == Qt.ItemDataRole.BackgroundRole:
            if self.highlighted(row):
                return QBrush(HIGHLIGHT)
            if isinstance(item, Reconnect):
                return QBrush(RECONNECT_BG)
            if isinstance(item, Error) or (isinstance(item, Record) and item.error):
                return QBrush(ERROR_BG)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (self.COL_SEQ, self.COL_DELTA, self.COL_SIZE):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == Qt.ItemDataRole.ToolTipRole and col == self.COL_DATA:
            return self.text(item)[:2000]
        if role == SearchRole:
            ident = item.id if isinstance(item, Event) else ""
            return f"{self.kind(item)}\n{ident}\n{self.text(item)}"
        if role == KindRole:
            return self.kind(item)
        return None

    def _display(self, row: int, col: int, item: EventRow) -> str:
        if col == self.COL_SEQ:
            return str(item.seq) if isinstance(item, Event | Record) else "·"
        if col == self.COL_TIME:
            return fmt_clock(self.start_wall, item.t)
        if col == self.COL_DELTA:
            return fmt_delta(item.t - self._rows[row - 1].t) if row else ""
        if col == self.COL_TYPE:
            return self.kind(item)
        if col == self.COL_ID:
            return item.id if isinstance(item, Event) else ""
        if col == self.COL_SIZE:
            if isinstance(item, Event):
                return fmt_size(len(item.data.encode("utf-8", "surrogatepass")))
            if isinstance(item, Record):
                return fmt_size(len(item.text.encode("utf-8", "surrogatepass")))
            return ""
        if isinstance(item, Event):
            piece = llm_delta(item.data)
            if piece is not None:
                return preview(f"Δ {json.dumps(piece, ensure_ascii=False)}   {item.data}")
        return preview(self.text(item))


class StoredChunk:
    """A chunk as the table keeps it: full bytes within the budget, else a prefix."""

    __slots__ = ("data", "offset", "seq", "size", "t")

    def __init__(self, chunk: Chunk, keep: bool) -> None:
        self.seq = chunk.seq
        self.t = chunk.t
        self.offset = chunk.offset
        self.size = len(chunk.data)
        self.data = chunk.data if keep else chunk.data[:CHUNK_PREFIX]

    @property
    def complete(self) -> bool:
        return len(self.data) == self.size


class ChunksModel(_BaseModel):
    """One row per network read."""

    COL_SEQ, COL_TIME, COL_DELTA, COL_OFFSET, COL_SIZE, COL_PREVIEW = range(6)
    HEADERS = ("#", "Arrival", "Δ prev", "Offset", "Size", "Preview")

    def __init__(self, start_wall: float = 0.0, parent: Any = None) -> None:
        super().__init__(start_wall, parent)
        self._kept = 0
        self._seqs: list[int] = []

    def _store(self, item: Chunk) -> StoredChunk:
        keep = self._kept + len(item.data) <= CHUNK_DATA_BUDGET
        if keep:
            self._kept += len(item.data)
        self._seqs.append(item.seq)
        return StoredChunk(item, keep)

    def row_of_seq(self, seq: int) -> int:
        """Row of chunk ``seq`` (seqs ascend), or -1."""
        i = bisect.bisect_left(self._seqs, seq)
        return i if i < len(self._seqs) and self._seqs[i] == seq else -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, col = index.row(), index.column()
        item: StoredChunk = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.COL_SEQ:
                return str(item.seq)
            if col == self.COL_TIME:
                return fmt_clock(self.start_wall, item.t)
            if col == self.COL_DELTA:
                return fmt_delta(item.t - self._rows[row - 1].t) if row else ""
            if col == self.COL_OFFSET:
                return f"{item.offset:,}"
            if col == self.COL_SIZE:
                return f"{item.size:,}"
            return bytes_preview(item.data)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(HIGHLIGHT) if self.highlighted(row) else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (self.COL_SEQ, self.COL_DELTA, self.COL_OFFSET, self.COL_SIZE):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        return None


class EventFilterProxy(QSortFilterProxyModel):
    """Filters event rows by text (plain substring or regex) and by kind.

    Installed on a view only while a filter is active, so an unfiltered flood costs no
    per-row Python callback.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._regex: QRegularExpression | None = None
        self._kind = ""

    def set_filter(self, text: str, regex: bool, kind: str) -> str | None:
        """Apply a filter; returns an error message for an invalid regex (filter unchanged)."""
        compiled = None
        if regex and text:
            compiled = QRegularExpression(
                text, QRegularExpression.PatternOption.CaseInsensitiveOption)
            if not compiled.isValid():
                return compiled.errorString()
        self.beginFilterChange()
        self._text, self._regex, self._kind = text.lower(), compiled, kind
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        return None

    @property
    def active(self) -> bool:
        return bool(self._text or self._kind)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, EventsModel):
            return True
        item = model.row(source_row)
        if self._kind and model.kind(item) != self._kind:
            return False
        if not self._text:
            return True
        hay = model.data(model.index(source_row, 0), SearchRole)
        if self._regex is not None:
            return bool(self._regex.match(hay).hasMatch())
        return self._text in hay.lower()
