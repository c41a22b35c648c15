"""Raw view pieces without a server: framing marks, bounded buffer, hex dump."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.stream.raw_buffer import RawBuffer
from gui.views.detail_views import hex_dump
from gui.views.raw_view import (
    CR_MARK,
    DISPATCH,
    HEX_LIMIT,
    NO_DISPATCH,
    PIECE_CHARS,
    Framer,
    RawView,
    _pieces,
)


def test_framer_marks_dispatch_points_and_line_ends() -> None:
    f = Framer(sse=True)
    lines = f.feed(": hi\n\nretry: 5\n\nid: 1\r\ndata: a\r")
    assert lines == [": hi", NO_DISPATCH, "retry: 5", NO_DISPATCH, "id: 1" + CR_MARK]
    # the CR that ended one read and the LF that starts the next are one line end
    lines = f.feed("\n\r\ndata")
    assert lines == ["data: a" + CR_MARK, DISPATCH + CR_MARK]
    # an unfinished line continues in the next read
    assert f.feed(": x\rdata: b\n\n", final=True) == ["data: x" + CR_MARK, "data: b", DISPATCH]


def test_framer_plain_text_has_no_markers() -> None:
    f = Framer(sse=False)
    assert f.feed("a\n\nb") == ["a", ""]
    assert f.feed("", final=True) == ["b"]


def test_raw_buffer_keeps_head_and_tail() -> None:
    buf = RawBuffer(head=10, tail=8)
    for i in range(10):
        buf.feed(bytes([48 + i]) * 5)
    assert buf.total == 50
    assert bytes(buf.head) == b"0000011111"
    assert buf.tail() == b"88899999"
    assert buf.truncated and buf.skipped == 32


def test_hex_dump_layout_and_limit() -> None:
    text = hex_dump(b"AB\x00\xff" * 5, base_offset=16, limit=16)
    first, more = text.splitlines()
    assert first.startswith("00000010  41 42 00 ff")
    assert first.endswith("AB..AB..AB..AB..")
    assert more == "… 4 more bytes not shown"


def _sse_body(events: int) -> bytes:
    return b"".join(b"id: %d\ndata: {\"n\": %d, \"pad\": \"%s\"}\n\n" % (i, i, b"x" * 60)
                    for i in range(events))


def test_a_window_of_text_is_drawn_in_steps_with_the_loop_turning(qtbot: QtBot) -> None:
    """256 KiB of body (~0.2-0.35 s of layout at once on the shared box) goes into the view
    a piece at a time; what it shows in the end is the same text, and bytes that arrive
    while it draws come after it, in order (issue 22.2)."""
    raw = RawBuffer()
    body = _sse_body(4000)
    raw.feed(body[:200_000])
    view = RawView(raw)
    qtbot.addWidget(view)
    view.stepper.budget = 0.0  # a piece per slice: the slices can be counted
    slices: list[int] = []
    view.stepper.progressed.connect(lambda done, _total: slices.append(done))
    view.set_sse(True)
    assert view.stepper.busy  # the first piece only
    raw.feed(body[200_000:])  # more arrives while it draws
    view.redraw()
    qtbot.waitUntil(lambda: not view.stepper.busy)
    view.redraw(final=True)
    expected = "\n".join(Framer(True).feed(bytes(raw.head).decode("utf-8", "replace"),
                                           final=True))
    assert view.text.toPlainText() == expected
    assert len(slices) >= len(expected) // PIECE_CHARS - 1  # (a slice per piece)


def test_hex_is_dumped_and_drawn_in_steps(qtbot: QtBot) -> None:
    raw = RawBuffer()
    raw.feed(bytes(range(256)) * 1024)  # 256 KiB
    view = RawView(raw)
    qtbot.addWidget(view)
    view.stepper.budget = 0.0
    view.hex.setChecked(True)
    assert view.stepper.busy
    qtbot.waitUntil(lambda: not view.stepper.busy)
    assert view.text.toPlainText() == hex_dump(bytes(raw.head), 0, HEX_LIMIT)
    view.hex.setChecked(False)  # back to text: the dump under way (none here) is dropped
    qtbot.waitUntil(lambda: not view.stepper.busy)
    assert not view.text.toPlainText().startswith("00000000")


def test_pieces_cut_after_line_ends_and_join_back() -> None:
    text = "\n".join(f"line {i} " + "y" * (i % 50) for i in range(5000))
    pieces = list(_pieces(text, 1000))
    assert "".join(pieces) == text
    assert all(p.endswith("\n") for p in pieces[:-1]) and len(pieces) > 10
    assert list(_pieces("no line end " * 500, 100)) == ["no line end " * 500]
