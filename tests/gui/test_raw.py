"""Raw view pieces without a server: framing marks, bounded buffer, hex dump."""

from __future__ import annotations

from gui.stream.raw_buffer import RawBuffer
from gui.views.detail_views import hex_dump
from gui.views.raw_view import CR_MARK, DISPATCH, NO_DISPATCH, Framer


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
