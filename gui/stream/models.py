"""Table models for what a stream produces: events/records and network chunks.

Both keep their rows in columns (``array`` and UTF-8 ``bytearray`` buffers, not one object per
row: a million events cost ~1.5x their bytes on the wire and nothing for the garbage collector
to walk), rebuild a record only when asked (``row()``) and format cells on demand in
``data()``; rows are added with ``append_batch()``, one ``beginInsertRows`` per drain tick.
"""

from __future__ import annotations

import bisect
import json
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, islice
from operator import attrgetter
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from gui.services.tooltips import plain_tip
from stream_core.analysis.formatting import fmt_clock, fmt_delta, fmt_size
from stream_core.analysis.llm import llm_delta
from stream_core.records import Chunk, Comment, Error, Event, Reconnect, Record, Retry

Index = QModelIndex | QPersistentModelIndex
EventRow = Event | Record | Comment | Reconnect | Retry | Error

PREVIEW_CHARS = 200
#: Chunk bytes kept in full up to this total; later chunks keep only a prefix (hundreds of
#: MiB downloads must not be held in memory twice; a 1M-event flood keeps ~8% of its bytes).
CHUNK_DATA_BUDGET = 8 * 1024 * 1024
CHUNK_PREFIX = 256

HIGHLIGHT = QColor(255, 236, 153)
RECONNECT_BG = QColor(254, 235, 200)
ERROR_BG = QColor(254, 215, 215)

#: Role giving the full text searched by the filter (data, type and id of a row).
SearchRole = Qt.ItemDataRole.UserRole + 1
#: Role giving the row's kind for the type filter ("message", "record", "reconnect", ...).
KindRole = Qt.ItemDataRole.UserRole + 2


def preview(text: str) -> str:
    text = text[:PREVIEW_CHARS]
    return text.replace("\r", "␍").replace("\n", "↵")




def bytes_preview(data: bytes | bytearray) -> str:
    return "".join(chr(b) if 32 <= b < 127 else "·" for b in data[:PREVIEW_CHARS])




