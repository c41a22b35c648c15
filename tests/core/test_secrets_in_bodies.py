"""A secret value the request sent never appears in a masked artifact, wherever the server
puts it back (issue 25, item 20): chunks, events, NDJSON records, HAR; one ``*`` per byte, so
sizes, offsets and framing stay exact; split across reads at any point; in a compressed body.
"""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import zlib
from pathlib import Path

import pytest

from stream_core.capture.har import to_har
from stream_core.capture.masking import Masker, masked
from stream_core.capture.reader import read_capture
from stream_core.records import AnyRecord, Chunk, End, Event, Record, Request, Response
from tests.core.rawserver import Conn, RawServer
from tests.core.test_capture import ROOT, command, env

KEY = "sk-planted-body-0001"
GOOG = "planted-goog-body-0002"
BASIC_PASSWORD = "planted-basic-0003"
BASIC = base64.b64encode(f"me:{BASIC_PASSWORD}".encode()).decode()


def _request() -> Request:
    return Request(0.0, "POST", "http://h/v1/x?api_key=planted-query-0004",
                   [("Authorization", f"Bearer {KEY}"), ("X-Goog-Api-Key", GOOG),
                    ("Proxy-Authorization", f"Basic {BASIC}")])


def _chunks(body: bytes, cuts: list[int]) -> list[Chunk]:
    out, last = [], 0
    for seq, cut in enumerate([*cuts, len(body)]):
        out.append(Chunk(seq, float(seq), last, body[last:cut]))
        last = cut
    return out


def _feed(records: list[AnyRecord]) -> list[AnyRecord]:
    masker = Masker()
    out: list[AnyRecord] = []
    for r in records:
        out.extend(masker.feed(r))
    return out + masker.flush()


BODY = (f'data: {{"echo": "{KEY}"}}\n\ndata: {GOOG}\n\n'
        f'data: me:{BASIC_PASSWORD} planted-query-0004\n\n').encode()


def test_a_secret_split_across_reads_at_any_point_is_blanked_exactly() -> None:
    response = Response(0.0, 200, "OK", "HTTP/1.1", [("Content-Type", "text/event-stream")],
                        "sse")
    secret_at = BODY.index(KEY.encode())
    for a in range(secret_at - 1, secret_at + len(KEY) + 1):
        for b in (a + 1, a + 3, a + len(KEY)):  # two cuts: 2 or 3 reads carry the secret
            chunks = _chunks(BODY, sorted({a, min(b, len(BODY) - 1)}))
            records: list[AnyRecord] = [_request(), response]
            for c in chunks:
                records += [c, Event(c.seq, c.t, "message", "x", "", c.seq, c.seq)]
            records.append(End(9.0, len(BODY), len(chunks), len(chunks), 9.0, True))
            out = _feed(records)
            # the same records in the same order, chunks the same sizes at the same offsets
            assert [r.type for r in out] == [r.type for r in records], (a, b)
            got = [r for r in out if isinstance(r, Chunk)]
            assert [(c.seq, c.offset, len(c.data)) for c in got] == \
                [(c.seq, c.offset, len(c.data)) for c in chunks]
            body = b"".join(c.data for c in got)
            want = BODY
            for secret in (KEY, GOOG, f"me:{BASIC_PASSWORD}", "planted-query-0004"):
                want = want.replace(secret.encode(), b"*" * len(secret))
            assert body == want, (a, b)


def test_events_records_and_json_values_are_blanked_to_the_same_length() -> None:
    masker = Masker()
    masker.record(_request())
    event = masker.record(Event(0, 0.0, "message", f'{{"k": "{KEY}"}}', GOOG))
    assert isinstance(event, Event)
    assert event.data == '{"k": "' + "*" * len(KEY) + '"}' and event.id == "*" * len(GOOG)
    value = {"error": {"message": f"Incorrect API key provided: {KEY}", GOOG: [GOOG]}}
    record = masker.record(Record(0, 0.0, json.dumps(value), value, None, True))
    assert isinstance(record, Record)
    assert KEY not in json.dumps(record.value) and GOOG not in json.dumps(record.value)
    assert len(record.text) == len(json.dumps(value))
    assert KEY not in record.text


