"""What request references read of a run, kept from its records (``ExchangeRecorder``: the
window keeps every named send this way, whatever its mode or Content-Encoding), and the
files a saved request's body reads (``body_files``: the window asks before a request run
first for a reference sends one)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from stream_core.records import AnyRecord, Chunk, End, Error, Request, Response
from stream_core.requests import build
from stream_core.requests.build import ExchangeRecorder, body_files
from stream_core.requests.environments import Variables
from stream_core.requests.httpfile import parse
from stream_core.requests.references import BadReference, extract

JSON = b'{"access_token": "tok-1", "user": {"id": 7}}'


def response(*headers: tuple[str, str], status: int = 200) -> Response:
    return Response(0.1, status, "OK", "HTTP/1.1", [("Content-Type", "application/json"),
                                                    *headers], "raw")


def end() -> End:
    return End(0.3, 0, 0, 0, 0.3, True)


def feed(recorder: ExchangeRecorder, records: list[AnyRecord]) -> None:
    for record in records:
        recorder(record)


def chunks(data: bytes, size: int) -> list[AnyRecord]:
    return [Chunk(i, 0.2, i * size, data[i * size:(i + 1) * size])
            for i in range((len(data) + size - 1) // size)]


def test_a_compressed_body_is_kept_decoded() -> None:
    recorder = ExchangeRecorder(b'{"u": 1}')
    wire = gzip.compress(JSON)
    feed(recorder, [Request(0.0, "POST", "http://h/login", [("X-Me", "1")]),
                    response(("Content-Encoding", "gzip"), ("X-Request-Id", "r-1")),
                    *chunks(wire, 7), end()])
    exchange = recorder.result()
    assert exchange.body == JSON and not exchange.truncated
    assert extract(exchange, "login", "response.body.$.user.id") == "7"
    assert extract(exchange, "login", "response.headers.X-Request-Id") == "r-1"
    assert extract(exchange, "login", "request.headers.X-Me") == "1"
    assert extract(exchange, "login", "request.body.$.u") == "1"


def test_the_last_response_counts_after_a_redirect() -> None:
    recorder = ExchangeRecorder()
    feed(recorder, [response(("Location", "/b"), status=302), *chunks(b"moved", 5),
                    response(), *chunks(JSON, 10), end()])
    exchange = recorder.result()
    assert (exchange.status, exchange.body) == (200, JSON)


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_a_body_past_the_bound_is_cut_and_said(monkeypatch: pytest.MonkeyPatch,
                                               encoding: str) -> None:
    monkeypatch.setattr(build, "MAX_BODY", 20)
    recorder = ExchangeRecorder()
    wire = gzip.compress(JSON) if encoding else JSON
    headers = [("Content-Encoding", encoding)] if encoding else []
    feed(recorder, [response(*headers), *chunks(wire, 8), end()])
    exchange = recorder.result()
    assert exchange.truncated and len(exchange.body) <= 20
    assert JSON.startswith(exchange.body)
    with pytest.raises(BadReference, match="larger than"):
        extract(exchange, "login", "response.body.$.access_token")


def test_a_failed_run_has_no_exchange() -> None:
    recorder = ExchangeRecorder()
    feed(recorder, [response(), *chunks(JSON[:10], 10),
                    Error(0.2, "protocol", "the body ended early"), end()])
    with pytest.raises(BadReference, match="the body ended early"):
        recorder.result()
    nothing = ExchangeRecorder()
    feed(nothing, [Error(0.1, "connect", "could not connect"), end()])
    with pytest.raises(BadReference, match="could not connect"):
        nothing.result()
    with pytest.raises(BadReference, match="no response"):
        ExchangeRecorder().result()


def test_body_files_are_those_the_request_reads(tmp_path: Path) -> None:
    doc = parse("""\
@dir = data

### whole
POST http://h/a
Content-Type: application/json

< ./{{dir}}/body.json

### parts
POST http://h/b
Content-Type: multipart/form-data; boundary=x

--x
Content-Disposition: form-data; name="f"; filename="a.txt"

< ./a.txt
--x--

### form
POST http://h/c
Content-Type: application/x-www-form-urlencoded

a=1
< ./not-a-file

### plain
GET http://h/d
""")
    found = {r.name: body_files(r, Variables.for_file(doc, None, None, None, r), tmp_path)
             for r in doc.requests}
    assert found == {"whole": [tmp_path / "data" / "body.json"], "parts": [tmp_path / "a.txt"],
                     "form": [], "plain": []}