_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_SEARCH = int(SearchRole)
_KIND = int(KindRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
#: Rows whose display strings are kept (a few screens of a table): a repaint formats a row once.
_CACHE_ROWS = 512

_brushes: dict[str, QBrush] = {}


def _brush(name: str, color: QColor) -> QBrush:
    brush = _brushes.get(name)
    if brush is None:
        brush = _brushes[name] = QBrush(color)
    return brush


class TextColumn:
    """Strings kept as one UTF-8 ``bytearray`` plus end offsets: ~1 byte per ASCII character
    and no Python object per string (nothing for the cyclic GC to walk), decoded on demand."""

    __slots__ = ("buf", "ends")

    #: Offsets are 4-byte until the buffer outgrows this, then 8-byte.
    SMALL_LIMIT = 0xFFFF_FFFF

    def __init__(self) -> None:
        self.buf = bytearray()
        self.ends = array("I")

    def _room(self, more: int) -> None:
        if self.ends.typecode == "I" and len(self.buf) + more > self.SMALL_LIMIT:
            self.ends = array("Q", self.ends)

    def append(self, text: str) -> None:
        encoded = text.encode("utf-8", "surrogatepass")
        self._room(len(encoded))
        self.buf += encoded
        self.ends.append(len(self.buf))

    def extend(self, texts: list[str]) -> None:
        """Append many strings; one encode call when they are all ASCII (the usual case)."""
        joined = "".join(texts)
        if joined.isascii():
            lengths: Iterable[int] = map(len, texts)
            encoded = joined.encode("ascii")
        else:
            pieces = [x.encode("utf-8", "surrogatepass") for x in texts]
            lengths, encoded = map(len, pieces), b"".join(pieces)
        self._room(len(encoded))
        self.ends.extend(islice(accumulate(lengths, initial=len(self.buf)), 1, None))
        self.buf += encoded

    def __len__(self) -> int:
        return len(self.ends)

    def span(self, i: int) -> tuple[int, int]:
        return (self.ends[i - 1] if i else 0), self.ends[i]

    def __getitem__(self, i: int) -> str:
        a, b = self.span(i)
        return self.buf[a:b].decode("utf-8", "surrogatepass")

    def size(self, i: int) -> int:
        """Length of string ``i`` in UTF-8 bytes."""
        a, b = self.span(i)
        return b - a

    def rows_containing(self, start: int, stop: int, needle: str) -> list[int]:
        """Rows ``start <= i < stop`` whose string, lowercased, contains ``needle`` (given
        lowercase), ascending.

        Why not row by row: a filter over a million rows decoded and lowercased each string
        (seconds). An ASCII stretch is searched as one lowercased block (``bytes.lower`` is
        ``str.lower`` there) and each hit mapped to its row; a stretch with other characters
        is searched row by row.
        """
        if start >= stop:
            return []
        ends = self.ends
        a, b = (ends[start - 1] if start else 0), ends[stop - 1]
        block = bytes(self.buf[a:b])
        if not block.isascii():
            return [i for i in range(start, stop) if needle in self[i].lower()]
        if not needle.isascii():
            return []  # (an ASCII string lowercases to ASCII)
        block, pattern, rows = block.lower(), needle.encode("ascii"), []
        pos = block.find(pattern)
        while pos >= 0:
            row = bisect.bisect_right(ends, a + pos, start, stop)
            row_end = ends[row] - a
            if pos + len(pattern) <= row_end:
                rows.append(row)
                pos = block.find(pattern, row_end)
            else:  # across two strings: not a hit; one further on may be
                pos = block.find(pattern, pos + 1)
        return rows


class RowListModel(QAbstractTableModel):
    """A small table over a Python list ``rows`` with ``HEADERS`` as column labels: the
    plumbing of the Compare and proxy-exchange tables (subclasses give ``data()``)."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, rows: list[Any], parent: Any = None) -> None:
        super().__init__(parent)
        self.rows = rows

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class _BaseModel(QAbstractTableModel):
    """Shared plumbing: header labels, batch append, highlighted rows, a display cache.

    Subclasses keep their rows in columns (arrays and byte buffers) and build a row object
    only when asked (``row()``), so that a million rows are a few big buffers, not millions
    of objects the garbage collector has to walk.
    """

    HEADERS: tuple[str, ...] = ()
    #: Columns shown right-aligned (numbers).
    RIGHT_COLUMNS: frozenset[int] = frozenset()

    def __init__(self, start_wall: float = 0.0, parent: Any = None) -> None:
        super().__init__(parent)
        self.start_wall = start_wall
        self._t = array("d")  # arrival time of each row
        self._hl_first = -1
        self._hl_last = -1
        self._cache: dict[int, tuple[str, ...]] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._t)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != _DISPLAY:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None

    def append_batch(self, items: Sequence[Any]) -> None:
        """Append ``items`` with one insert notification (the drain timer's batch)."""
        if not items:
            return
        first = len(self._t)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._store(items)
        self.endInsertRows()

    def _store(self, items: Sequence[Any]) -> None:
        raise NotImplementedError

    def row(self, row: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._t)

    def _cells(self, row: int) -> tuple[str, ...]:
        """The row's display strings, formatted once while the row stays in the cache."""
        cells = self._cache.get(row)
        if cells is None:
            if len(self._cache) >= _CACHE_ROWS:
                self._cache.clear()
            cells = self._cache[row] = self._format(row)
        return cells

    def _format(self, row: int) -> tuple[str, ...]:
        raise NotImplementedError

    def _display(self, index: Index) -> str | None:
        row = index.row()
        return self._cells(row)[index.column()] if 0 <= row < len(self._t) else None

    def display_at(self, row: int, column: int) -> str:
        """Cell text (DisplayRole) without a QModelIndex: ``gui.stream.cell_painter`` paints
        from it."""
        return self._cells(row)[column] if 0 <= row < len(self._t) else ""

    def background_at(self, row: int) -> QBrush | None:
        """The row's background (BackgroundRole): the correlation highlight, or None."""
        return _brush("hl", HIGHLIGHT) if self.highlighted(row) else None

    def _delta(self, row: int) -> str:
        return fmt_delta(self._t[row] - self._t[row - 1]) if row else ""

    def set_highlight(self, first: int, last: int) -> None:
        """Shade rows ``first..last`` (inclusive; -1 clears) for event/chunk correlation."""
        old = (self._hl_first, self._hl_last)
        self._hl_first, self._hl_last = first, last
        n = len(self._t)
        for a, b in (old, (first, last)):
            if a >= 0 and b >= a and n:
                b = min(b, n - 1)
                self.dataChanged.emit(self.index(a, 0), self.index(b, len(self.HEADERS) - 1),
                                      [Qt.ItemDataRole.BackgroundRole])

    def highlighted(self, row: int) -> bool:
        return self._hl_first <= row <= self._hl_last and self._hl_first >= 0


# What a row of the events model is: an SSE event, an NDJSON record that parsed, a line
# (``lines`` mode), or anything else (kept as the object itself: reconnects, retries, errors
# and lines that are not JSON are rare).
_EVENT, _JSON, _LINE, _OBJECT, _COMMENT = 0, 1, 2, 3, 4
_get_event, _get_t, _get_seq = attrgetter("event"), attrgetter("t"), attrgetter("seq")
_get_data, _get_id = attrgetter("data"), attrgetter("id")
_get_first, _get_last = attrgetter("first_chunk"), attrgetter("last_chunk")
_get_offset = attrgetter("offset")


class EventsModel(_BaseModel):
    """SSE events, NDJSON/line records, SSE comments, retries, reconnects and errors, one
    row each.

    Storage is columnar (see ``_BaseModel``): per row a type code, time, seq, the payload in a
    ``TextColumn``, the id in another and an index into the list of event names; the chunk
    span only for rows that carry one. ``row()`` rebuilds the ``Event``/``Record``/``Comment``.
    ``comment_rows`` lists the rows that are comments (the view hides them by default).
    """

    COL_SEQ, COL_TIME, COL_DELTA, COL_TYPE, COL_ID, COL_SIZE, COL_DATA = range(7)
    RIGHT_COLUMNS = frozenset((COL_SEQ, COL_DELTA, COL_SIZE))
    HEADERS = ("#", "Arrival", "Δ prev", "Type", "ID", "Size", "Data")

    def __init__(self, start_wall: float = 0.0, parent: Any = None) -> None:
        super().__init__(start_wall, parent)
        self._code = bytearray()
        self._seq = array("I")  # seq of events and records (0 for other rows)
        self._data = TextColumn()
        self._ids = TextColumn()
        self._name = array("B")  # index into _names (events), 0 for other rows
        self._names: list[str] = [""]  # "" is an event without an ``event`` field
        self._name_ix: dict[str, int] = {"": 0}
        self._objects: dict[int, EventRow] = {}
        self._firsts = array("I")  # first_chunk of rows that carry chunks, ascending
        self._lasts = array("I")  # their last_chunk
        self._carriers = array("I")  # their row numbers
        self.comment_rows = array("I")  # ascending
        self._comment_chunks = array("q")  # their chunks (-1: not known)
        self.kinds: dict[str, int] = {}

    def _store(self, items: Sequence[Any]) -> None:
        # Runs of events (all of a flood) go in with one C-level pass per column.
        if set(map(type, items)) == {Event}:
            self._store_events(list(items))
            return
        run: list[Event] = []
        for item in items:
            if type(item) is Event:
                run.append(item)
                continue
            if run:
                self._store_events(run)
                run = []
            self._store_other(item)
        if run:
            self._store_events(run)

    def _store_events(self, run: list[Event]) -> None:
        row = len(self._t)
        events = list(map(_get_event, run))
        name_ix = self._name_ix
        for name in set(events).difference(name_ix):
            name_ix[name] = len(self._names)
            self._names.append(name)
        if len(self._names) > 256 and self._name.typecode == "B":
            self._name = array("I", self._name)
        for name, n in Counter(events).items():
            kind = name or "message"
            self.kinds[kind] = self.kinds.get(kind, 0) + n
        self._name.extend(map(name_ix.__getitem__, events))
        self._code.extend(bytes(len(run)))  # _EVENT == 0
        self._t.extend(map(_get_t, run))
        self._seq.extend(map(_get_seq, run))
        self._data.extend(list(map(_get_data, run)))
        self._ids.extend(list(map(_get_id, run)))
        firsts = list(map(_get_first, run))
        if min(firsts) >= 0:
            self._firsts.extend(firsts)
            self._lasts.extend(map(_get_last, run))
            self._carriers.extend(range(row, row + len(run)))
        else:
            for i, e in enumerate(run):
                if e.first_chunk >= 0:
                    self._firsts.append(e.first_chunk)
                    self._lasts.append(e.last_chunk)
                    self._carriers.append(row + i)

    def _store_other(self, item: EventRow) -> None:
        row = len(self._t)
        kind = self.kind(item)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if isinstance(item, Record) and item.error is None:
            self._code.append(_JSON if item.parsed else _LINE)
            # A parsed record always has its line (json.loads("") in row() would fail).
            self._data.append(item.text if item.text or not item.parsed
                              else json.dumps(item.value, ensure_ascii=False))
        elif isinstance(item, Comment):
            # Not a chunk carrier: its chunk (where its line ended) may come after the first
            # chunk of the event it sits in, and carriers ascend.
            self._code.append(_COMMENT)
            self._data.append(item.text)
            self.comment_rows.append(row)
            self._comment_chunks.append(item.chunk)
        else:
            self._code.append(_OBJECT)
            self._data.append("")
            self._objects[row] = item
        self._ids.append("")
        self._name.append(0)
        self._t.append(item.t)
        self._seq.append(item.seq if isinstance(item, Record) else 0)
        if isinstance(item, Record) and item.first_chunk >= 0:
            self._firsts.append(item.first_chunk)
            self._lasts.append(item.last_chunk)
            self._carriers.append(row)

    def _span(self, row: int) -> tuple[int, int]:
        """(first_chunk, last_chunk) of ``row``, (-1, -1) when it carries none."""
        carriers = self._carriers
        if row < len(carriers) and carriers[row] == row:  # every row so far carries chunks
            return self._firsts[row], self._lasts[row]
        j = bisect.bisect_left(carriers, row)
        if j < len(carriers) and carriers[j] == row:
            return self._firsts[j], self._lasts[j]
        return -1, -1

    def row(self, row: int) -> EventRow:
        """The record shown in ``row`` (built on demand; equal to the one appended)."""
        if row < 0:
            row += len(self._t)
        code = self._code[row]
        if code == _OBJECT:
            return self._objects[row]
        if code == _COMMENT:
            i = bisect.bisect_left(self.comment_rows, row)
            return Comment(self._t[row], self._data[row], self._comment_chunks[i])
        first, last = self._span(row)
        if code == _EVENT:
            return Event(self._seq[row], self._t[row], self._event_name(row), self._data[row],
                         self._ids[row], first, last)
        text = self._data[row]
        if code == _JSON:
            return Record(self._seq[row], self._t[row], text, json.loads(text), None, True,
                          first, last)
        return Record(self._seq[row], self._t[row], text, None, None, False, first, last)

    def _event_name(self, row: int) -> str:
        """The event's ``event`` field as received ("" when it had none)."""
        return self._names[self._name[row]]

    def is_event(self, row: int) -> bool:
        """Whether ``row`` is an SSE ``Event`` (without building it)."""
        return self._code[row] == _EVENT

    def kind_at(self, row: int) -> str:
        """``kind(row(row))`` without building the row."""
        code = self._code[row]
        if code == _EVENT:
            return self._names[self._name[row]] or "message"
        if code == _JSON:
            return "json"
        if code == _LINE:
            return "line"
        if code == _COMMENT:
            return "comment"
        return self.kind(self._objects[row])

    def is_comment(self, row: int) -> bool:
        """Whether ``row`` is an SSE comment (without building it)."""
        return self._code[row] == _COMMENT

    def comments_between(self, first: int, last: int) -> Sequence[int]:
        """The comment rows from ``first`` to ``last`` (inclusive)."""
        rows = self.comment_rows
        return rows[bisect.bisect_left(rows, first):bisect.bisect_right(rows, last)]

    def text_at(self, row: int) -> str:
        """``text(row(row))``; cheap for events and lines."""
        code = self._code[row]
        if code == _EVENT or code == _LINE or code == _COMMENT:
            return self._data[row]
        return self.text(self.row(row))

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
        if isinstance(item, Comment):
            return item.text
        return f"{item.kind}: {item.message}"

    def search_text(self, row: int) -> str:
        """What the events filter searches in a row: its type, ID and payload, a line each."""
        ident = self._ids[row] if self._code[row] == _EVENT else ""
        return f"{self.kind_at(row)}\n{ident}\n{self.text_at(row)}"

    def rows_containing(self, start: int, stop: int, needle: str) -> list[int]:
        """Rows ``start <= i < stop`` whose ``search_text`` lowercased contains ``needle``
        (lowercase), ascending: the events' type, ID and data searched a block at a time
        (``TextColumn.rows_containing``), other rows one by one."""
        if "\n" in needle:  # across the lines of ``search_text``: row by row
            return [i for i in range(start, stop) if needle in self.search_text(i).lower()]
        code = self._code
        found = {i for i in range(start, stop) if code[i] != _EVENT
                 and needle in self.search_text(i).lower()} \
            if code.count(_EVENT, start, stop) != stop - start else set()
        names = {k for k, name in enumerate(self._names) if needle in (name or "message").lower()}
        if names:
            found.update(i for i in range(start, stop)
                         if code[i] == _EVENT and self._name[i] in names)
        for column in (self._ids, self._data):
            found.update(i for i in column.rows_containing(start, stop, needle)
                         if code[i] == _EVENT)
        return sorted(found)

    def rows_of_kind(self, start: int, stop: int, kind: str) -> list[int]:
        """Rows ``start <= i < stop`` whose type (``kind_at``) is ``kind``, ascending."""
        code, names = self._code, {k for k, name in enumerate(self._names)
                                   if (name or "message") == kind}
        return [i for i in range(start, stop)
                if (self._name[i] in names if code[i] == _EVENT else self.kind_at(i) == kind)]

    def rows_for_chunk(self, seq: int) -> tuple[int, int]:
        """Rows (first, last) of the events carried (in part) by chunk ``seq``; (-1, -1) if none."""
        # first_chunk and last_chunk both ascend with the row, so walk back from the last
        # event starting at or before ``seq`` while the events still reach it.
        hi = bisect.bisect_right(self._firsts, seq)
        rows = []
        for i in range(hi - 1, -1, -1):
            if self._lasts[i] < seq:
                break
            rows.append(self._carriers[i])
        return (min(rows), max(rows)) if rows else (-1, -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The role first: a view asks for a dozen roles per cell and this model serves few.
        if role == _DISPLAY:
            return self._display(index)
        if role == _BACKGROUND:
            return self.background_at(index.row())
        if role == _ALIGN:
            return _RIGHT if index.column() in self.RIGHT_COLUMNS else None
        if role not in (_TOOLTIP, _SEARCH, _KIND):
            return None
        row = index.row()
        if not index.isValid() or row >= len(self._t):
            return None
        if role == _TOOLTIP:
            return plain_tip(self.text_at(row)[:2000]) if index.column() == self.COL_DATA \
                else None
        if role == _SEARCH:
            return self.search_text(row)
        return self.kind_at(row)

    def background_at(self, row: int) -> QBrush | None:
        if not 0 <= row < len(self._t):
            return None
        if self.highlighted(row):
            return _brush("hl", HIGHLIGHT)
        if self._code[row] != _OBJECT:
            return None
        item = self._objects[row]
        if isinstance(item, Reconnect):
            return _brush("reconnect", RECONNECT_BG)
        if isinstance(item, Error | Record):
            return _brush("error", ERROR_BG)
        return None

    def _format(self, row: int) -> tuple[str, ...]:
        code = self._code[row]
        kind = self.kind_at(row)
        clock = fmt_clock(self.start_wall, self._t[row])
        delta = self._delta(row)
        if code == _OBJECT:
            item = self._objects[row]
            if isinstance(item, Record):
                size = fmt_size(len(item.text.encode("utf-8", "surrogatepass")))
                return (str(item.seq), clock, delta, kind, "", size, preview(item.text))
            return ("·", clock, delta, kind, "", "", preview(self.text(item)))
        size = fmt_size(self._data.size(row))
        if code == _COMMENT:
            return ("·", clock, delta, kind, "", size, preview(self._data[row]))
        seq = str(self._seq[row])
        if code == _EVENT:
            text = self._data[row]
            piece = llm_delta(text)
            shown = (preview(f"Δ {json.dumps(piece, ensure_ascii=False)}   {text}")
                     if piece is not None else preview(text))
            return (seq, clock, delta, kind, self._ids[row], size, shown)
        return (seq, clock, delta, kind, "", size, preview(self.text_at(row)))


class StoredChunk:
    """A chunk as the table gives it back: full bytes within the budget, else a prefix."""

    __slots__ = ("data", "offset", "seq", "size", "t")

    def __init__(self, seq: int, t: float, offset: int, size: int, data: bytes) -> None:
        self.seq = seq
        self.t = t
        self.offset = offset
        self.size = size
        self.data = data

    @property
    def complete(self) -> bool:
        return len(self.data) == self.size


class ChunksModel(_BaseModel):
    """One row per network read, kept in columns (seq, time, offset, size, bytes kept)."""

    COL_SEQ, COL_TIME, COL_DELTA, COL_OFFSET, COL_SIZE, COL_PREVIEW = range(6)
    RIGHT_COLUMNS = frozenset((COL_SEQ, COL_DELTA, COL_OFFSET, COL_SIZE))
    HEADERS = ("#", "Arrival", "Δ prev", "Offset", "Size", "Preview")

    def __init__(self, start_wall: float = 0.0, parent: Any = None) -> None:
        super().__init__(start_wall, parent)
        self._kept = 0
        self._seqs = array("q")
        self._offsets = array("q")
        self._sizes = array("q")
        self._bytes = bytearray()  # each row's kept bytes, back to back
        self._ends = array("Q")

    def _store(self, items: Sequence[Chunk]) -> None:
        datas = list(map(_get_data, items))
        sizes = list(map(len, datas))
        total = sum(sizes)
        buf, ends = self._bytes, self._ends
        if self._kept + total <= CHUNK_DATA_BUDGET:  # all kept whole: one join
            self._kept += total
            ends.extend(islice(accumulate(sizes, initial=len(buf)), 1, None))
            buf += b"".join(datas)
        else:
            for data, n in zip(datas, sizes, strict=True):
                if self._kept + n <= CHUNK_DATA_BUDGET:
                    self._kept += n
                    buf += data
                else:
                    buf += data[:CHUNK_PREFIX]
                ends.append(len(buf))
        self._seqs.extend(map(_get_seq, items))
        self._t.extend(map(_get_t, items))
        self._offsets.extend(map(_get_offset, items))
        self._sizes.extend(sizes)

    def row(self, row: int) -> StoredChunk:
        if row < 0:
            row += len(self._t)
        start = self._ends[row - 1] if row else 0
        return StoredChunk(self._seqs[row], self._t[row], self._offsets[row], self._sizes[row],
                           bytes(self._bytes[start:self._ends[row]]))

    def row_of_seq(self, seq: int) -> int:
        """Row of chunk ``seq`` (seqs ascend), or -1."""
        i = bisect.bisect_left(self._seqs, seq)
        return i if i < len(self._seqs) and self._seqs[i] == seq else -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == _DISPLAY:
            return self._display(index)
        if role == _BACKGROUND:
            return self.background_at(index.row())
        if role == _ALIGN:
            return _RIGHT if index.column() in self.RIGHT_COLUMNS else None
        return None

    def _format(self, row: int) -> tuple[str, ...]:
        start = self._ends[row - 1] if row else 0
        return (str(self._seqs[row]), fmt_clock(self.start_wall, self._t[row]),
                self._delta(row), f"{self._offsets[row]:,}", f"{self._sizes[row]:,}",
                bytes_preview(self._bytes[start:min(self._ends[row], start + PREVIEW_CHARS)]))
