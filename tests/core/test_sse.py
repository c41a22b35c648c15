"""One focused test per rule of WHATWG *Interpreting an event stream*, plus the decoder's API.

Every input is also decoded split at every byte position (``feed_all`` checks that the result
does not depend on where the reads were cut).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stream_core.decode.sse import MAX_NOTICES, SSEDecoder
from stream_core.records import Comment, Error, Event, Notice, Retry

Item = tuple[str, str, str] | int
Out = list[Event | Retry | Comment | Notice | Error]


def run(chunks: Sequence[bytes], **kw: object) -> tuple[Out, SSEDecoder]:
    dec = SSEDecoder(**kw)  # type: ignore[arg-type]
    out: Out = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, 10.0 + i, i)
    out += dec.close(99.0)
    return out, dec


def simple(out: Sequence[object]) -> list[Item]:
    """The events and retries (comments and notices: what the decoder saw, tested below)."""
    return [(r.event, r.data, r.id) if isinstance(r, Event) else r.ms for r in out
            if isinstance(r, Event | Retry)]


def seen(out: Sequence[object]) -> list[tuple[str, str]]:
    """The comments and notices, as (type or notice code, text or detail)."""
    return [("comment", r.text) if isinstance(r, Comment) else (r.code, r.detail)
            for r in out if isinstance(r, Comment | Notice)]


def seen_all(stream: bytes) -> list[tuple[str, str]]:
    """What the decoder says it saw in ``stream``, the same whole and split anywhere."""
    whole = seen(run([stream])[0])
    for i in range(1, len(stream)):
        assert seen(run([stream[:i], stream[i:]])[0]) == whole, f"split at {i}"
    assert seen(run([stream[i:i + 1] for i in range(len(stream))])[0]) == whole
    return whole


def feed_all(stream: bytes, **kw: object) -> list[Item]:
    """The items of ``stream``, the same whole and split at every single byte position."""
    whole = simple(run([stream], **kw)[0])
    for i in range(1, len(stream)):
        assert simple(run([stream[:i], stream[i:]], **kw)[0]) == whole, f"split at {i}"
    assert simple(run([stream[i:i + 1] for i in range(len(stream))], **kw)[0]) == whole
    return whole


# ------------------------------------------------------------------ the standard's examples

def test_spec_example_stock_ticker() -> None:
    # "data: YHOO / +2 / 10" -> one message event whose data is "YHOO\n+2\n10".
    assert feed_all(b"data: YHOO\ndata: +2\ndata: 10\n\n") == [
        ("message", "YHOO\n+2\n10", "")]


def test_spec_example_ids_and_comment() -> None:
    stream = (b": test stream\n\ndata: first event\nid: 1\n\n"
              b"data:second event\nid\n\ndata:  third event\n")
    # The third block never ends with a blank line: it is not dispatched.
    assert feed_all(stream) == [("message", "first event", "1"),
                                ("message", "second event", "")]


def test_spec_example_data_and_empty_data() -> None:
    # "data\n\ndata\ndata\n\ndata:" -> "" then "\n"; the last block is unfinished.
    assert feed_all(b"data\n\ndata\ndata\n\ndata:") == [("message", "", ""),
                                                      ("message", "\n", "")]


def test_spec_example_one_space_removed() -> None:
    # "data:test" and "data: test" are the same event twice.
    assert feed_all(b"data:test\n\ndata: test\n\n") == [("message", "test", ""),
                                                       ("message", "test", "")]


# ------------------------------------------------------------------ one rule per test

def test_only_one_space_after_colon_is_removed() -> None:
    assert feed_all(b"data:  two\n\ndata:\tx\n\n") == [("message", " two", ""),
                                                     ("message", "\tx", "")]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_each_line_ending(eol: bytes) -> None:
    stream = b"data: a" + eol + b"data: b" + eol + eol
    assert feed_all(stream) == [("message", "a\nb", "")]


def test_mixed_line_endings_and_diagnostic_counts() -> None:
    stream = b"data: a\r\ndata: b\rdata: c\n\r\n"
    assert feed_all(stream) == [("message", "a\nb\nc", "")]
    _, dec = run([stream])
    assert dec.line_endings == {"lf": 1, "crlf": 2, "cr": 1}


def test_cr_at_end_of_read_and_lf_at_start_of_next_are_one_line_end() -> None:
    out, dec = run([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"])
    # Were the LF a second line end, "a" would be dispatched alone.
    assert simple(out) == [("message", "a\nb", "")]
    assert dec.line_endings == {"lf": 0, "crlf": 3, "cr": 0}


def test_cr_dispatches_at_once_without_waiting_for_a_possible_lf() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: x\r", 1.0, 0) == []
    [ev] = dec.feed(b"\r", 2.0, 1)
    assert isinstance(ev, Event) and (ev.data, ev.t, ev.last_chunk) == ("x", 2.0, 1)
    assert simple(dec.feed(b"\ndata: y\n\n", 3.0, 2)) == [("message", "y", "")]


def test_lone_lf_after_cr_in_a_later_read_is_skipped_only_once() -> None:
    out, _ = run([b"data: a\r", b"", b"\n", b"\n"])
    assert simple(out) == [("message", "a", "")]


def test_comments_are_ignored() -> None:
    assert feed_all(b":comment\ndata: a\n: another\n:\n\n") == [("message", "a", "")]


def test_comment_only_block_dispatches_nothing() -> None:
    assert feed_all(b": ping\n\n: ping\n\n") == []


def test_field_without_colon_is_name_with_empty_value() -> None:
    assert feed_all(b"data\nevent\nid\n\n", last_event_id="old") == [("message", "", "")]


def test_data_lines_joined_with_lf_and_trailing_lf_removed() -> None:
    assert feed_all(b"data: a\ndata:\ndata: b\ndata\n\n") == [("message", "a\n\nb\n", "")]


def test_event_type_defaults_to_message_and_resets_after_dispatch() -> None:
    assert feed_all(b"event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n") == [
        ("add", "1", ""), ("message", "2", ""), ("message", "3", "")]


def test_event_type_resets_even_when_nothing_is_dispatched() -> None:
    assert feed_all(b"event: add\n\ndata: 1\n\n") == [("message", "1", "")]


def test_last_event_wins_for_event_and_id_fields() -> None:
    assert feed_all(b"event: a\nevent: b\nid: 1\nid: 2\ndata: x\n\n") == [("b", "x", "2")]


def test_id_persists_across_events() -> None:
    assert feed_all(b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n") == [
        ("message", "a", "7"), ("message", "b", "7"), ("message", "c", "")]


def test_id_with_nul_is_ignored() -> None:
    assert feed_all(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n") == [
        ("message", "a", "1"), ("message", "b", "1")]


def test_id_without_data_updates_last_event_id_without_dispatch() -> None:
    out, dec = run([b"id: 5\n\n"])
    assert out == [] and dec.last_event_id == "5"


def test_last_event_id_is_set_at_blank_line_not_at_id_field() -> None:
    # An id inside an event that never finished must not be used to resume (it was not seen).
    dec = SSEDecoder(last_event_id="4")
    dec.feed(b"id: 5\ndata: x\n", 0.0, 0)
    assert dec.last_event_id == "4" and dec.last_event_id_buffer == "5"
    dec.close(1.0)
    assert dec.last_event_id == "4" and dec.dropped_unfinished


def test_initial_last_event_id_is_used_until_changed() -> None:
    assert feed_all(b"data: a\n\n", last_event_id="prev") == [("message", "a", "prev")]


@pytest.mark.parametrize(("line", "expected"), [
    (b"retry: 3000", [3000]), (b"retry:15", [15]), (b"retry: 007", [7]),
    (b"retry: 3.5", []), (b"retry: -1", []), (b"retry: 1e3", []), (b"retry:", []),
    (b"retry: 10 ", []), (b"retry:  10", []), (b"retry: \xd9\xa3", []),  # Arabic-Indic 3
    (b"retry", []),
])
def test_retry_only_when_all_ascii_digits(line: bytes, expected: list[int]) -> None:
    assert feed_all(line + b"\n") == expected


def test_retry_is_reported_when_processed_not_at_dispatch() -> None:
    dec = SSEDecoder()
    [r] = dec.feed(b"data: a\nretry: 10\n", 5.0, 0)
    assert isinstance(r, Retry) and (r.ms, r.t) == (10, 5.0)
    assert simple(dec.feed(b"\n", 6.0, 1)) == [("message", "a", "")]


def test_retry_beyond_64_bits_is_reported_as_sent_and_invalid_ones_counted() -> None:
    big = 10**30 + 7  # the engine clamps only the delay it uses (test_session_reconnect)
    out, dec = run([b"retry: %d\nretry: x\nretry:\nretry: 000%d\n" % (big, 2**64)])
    assert simple(out) == [big, 2**64]
    assert dec.invalid_retry == 2


def test_retry_beyond_the_int_conversion_limit_is_invalid_not_a_crash() -> None:
    out, dec = run([b"retry: " + b"9" * 5000 + b"\ndata: a\n\n"])
    assert simple(out) == [("message", "a", "")] and dec.invalid_retry == 1


def test_empty_data_buffer_does_not_dispatch() -> None:
    assert feed_all(b"event: x\nid: 1\n\n\n\ndata: y\n\n") == [("message", "y", "1")]


def test_unfinished_event_at_end_of_stream_is_not_dispatched() -> None:
    out, dec = run([b"data: a\n\ndata: b\n"])
    assert simple(out) == [("message", "a", "")] and dec.dropped_unfinished


def test_unterminated_last_line_is_not_processed() -> None:
    out, dec = run([b"data: a\n\nretry: 5"])
    assert simple(out) == [("message", "a", "")] and dec.dropped_unfinished


def test_clean_end_or_trailing_comment_is_not_reported_as_dropped() -> None:
    for stream in (b"data: a\n\n", b"data: a\n\n: bye\n", b"data: a\n\n: by", b""):
        assert not run([stream])[1].dropped_unfinished, stream


def test_unknown_fields_ignored_and_recorded() -> None:
    out, dec = run([b"foo: 1\nDATA: 2\nData: 3\n data: 4\ndata: ok\n\n"])
    assert simple(out) == [("message", "ok", "")]
    assert dec.unknown_fields == {"foo", "DATA", "Data", " data"}


def test_unknown_fields_set_is_capped() -> None:
    _, dec = run([b"".join(b"f%d: x\n" % i for i in range(1000)) + b"y" * 500 + b":\n"])
    assert len(dec.unknown_fields) == 32


# ------------------------------------------------------------------ bytes, BOM, UTF-8

def test_leading_bom_is_stripped_once() -> None:
    assert feed_all(b"\xef\xbb\xbfdata: a\n\n") == [("message", "a", "")]
    # A second BOM is content: it makes the first field name "\ufeffdata", unknown.
    assert feed_all(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n") == [("message", "b", "")]


def test_bom_split_across_reads() -> None:
    for chunks in ([b"\xef", b"\xbb", b"\xbfdata: a\n\n"], [b"\xef\xbb", b"\xbfdata: a\n\n"],
                   [b"", b"\xef", b"", b"\xbb\xbf", b"data: a\n\n"]):
        out, dec = run(chunks)
        assert simple(out) == [("message", "a", "")] and dec.saw_bom


def test_bom_only_at_stream_start() -> None:
    out, dec = run([b"data: a\n\n", b"\xef\xbb\xbfdata: b\n\n"])
    assert simple(out) == [("message", "a", "")] and not dec.saw_bom


def test_bom_prefix_that_is_not_a_bom_is_kept_as_text() -> None:
    # EF BB then ":" is a cut sequence (one U+FFFD): the first line is a field named "\ufffd".
    out, dec = run([b"\xef", b"\xbb: x\ndata: a\n\n"])
    [ev] = [r for r in out if isinstance(r, Event)]
    assert isinstance(ev, Event) and ev.data == "a" and ev.first_chunk == 0
    assert dec.invalid_utf8 and not dec.saw_bom
    assert seen(out) == [("invalid-utf8", ""), ("unknown-field", "\ufffd")]


def test_invalid_utf8_becomes_replacement_character() -> None:
    assert feed_all(b"data: a\xffb\xc3(\xed\xa0\x80\n\n") == [
        ("message", "a\ufffdb\ufffd(\ufffd\ufffd\ufffd", "")]
    assert run([b"data: a\xff\n\n"])[1].invalid_utf8


def test_incomplete_sequence_before_line_end() -> None:
    assert feed_all(b"data: \xe2\x82\ndata: \xf0\x9f\x98\n\n") == [
        ("message", "\ufffd\n\ufffd", "")]


def test_multibyte_characters_split_across_reads() -> None:
    stream = "data: é€😀\nevent: ü\n\n".encode()
    assert feed_all(stream) == [("ü", "é€😀", "")]
    assert not run([stream[:8], stream[8:]])[1].invalid_utf8


def test_real_replacement_character_is_not_invalid_utf8() -> None:
    stream = "data: \ufffd\n\n".encode()
    for i in range(len(stream) + 1):
        out, dec = run([stream[:i], stream[i:]])
        assert simple(out) == [("message", "\ufffd", "")] and not dec.invalid_utf8, i


def test_truncated_character_at_end_of_stream() -> None:
    out, dec = run([b"data: a\n\n\xe2\x82"])
    assert simple(out) == [("message", "a", "")] and dec.invalid_utf8


def test_nul_in_data_is_kept() -> None:
    assert feed_all(b"data: a\x00b\n\n") == [("message", "a\x00b", "")]


# ------------------------------------------------------------------ records and chunk links

def test_event_fields_seq_t_and_chunk_span() -> None:
    dec = SSEDecoder(next_seq=5)
    assert dec.feed(b": hi\n\nid: 1\nda", 1.0, 0) == [Comment(1.0, "hi", 0)]
    assert dec.feed(b"ta: x", 2.0, 1) == []
    out = dec.feed(b"\n\ndata: y\n\n", 3.0, 2)
    assert out == [Event(5, 3.0, "message", "x", "1", 0, 2),
                   Event(6, 3.0, "message", "y", "1", 2, 2)]
    assert dec.next_seq == 7 and dec.last_event_id == "1"


def test_first_chunk_counts_from_first_non_empty_line_after_dispatch() -> None:
    dec = SSEDecoder()
    dec.feed(b"data: a\n\n\n", 0.0, 0)  # extra blank lines belong to nobody
    dec.feed(b"\n", 0.0, 1)
    dec.feed(b": comment\n", 0.0, 2)  # a comment starts the next event's span
    [ev] = dec.feed(b"data: b\n\n", 0.0, 3)
    assert (ev.first_chunk, ev.last_chunk) == (2, 3)  # type: ignore[union-attr]


def test_first_chunk_when_a_character_is_split_at_line_start() -> None:
    dec = SSEDecoder()
    dec.feed(b"data: a\n\n\xc3", 0.0, 0)
    notice, ev = dec.feed(b"\xa9: x\ndata: b\n\n", 0.0, 1)
    assert notice == Notice(0.0, "unknown-field", "\xe9", 1)  # a field named "é"
    assert (ev.first_chunk, ev.last_chunk) == (0, 1)  # type: ignore[union-attr]


def test_empty_reads_change_nothing() -> None:
    out, _ = run([b"", b"data: a", b"", b"\n", b"", b"\n", b""])
    assert simple(out) == [("message", "a", "")]


def test_to_json_matches_capture_contract() -> None:
    [ev] = SSEDecoder().feed(b"id: 3\nevent: e\ndata: d\n\n", 0.5, 0)
    assert ev.to_json() == {"type": "event", "t": 0.5, "seq": 0, "event": "e", "data": "d",
                            "id": "3"}


# ------------------------------------------------------------------ what the decoder saw

def test_comments_are_records_with_one_space_removed() -> None:
    assert seen_all(b": ping\n\n:no space\n:  two\n:\ndata: a\n\n") == [
        ("comment", "ping"), ("comment", "no space"), ("comment", " two"), ("comment", "")]


def test_a_comment_record_has_its_time_and_chunk() -> None:
    dec = SSEDecoder()
    assert dec.feed(b": keep", 1.0, 0) == []
    assert dec.feed(b"-alive\r", 2.0, 1) == [Comment(2.0, "keep-alive", 1)]


def test_an_unfinished_comment_at_the_end_is_not_reported() -> None:
    out, dec = run([b"data: a\n\n: by"])
    assert seen(out) == [] and not dec.dropped_unfinished


@pytest.mark.parametrize(("stream", "expected"), [
    (b"\xef\xbb\xbfdata: a\n\n", [("bom", "")]),
    (b"data: a\r\n\r\ndata: b\n\n", [("line-ends", "lf+crlf")]),
    (b"retry: soon\nretry: 10\nretry: 1x\n\n", [("invalid-retry", "soon"),
                                              ("invalid-retry", "1x")]),
    (b"foo: 1\nfoo: 2\nbar\n\n", [("unknown-field", "foo"), ("unknown-field", "bar")]),
    (b"data: \xff\n\ndata: \xfe\n\n", [("invalid-utf8", "")]),
    (b"data: a\n\ndata: b\n", [("unfinished-event", "")]),
    (b"data: \xef\xbf\xbd\n\n", []),  # a real U+FFFD is not invalid UTF-8
    (b"data: a\n\ndata: b\n\n", []),
])
def test_notices_whatever_the_reads(stream: bytes, expected: list[tuple[str, str]]) -> None:
    assert seen_all(stream) == expected


def test_line_ends_notices_say_the_kinds_so_far() -> None:
    """One notice per new kind joining the others, in the read that brought it: a read
    holding two new kinds says both at once."""
    stream = b"data: a\n\ndata: b\r\n\r\ndata: c\r\r"
    assert seen(run([stream])[0]) == [("line-ends", "lf+crlf+cr")]
    assert seen(run([stream[:18], stream[18:]])[0]) == [("line-ends", "lf+crlf"),
                                                        ("line-ends", "lf+crlf+cr")]
    for i in range(1, len(stream)):
        notices = seen(run([stream[:i], stream[i:]])[0])
        assert notices[-1] == ("line-ends", "lf+crlf+cr") and len(notices) <= 2, i


def test_a_crlf_split_between_reads_is_not_a_lone_cr() -> None:
    out, _ = run([b"data: a\r", b"\n\r", b"\ndata: b\r", b"\n\r\n"])
    assert simple(out) == [("message", "a", ""), ("message", "b", "")] and seen(out) == []


def test_a_stream_ending_with_a_lone_cr_says_so_at_close() -> None:
    out, _ = run([b"data: a\n\n: x\r"])
    assert seen(out) == [("comment", "x"), ("line-ends", "lf+cr")]


def test_notices_point_at_the_read_and_are_bounded() -> None:
    out, dec = run([b"data: a\n\n", b"x: 1\n", b"".join(b"f%d: x\nretry: r%d\n" % (i, i)
                                                      for i in range(1000)) + b"\n"])
    notices = [r for r in out if isinstance(r, Notice)]
    assert notices[0] == Notice(11.0, "unknown-field", "x", 1)
    assert sum(n.code == "unknown-field" for n in notices) == MAX_NOTICES
    assert sum(n.code == "invalid-retry" for n in notices) == MAX_NOTICES
    assert dec.invalid_retry == 1000
    long_name = run([b"n" * 100 + b": v\n\n"])[0]
    assert seen(long_name) == [("unknown-field", "n" * 64)]
