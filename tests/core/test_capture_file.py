"""Capture files: written while streaming, read back record for record, bad files handled."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from stream_core.capture.masking import MASK, mask_url
from stream_core.capture.reader import FORMAT, CaptureError, read_capture
from stream_core.capture.records_file import CaptureWriter
from stream_core.net.session import Clients, run
from stream_core.net.spec import RequestSpec
from stream_core.records import AnyRecord, Chunk, End, Event, Request, Response
from tests.core.test_capture import ROOT, command, env


def live(spec: RequestSpec, path: Path, on_record: Callable[[AnyRecord], None] | None = None,
         **kw: object) -> list[AnyRecord]:
    """Stream ``spec`` once, saving it to ``path``; the records the engine reported."""
    records: list[AnyRecord] = []

    async def go() -> None:
        clients = Clients()
        writer = CaptureWriter(path, request_body=spec.body, mode=spec.mode.value, **kw)  # type: ignore[arg-type]

        def observer(record: AnyRecord) -> None:
            records.append(record)
            writer(record)
            if on_record is not None:
                on_record(record)
        try:
            await run(clients, spec, observer)
        finally:
            writer.close()
            await clients.aclose()
    asyncio.run(go())
    return records


def test_round_trip_records(demo_server: str, tmp_path: Path) -> None:
    path = tmp_path / "a.sicap"
    spec = RequestSpec(f"{demo_server}/sse/tour?interval=0", headers=[("X-Trace", "1")])
    records = live(spec, path)
    cap = read_capture(path)
    assert cap.warnings == []
    assert cap.records == records  # every field, exact times and chunk spans included
    assert cap.body == b"".join(r.data for r in records if isinstance(r, Chunk))
    events = [r for r in cap.records if isinstance(r, Event)]
    originals = [r for r in records if isinstance(r, Event)]
    assert [(e.first_chunk, e.last_chunk) for e in events] == [
        (e.first_chunk, e.last_chunk) for e in originals]
    assert cap.response is not None and cap.response.reason == "OK"
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert header["format"] == FORMAT and header["version"] == "1.1"
    assert header["secrets"] == "masked" and header["mode"] == "auto"


def test_secrets_masked_by_default(demo_server: str, tmp_path: Path) -> None:
    secret_headers = [("Authorization", "Bearer sk-123"), ("X-Api-Key", "k-456"),
                      ("Cookie", "sid=789"), ("X-Auth-Token", "t-000"), ("Accept", "*/*")]
    url = f"{demo_server}/events?count=1&interval=0&api_key=q-111"
    masked, kept = tmp_path / "m.sicap", tmp_path / "k.sicap"
    live(RequestSpec(url, headers=secret_headers), masked)
    live(RequestSpec(url, headers=secret_headers), kept, save_secrets=True)
    text = masked.read_text()
    for secret in ("sk-123", "k-456", "sid=789", "t-000", "q-111"):
        assert secret not in text
    request = read_capture(masked).request
    assert request is not None
    values = dict((k.lower(), v) for k, v in request.headers)
    assert values["authorization"] == f"Bearer {MASK}" and values["accept"] == "*/*"
    assert "api_key=***" in request.url
    assert all(s in kept.read_text() for s in ("sk-123", "k-456", "q-111"))


def test_mask_url_keeps_plain_urls() -> None:
    assert mask_url("http://h/p?a=1&b=2") == "http://h/p?a=1&b=2"
    assert mask_url("http://u:pw@h/p?token=x&n=1") == "http://u:***@h/p?token=***&n=1"


def test_written_while_streaming(demo_server: str, tmp_path: Path) -> None:
    """The file holds the first events while the stream is still running."""
    path = tmp_path / "live.sicap"
    seen: list[int] = []

    def check(record: AnyRecord) -> None:
        if isinstance(record, Event) and record.seq == 1:
            # one event later, the first has reached the disk (flushed within 100 ms)
            seen.append(sum(isinstance(r, Event) for r in read_capture(path).records))
    live(RequestSpec(f"{demo_server}/events?count=4&interval=0.3"), path, check)
    assert seen and seen[0] >= 1
    assert isinstance(read_capture(path).records[-1], End)


def _sample(tmp_path: Path) -> Path:
    path = tmp_path / "s.sicap"
    write_sample(path)
    return path


def write_sample(path: Path) -> None:
    """A small finished SSE capture: 3 chunks, one event each (tests of the window use it)."""
    with CaptureWriter(path) as w:
        w(Request(0.0, "GET", "http://127.0.0.1/x", []))
        w(Response(0.01, 200, "OK", "HTTP/1.1", [("content-type", "text/event-stream")], "sse"))
        for i in range(3):
            w(Chunk(i, 0.02 + i * 0.01, i * 10, b"data: %d\n\n\n" % i))
            w(Event(i, 0.02 + i * 0.01, "message", str(i), "", i, i))
        w(End(0.05, 30, 3, 3, 0.05, True))


def test_truncated_file_opens_intact_part(tmp_path: Path) -> None:
    path = _sample(tmp_path)
    data = path.read_bytes()
    cut = data[: data.rindex(b'{"type":"event","t":0.04')+ 25]  # inside the last event line
    path.write_bytes(cut)
    cap = read_capture(path)
    assert [r.type for r in cap.records] == ["request", "response", "chunk", "event", "chunk",
                                             "event", "chunk"]
    assert any("truncated" in w for w in cap.warnings)
    assert any("no end record" in w for w in cap.warnings)
    done = cap.complete_records()
    assert isinstance(done[-1], End) and not done[-1].complete and done[-1].chunks == 3


def test_corrupted_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    path = _sample(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines[3] = b"\x00garbage{"
    lines[4] = b'{"type":"chunk","t":1,"seq":1,"offset":10,"size":5,"data_b64":"!!"}'
    path.write_bytes(b"\n".join(lines))
    cap = read_capture(path)
    assert len([w for w in cap.warnings if "corrupted" in w]) == 2
    assert "line 4" in cap.warnings[0]
    assert isinstance(cap.records[-1], End) and len(cap.records) == 7


@pytest.mark.parametrize("content, needle", [
    (b"", "empty"),
    (b"PK\x03\x04 zip bytes", "not a Stream Inspector capture"),
    (b'{"format":"something-else","version":"1.0"}\n', "not a Stream Inspector capture"),
    (b'{"type":"request","t":0,"method":"GET","url":"u","headers":[]}\n', "--save"),
    (b'{"format":"stream-inspector-capture","version":"2.0"}\n', "version 2.0"),
])
def test_bad_files_give_clear_errors(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "bad.sicap"
    path.write_bytes(content)
    with pytest.raises(CaptureError, match=needle):
        read_capture(path)


def test_newer_minor_version_opens_best_effort(tmp_path: Path) -> None:
    path = _sample(tmp_path)
    lines = path.read_bytes().split(b"\n")
    header = json.loads(lines[0])
    header["version"] = "1.7"
    lines[0] = json.dumps(header).encode()
    lines.insert(2, b'{"type":"hologram","t":0.0}')
    path.write_bytes(b"\n".join(lines))
    cap = read_capture(path)
    assert len(cap.records) == 9 and cap.version == "1.7"
    assert any("newer version (1.7)" in w for w in cap.warnings)
    assert any("hologram" in w for w in cap.warnings)


def test_unwritable_path_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        CaptureWriter(tmp_path / "missing-dir" / "x.sicap")


def test_capture_cli_save(demo_server: str, tmp_path: Path) -> None:
    path = tmp_path / "cli.sicap"
    proc = subprocess.run(command(f"{demo_server}/events?count=3&interval=0", "--save", str(path),
                                  "-H", "Authorization: Bearer hunter2"),
                          capture_output=True, cwd=ROOT, env=env(), timeout=30)
    assert proc.returncode == 0, proc.stderr
    printed = [json.loads(line) for line in proc.stdout.splitlines()]
    cap = read_capture(path)
    assert cap.warnings == []
    assert [r.to_json() for r in cap.records][1:] == printed[1:]
    assert "hunter2" not in path.read_text()  # stdout shows it, the file masks it
    assert sum(r.type == "event" for r in cap.records) == 3


def test_deeply_nested_lines_are_corrupted_lines_not_a_crash(tmp_path: Path) -> None:
    """'[' * 100000 raised RecursionError out of the reader (the window: traceback, exit 1)."""
    path = _sample(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines[3] = b"[" * 100_000
    lines[4] = (b'{"type":"record","t":0.03,"seq":0,"value":' + b"[" * 300 + b"]" * 300
                + b"}")
    path.write_bytes(b"\n".join(lines))
    cap = read_capture(path)
    assert "line 4 is corrupted (nested deeper than 256 levels); skipped" in cap.warnings
    assert "line 5 is corrupted (nested deeper than 256 levels); skipped" in cap.warnings
    assert isinstance(cap.records[-1], End)
    path.write_bytes(b"[" * 100_000 + b"\n")
    with pytest.raises(CaptureError, match="not a Stream Inspector capture"):
        read_capture(path)