def test_nothing_is_held_or_changed_without_secrets() -> None:
    records: list[AnyRecord] = [Request(0.0, "GET", "http://h/", [("Accept", "*/*")]),
                                *_chunks(BODY, [3, 10])]
    masker = Masker()
    for r in records:
        assert masker.feed(r) == [r]  # at once, and the very same objects


def _gzip_sse(secret: str) -> bytes:
    """SSE compressed as a server that flushes per event sends it."""
    comp = zlib.compressobj(wbits=31)
    out = b""
    for line in (b"data: first\n\n", f"data: {secret}\n\n".encode(), b"data: last\n\n"):
        out += comp.compress(line) + comp.flush(zlib.Z_SYNC_FLUSH)
    return out + comp.flush()


def test_a_compressed_body_has_the_reads_holding_a_secret_blanked_whole() -> None:
    body = _gzip_sse(KEY)
    assert KEY.encode() not in body and gzip.decompress(body).count(KEY.encode()) == 1
    response = Response(0.0, 200, "OK", "HTTP/1.1", [("Content-Type", "text/event-stream"),
                                                      ("Content-Encoding", "gzip")], "sse")
    for size in (7, 16, 64, len(body)):
        chunks = _chunks(body, list(range(size, len(body), size)))
        out = _feed([_request(), response, *chunks])
        got = [r for r in out if isinstance(r, Chunk)]
        assert [len(c.data) for c in got] == [len(c.data) for c in chunks]
        # No read, nor any run of reads decoded from the start, gives the secret back.
        d = zlib.decompressobj(wbits=31)
        text = b""
        for c in got:
            try:
                text += d.decompress(c.data)
            except zlib.error:
                break
        assert KEY.encode() not in text
        assert any(c.data == b"*" * len(c.data) for c in got)
        if size <= 16:  # the first event's reads are kept as they came
            assert got[0].data == chunks[0].data


def _echo(conn: Conn) -> None:
    """Sends back the request's secret header values, in an SSE stream and in an error."""
    head = conn.request.decode("latin-1")
    values = [line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:]
              if line.lower().startswith(("authorization", "x-goog-api-key"))]
    body = "".join(f"data: {v}\n\n" for v in values).encode()
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: "
              + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n")
    for i in range(0, len(body), 7):  # small writes: the reads split the values
        conn.send(body[i:i + 7])


def test_an_echoed_secret_is_in_no_saved_capture_or_har(tmp_path: Path) -> None:
    paths = {keep: tmp_path / f"echo-{keep}.sicap" for keep in (False, True)}
    with RawServer(_echo) as server:
        for keep, path in paths.items():
            proc = subprocess.run(
                command(f"{server.url}/echo", "-H", f"Authorization: Bearer {KEY}",
                        "-H", f"X-Goog-Api-Key: {GOOG}", "--save", str(path),
                        *(["--save-secrets"] if keep else [])),
                capture_output=True, cwd=ROOT, env=env(), timeout=60)
            assert proc.returncode == 0, proc.stderr
    kept, plain = read_capture(paths[True]), read_capture(paths[False])
    assert KEY in kept.body.decode() and GOOG in kept.body.decode()  # planted indeed
    text = paths[False].read_text()
    har = json.dumps(to_har(masked(kept.records), started=0.0))
    for artifact in (text, plain.body.decode(), har):
        assert KEY not in artifact and GOOG not in artifact
    assert len(plain.body) == len(kept.body)
    assert [e.data for e in plain.records if isinstance(e, Event)] == [
        "*" * len(f"Bearer {KEY}"), "*" * len(GOOG)]  # the whole value is a secret too
    assert oct(paths[True].stat().st_mode & 0o777) == "0o600"  # kept secrets: owner only


@pytest.mark.parametrize("secret", [KEY])
def test_json_escaped_secrets_are_found(secret: str) -> None:
    tricky = secret + '/"x'
    masker = Masker()
    masker.record(Request(0.0, "GET", "http://h/", [("Api-Key", tricky)]))
    event = masker.record(Event(0, 0.0, "message", json.dumps({"k": tricky}), ""))
    assert isinstance(event, Event) and secret not in event.data
