"""``--mode auto``: the framing chosen from Content-Type, Content-Disposition and first bytes."""

from __future__ import annotations

import pytest

from stream_core.decode.detect import LARGE_BODY, detect_mode, needs_sniff
from stream_core.net.spec import Mode

SSE_BYTES = b"event: tick\ndata: 1\n\n"
NDJSON_BYTES = b'{"a": 1}\n{"b": 2}\n'
TEXT_BYTES = b"2026-11-26 07:00:00 INFO started\n2026-11-26 07:00:01 INFO ready\n"
BINARY_BYTES = bytes(range(256)) * 4


@pytest.mark.parametrize(("ctype", "mode"), [
    ("text/event-stream", Mode.SSE),
    ("text/event-stream; charset=utf-8", Mode.SSE),
    ("Text/Event-Stream", Mode.SSE),
    ("application/x-ndjson", Mode.NDJSON),
    ("application/jsonl", Mode.NDJSON),
    ("application/x-jsonlines", Mode.NDJSON),
    ("application/json-seq", Mode.NDJSON),
    ("application/stream+json", Mode.NDJSON),
    ("image/png", Mode.DOWNLOAD),
    ("video/mp4", Mode.DOWNLOAD),
    ("audio/ogg", Mode.DOWNLOAD),
    ("application/zip", Mode.DOWNLOAD),
    ("application/pdf", Mode.DOWNLOAD),
    ("text/html; charset=utf-8", Mode.LINES),
    ("text/csv", Mode.LINES),
    ("application/xml", Mode.LINES),
])
def test_specific_content_types_decide_alone(ctype: str, mode: Mode) -> None:
    assert not needs_sniff(ctype, None)
    # The first bytes do not change a specific type's answer.
    for first in (b"", SSE_BYTES, NDJSON_BYTES, BINARY_BYTES):
        assert detect_mode(ctype, None, first) is mode


@pytest.mark.parametrize("ctype", [None, "", "application/octet-stream", "text/plain",
                                   "text/plain; charset=utf-8", "application/json"])
def test_generic_types_need_sniffing(ctype: str | None) -> None:
    assert needs_sniff(ctype, None)


@pytest.mark.parametrize("disposition", ["attachment", 'attachment; filename="x.bin"',
                                         "ATTACHMENT;filename=a"])
def test_attachment_is_a_download(disposition: str) -> None:
    for ctype in (None, "application/octet-stream", "text/plain", "application/json"):
        assert not needs_sniff(ctype, disposition)
        assert detect_mode(ctype, disposition, TEXT_BYTES) is Mode.DOWNLOAD


def test_streaming_type_wins_over_attachment() -> None:
    assert detect_mode("text/event-stream", "attachment", b"") is Mode.SSE
    assert detect_mode("application/x-ndjson", "attachment", b"") is Mode.NDJSON


def test_inline_disposition_is_ignored() -> None:
    assert detect_mode("text/plain", "inline", TEXT_BYTES) is Mode.LINES


@pytest.mark.parametrize(("first", "mode"), [
    (SSE_BYTES, Mode.SSE),
    (b"data: {\"x\": 1}\n\n", Mode.SSE),
    (b": keep-alive\n\nid: 1\ndata: x\n\n", Mode.SSE),
    (b"\xef\xbb\xbfretry: 3000\r\n\r\n", Mode.SSE),
    (b"data", Mode.SSE),
    (NDJSON_BYTES, Mode.NDJSON),
    (b'{"first": "record still arriv', Mode.NDJSON),
    (b'\x1e{"a":1}\n', Mode.NDJSON),
    (TEXT_BYTES, Mode.LINES),
    (b"id 5 has logged in\n", Mode.LINES),
    (b"data: x\nhello world\n", Mode.LINES),  # not every line is an SSE field
    (b'{"a": 1}\nplain\n', Mode.LINES),
    (b"[1, 2]\n", Mode.LINES),  # NDJSON sniffing wants objects
    ("héllo wörld\n".encode(), Mode.LINES),
])
def test_text_plain_and_missing_type_sniff(first: bytes, mode: Mode) -> None:
    assert detect_mode("text/plain", None, first) is mode
    assert detect_mode(None, None, first) is mode


def test_binary_without_type_is_raw_and_octet_stream_is_download() -> None:
    assert detect_mode(None, None, BINARY_BYTES) is Mode.RAW
    assert detect_mode(None, None, b"\x89PNG\r\n\x1a\n\x00\x00") is Mode.RAW
    assert detect_mode("application/octet-stream", None, BINARY_BYTES) is Mode.DOWNLOAD
    assert detect_mode("application/octet-stream", None, TEXT_BYTES) is Mode.DOWNLOAD
    # ...unless the bytes are plainly a stream with a lazy Content-Type.
    assert detect_mode("application/octet-stream", None, SSE_BYTES) is Mode.SSE
    assert detect_mode("application/octet-stream", None, NDJSON_BYTES) is Mode.NDJSON


def test_a_large_binary_body_without_type_is_a_download() -> None:
    """Issue 23.12: a file served without a useful type is not read into the window."""
    assert detect_mode(None, None, BINARY_BYTES, LARGE_BODY) is Mode.DOWNLOAD
    assert detect_mode("application/x-unknown", None, BINARY_BYTES, 100 * LARGE_BODY) \
        is Mode.DOWNLOAD
    assert detect_mode(None, None, BINARY_BYTES, LARGE_BODY - 1) is Mode.RAW
    assert detect_mode(None, None, TEXT_BYTES, 100 * LARGE_BODY) is Mode.LINES  # text stays
    assert detect_mode(None, None, SSE_BYTES, 100 * LARGE_BODY) is Mode.SSE


def test_text_plain_stays_lines_even_for_binary_or_empty_bytes() -> None:
    assert detect_mode("text/plain", None, BINARY_BYTES) is Mode.LINES
    assert detect_mode("text/plain", None, b"") is Mode.LINES


def test_missing_type_and_no_bytes() -> None:
    assert detect_mode(None, None, b"") is Mode.LINES


def test_application_json_is_ndjson_only_when_lines_are_objects() -> None:
    assert detect_mode("application/json", None, NDJSON_BYTES) is Mode.NDJSON
    assert detect_mode("application/json", None, b'{\n  "pretty": true\n}\n') is Mode.LINES


def test_utf8_cut_at_end_of_first_read_is_still_text() -> None:
    first = "é" * 100
    data = first.encode()[:-1]
    assert detect_mode(None, None, data) is Mode.LINES


def test_never_auto() -> None:
    for ctype in (None, "text/plain", "application/octet-stream", "x/y", "application/foo"):
        for first in (b"", SSE_BYTES, BINARY_BYTES, TEXT_BYTES):
            assert detect_mode(ctype, None, first) is not Mode.AUTO
