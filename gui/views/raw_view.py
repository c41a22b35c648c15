"""The Raw sub-tab: the body as received, with SSE framing made visible, or as hex.

Only a bounded window is ever rendered (the head and tail kept by ``RawBuffer``), and the head
is appended incrementally, complete lines only, so a body of hundreds of MiB stays fast. A
window's worth of text (256 KiB: ~0.2-0.35 s of layout and highlighting, or of hex dump) goes
into the view in pieces of ``PIECE_CHARS``, the loop turning between them
(``gui.services.steps``), so that opening the view never holds the window.
Framing marks: field names in colour, comments grey, ``\\r`` for a CR line end, and each blank
line (an SSE dispatch point) shown as a ``⏎ dispatch`` marker.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.services.steps import Job, Stepper, WorkProgress
from gui.stream.raw_buffer import RawBuffer
from gui.views.detail_views import hex_dump
from gui.views.find_bar import FindBar
from stream_core.analysis.formatting import fmt_size

if TYPE_CHECKING:
    from gui.stream.controller import StreamController
    from gui.views.subviews import TabContext

DISPATCH = "⏎ dispatch"
NO_DISPATCH = "⏎ blank line: no data, nothing to dispatch"
CR_MARK = "\\r"  # drawn after a line that ended in CR (or CRLF)
HEX_LIMIT = 256 * 1024
#: Characters put into the view per step (a few ms of layout and highlighting each).
PIECE_CHARS = 16 * 1024
#: Bytes dumped as hex per step (~1/16 of a window).
HEX_PIECE = 16 * 1024
SSE_FIELD = re.compile(r"^(data|event|id|retry)(?=:|$)")


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class SseHighlighter(QSyntaxHighlighter):
    """Colours SSE field names, comments, CR marks and dispatch markers."""

    FIELD = QRegularExpression(r"^(data|event|id|retry)(?=:|$)")

    def __init__(self, doc: QTextDocument) -> None:
        super().__init__(doc)
        self.enabled = True
        self._field = _fmt("#2b6cb0", bold=True)
        self._comment = _fmt("#718096", italic=True)
        self._dispatch = _fmt("#2f855a", bold=True)
        self._cr = _fmt("#b7791f")

    def highlightBlock(self, text: str) -> None:
        if not self.enabled:
            return
        if text.startswith(DISPATCH):
            self.setFormat(0, len(text), self._dispatch)
            return
        if text.startswith(NO_DISPATCH):
            self.setFormat(0, len(text), self._comment)
            return
        if text.startswith(":"):
            self.setFormat(0, len(text), self._comment)
            return
        match = self.FIELD.match(text)
        if match.hasMatch():
            self.setFormat(0, match.capturedLength(), self._field)
        if text.endswith(CR_MARK):
            self.setFormat(len(text) - len(CR_MARK), len(CR_MARK), self._cr)


class Framer:
    """Splits decoded body text into display lines, marking SSE blank lines.

    A blank line dispatches an event only when a ``data`` field came since the previous
    blank line; otherwise (after a comment or ``retry:`` alone) nothing is dispatched, and
    the marker says so. ``rest`` holds an unfinished last line until more text arrives.
    """

    def __init__(self, sse: bool) -> None:
        self.sse = sse
        self.rest = ""
        self._has_data = False

    def feed(self, text: str, final: bool = False) -> list[str]:
        text = self.rest + text
        parts = text.split("\n")
        self.rest = parts.pop()
        if not self.rest.endswith("\r") and "\r" in self.rest:
            # lone CRs end lines too; a trailing CR may still meet its LF in the next read
            *done, self.rest = self.rest.split("\r")
            parts.extend(d + "\r" for d in done)
        if final and self.rest:
            parts.append(self.rest)
            self.rest = ""
        lines: list[str] = []
        for part in parts:
            cr = part.endswith("\r")
            pieces = (part[:-1] if cr else part).split("\r")
            for j, piece in enumerate(pieces):
                lines.append(self._line(piece, cr or j < len(pieces) - 1))
        return lines

    def _line(self, line: str, cr: bool) -> str:
        if self.sse and line == "":
            marker = DISPATCH if self._has_data else NO_DISPATCH
            self._has_data = False
            return marker + (CR_MARK if cr else "")
        if self.sse and (line == "data" or line.startswith("data:")):
            self._has_data = True
        return line + (CR_MARK if cr else "")


class RawView(QWidget):
    """Body viewer with a text/hex toggle and a head/tail switch for long bodies."""

    def __init__(self, raw: RawBuffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.raw = raw
        self.sse = False
        self._rendered = 0  # head bytes already appended
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._framer = Framer(False)
        self._mode = ""  # what the text widget holds: "text" | "hex" | "tail"
        self.hex = QCheckBox("Hex", self)
        self.hex.toggled.connect(lambda _on: self.redraw(force=True))
        self.show_tail = QPushButton(f"Show the last {fmt_size(raw.tail_limit)}", self)
        self.show_tail.setCheckable(True)
        self.show_tail.toggled.connect(lambda _on: self.redraw(force=True))
        self.show_tail.hide()
        self.info = QLabel(self)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("rawText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setMaximumBlockCount(0)
        self.highlighter = SseHighlighter(self.text.document())
        # Text waiting to go into the view (pieces, or functions that make one), in order.
        self._queue: deque[str | Callable[[], str]] = deque()
        self.stepper = Stepper(self)
        self.progress = WorkProgress(self.stepper, self)
        self.progress.setFormat("drawing %p%")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.info, 1)
        row.addWidget(self.progress)
        row.addWidget(self.show_tail)
        row.addWidget(self.hex)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.text, 1)
        self.find_bar = FindBar(self.text, self)
        layout.addWidget(self.find_bar)

    def set_sse(self, sse: bool) -> None:
        if sse != self.sse:
            self.sse = sse
            self.redraw(force=True)

    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> RawView:
        return cls(controller.raw, parent)

    def title(self) -> str:
        return "Raw"

    def applies(self) -> bool:
        return True

    def refresh(self, final: bool = False) -> None:
        """A sub-view's refresh (``gui.views.subviews``): ``redraw``."""
        self.redraw(final=final)

    def redraw(self, force: bool = False, final: bool = False) -> None:
        """Bring the view up to date with the buffer (cheap when nothing changed; ``force``:
        from the start, the way of showing changed; ``final``: the whole tail or hex dump)."""
        raw = self.raw
        beyond = raw.total > len(raw.head)
        self.show_tail.setVisible(beyond)
        if beyond:
            self.info.setText(f"{fmt_size(raw.total)} received; showing "
                              + (f"the last {fmt_size(raw.tail_limit)}"
                                 if self.show_tail.isChecked()
                                 else f"the first {fmt_size(raw.head_limit)}") + ".")
        else:
            self.info.setText(f"{fmt_size(raw.total)} received."
                              + ("  SSE framing: field names, comments, \\r = CR line end, ⏎ dispatch"
                                 " points." if self.sse and not self.hex.isChecked() else ""))
        if self.hex.isChecked():
            if force or self._mode != "hex" or final:
                data = raw.tail() if self.show_tail.isChecked() else bytes(raw.head)
                base = raw.total - len(data) if self.show_tail.isChecked() else 0
                self._set("hex", "")
                self._queue.extend(_hex_pieces(data, base))
                self._fill()
            return
        if self.show_tail.isChecked() and beyond:
            if force or self._mode != "tail" or final:
                lines = Framer(self.sse).feed(raw.tail().decode("utf-8", "replace"), final=True)
                self._set("tail", "\n".join(lines))
            return
        if force or self._mode != "text":
            self._set("text", "")
            self._rendered = 0
            self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
            self._framer = Framer(self.sse)
        new = bytes(raw.head[self._rendered:])
        self._rendered = len(raw.head)
        lines = self._framer.feed(self._decoder.decode(new, final=final), final=final)
        if lines:
            self._append("\n".join(lines), line=True)

    def _set(self, mode: str, text: str) -> None:
        """Show ``text`` from the start, as ``mode`` (what was being drawn is dropped)."""
        self.stepper.cancel()
        self._queue.clear()
        self._mode = mode
        self.highlighter.enabled = mode in ("text", "tail")
        self.text.clear()
        self._append(text)

    def _append(self, text: str, line: bool = False) -> None:
        """Put ``text`` at the end of the view (``line``: as a new line), in pieces when it
        is long or when pieces are still on their way."""
        if line and (self._queue or not self.text.document().isEmpty()):
            text = "\n" + text
        if not text:
            return
        self._queue.extend(_pieces(text))
        self._fill()

    def _fill(self) -> None:
        """Draw the queued pieces: the first now, the rest with the loop turning between."""
        if not self.stepper.busy and self._queue:
            self.stepper.start(self._drain())

    def _drain(self) -> Job:
        queue = self._queue
        done, total = 0, len(queue)
        while queue:
            item = queue.popleft()
            piece = item if isinstance(item, str) else item()
            cursor = QTextCursor(self.text.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(piece)
            done += 1
            total = max(total, done + len(queue))
            yield done, total


def _pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """``text`` cut after line ends into pieces of about ``size`` characters (a longer line
    is one piece): inserted one after another they make ``text``."""
    start = 0
    while len(text) - start > size:
        cut = text.find("\n", start + size)
        if cut < 0:
            break
        yield text[start:cut + 1]
        start = cut + 1
    if start < len(text):
        yield text[start:]


def _hex_pieces(data: bytes, base: int) -> Iterator[Callable[[], str]]:
    """``hex_dump(data, base, HEX_LIMIT)`` as functions each making the next piece of it
    (the dump itself takes ~0.14 s for a window: made a piece at a time too)."""
    shown = data[:HEX_LIMIT]

    def piece(i: int) -> str:
        return ("\n" if i else "") + hex_dump(shown[i:i + HEX_PIECE], base + i, HEX_PIECE)

    for i in range(0, len(shown), HEX_PIECE):
        yield functools.partial(piece, i)
    if len(data) > HEX_LIMIT:
        yield functools.partial(str, f"\n… {len(data) - HEX_LIMIT:,} more bytes not shown")
