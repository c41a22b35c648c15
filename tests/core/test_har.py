"""HAR 1.2 export: validated against the structure the spec requires, from real streams.

The checker below encodes the HAR 1.2 spec (http://www.softwareishard.com/blog/har-12-spec/):
every required field with its type, for each object; optional fields are type-checked when
present. No HAR library is needed.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from stream_core.capture.har import body_bytes, events_ndjson, to_har
from stream_core.capture.reader import read_capture
from stream_core.net.spec import RequestSpec
from stream_core.records import Chunk, Request, Response
from tests.core.test_capture_file import live

NUM = (int, float)
NV = {"name": str, "value": str}
SCHEMA: dict[str, dict[str, Any]] = {
    "log": {"version": str, "creator": "creator", "entries": ["entry"]},
    "creator": {"name": str, "version": str},
    "entry": {"startedDateTime": str, "time": NUM, "request": "request",
              "response": "response", "cache": dict, "timings": "timings"},
    "request": {"method": str, "url": str, "httpVersion": str, "cookies": ["cookie"],
                "headers": ["nv"], "queryString": ["nv"], "headersSize": int, "bodySize": int},
    "response": {"status": int, "statusText": str, "httpVersion": str, "cookies": ["cookie"],
                 "headers": ["nv"], "content": "content", "redirectURL": str,
                 "headersSize": int, "bodySize": int},
    "cookie": {"name": str, "value": str},
    "nv": NV,
    "content": {"size": int, "mimeType": str},
    "timings": {"send": NUM, "wait": NUM, "receive": NUM},
    "postData": {"mimeType": str},
}
OPTIONAL = {
    "log": {"pages": list, "comment": str},
    "request": {"postData": "postData"},
    "content": {"text": str, "encoding": str, "compression": int},
    "timings": {"blocked": NUM, "dns": NUM, "connect": NUM, "ssl": NUM},
    "postData": {"text": str, "params": list},
}


def check(kind: str, obj: Any, where: str = "") -> None:
    assert isinstance(obj, dict), f"{where}: {kind} is not an object"
    for key, want in SCHEMA[kind].items():
        assert key in obj, f"{where}.{key} missing"
        check_value(want, obj[key], f"{where}.{key}")
    for key, want in OPTIONAL.get(kind, {}).items():
        if key in obj:
            check_value(want, obj[key], f"{where}.{key}")


def check_value(want: Any, value: Any, where: str) -> None:
    if isinstance(want, str):
        check(want, value, where)
    elif isinstance(want, list):
        assert isinstance(value, list), f"{where} is not an array"
        for i, item in enumerate(value):
            check(want[0], item, f"{where}[{i}]")
    else:
        assert isinstance(value, want) and not isinstance(value, bool), f"{where}: {value!r}"


def validate(har: dict[str, Any]) -> None:
    """The HAR 1.2 structure, plus the rules stated in prose: ISO dates, sane timings."""
    har = json.loads(json.dumps(har))  # it must be plain JSON
    check("log", har["log"], "log")
    assert har["log"]["version"] == "1.2"
    for entry in har["log"]["entries"]:
        datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
        t = entry["timings"]
        assert all(t[k] >= 0 for k in ("send", "wait", "receive"))
        assert abs(entry["time"] - (t["send"] + t["wait"] + t["receive"])) < 0.01
        content = entry["response"]["content"]
        if content.get("encoding") == "base64":
            base64.b64decode(content["text"], validate=True)


def test_sse_stream_to_har(demo_server: str, tmp_path: Path) -> None:
    path = tmp_path / "a.sicap"
    live(RequestSpec(f"{demo_server}/sse/tour?interval=0&token=abc"), path)
    cap = read_capture(path)
    assert cap.started is not None
    har = to_har(cap.records, started=cap.started)
    validate(har)
    [entry] = har["log"]["entries"]
    assert entry["response"]["status"] == 200
    assert entry["response"]["content"]["text"].encode() == cap.body
    assert entry["response"]["content"]["mimeType"].startswith("text/event-stream")
    assert {"name": "token", "value": "***"} in entry["request"]["queryString"]
    assert len(entry["_chunks"]) == len(cap.chunks)
    # (chunks of one network read share its arrival time)
    assert entry["timings"]["receive"] > 0 or len({c.t for c in cap.chunks}) == 1
    assert events_ndjson(cap.records).count(b"\n") == sum(
        r.type == "event" for r in cap.records)
    assert body_bytes(cap.records) == cap.body


def test_post_gzip_and_binary(demo_server: str, tmp_path: Path) -> None:
    body = json.dumps({"model": "demo", "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    path = tmp_path / "llm.sicap"
    live(RequestSpec(f"{demo_server}/v1/chat/completions", method="POST", body=body,
                     headers=[("Content-Type", "application/json")]), path)
    cap = read_capture(path)
    har = to_har(cap.records, started=cap.started or 0.0, request_body=cap.request_body)
    validate(har)
    post = har["log"]["entries"][0]["request"]["postData"]
    assert post["mimeType"] == "application/json" and json.loads(post["text"])["stream"]
    assert har["log"]["entries"][0]["request"]["bodySize"] == len(body)

    # gzip: content.text is the decoded body, bodySize what went over the wire
    raw = gzip.compress(b"data: hello\n\n")
    records = [Request(0.0, "GET", "http://x/", []),
               Response(0.1, 200, "OK", "HTTP/1.1", [("Content-Type", "text/event-stream"),
                                                     ("Content-Encoding", "gzip")], "sse"),
               Chunk(0, 0.2, 0, raw)]
    har = to_har(records, started=0.0)
    validate(har)
    content = har["log"]["entries"][0]["response"]["content"]
    assert content["text"] == "data: hello\n\n"
    assert har["log"]["entries"][0]["response"]["bodySize"] == len(raw)
    assert content["compression"] == 13 - len(raw)

    # binary: base64
    records[1] = Response(0.1, 200, "OK", "HTTP/1.1", [], "raw")
    records[2] = Chunk(0, 0.2, 0, bytes(range(256)))
    har = to_har(records, started=0.0)
    validate(har)
    content = har["log"]["entries"][0]["response"]["content"]
    assert content["encoding"] == "base64"
    assert base64.b64decode(content["text"]) == bytes(range(256))


def test_failed_and_reconnected_streams(demo_server: str, tmp_path: Path) -> None:
    path = tmp_path / "fail.sicap"
    port_closed = "http://127.0.0.1:9/never"
    live(RequestSpec(port_closed), path)
    cap = read_capture(path)
    har = to_har(cap.records, started=cap.started or 0.0)
    validate(har)
    assert har["log"]["entries"][0]["response"]["status"] == 0
    assert "_error" in har["log"]["entries"][0]["response"]

    path = tmp_path / "resume.sicap"
    live(RequestSpec(f"{demo_server}/faults/resume?count=6&drop_every=3&retry=10",
                     reconnect=True), path)
    cap = read_capture(path)
    har = to_har(cap.records, started=cap.started or 0.0)
    validate(har)
    assert len(har["log"]["entries"]) == sum(r.type == "request" for r in cap.records) >= 2
