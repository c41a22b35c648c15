"""Downloads against servers that lie: a resume never splices two versions of a file, the
digests a server announces are checked, and the ``.part`` is never written through a link."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from stream_core.net import download as dl
from stream_core.net.spec import Mode, RequestSpec, Timeouts
from stream_core.records import AnyRecord, Progress
from tests.core.conftest import Capture, collect, collect_async
from tests.core.rawserver import Conn, RawServer, head

V1 = bytes(range(256)) * 12  # 3072 bytes: the version the .part began with
V2 = bytes(reversed(range(256))) * 12  # the version the server has now
KEPT = 1000


def spec(url: str, out: Path, **kw: Any) -> RequestSpec:
    kw.setdefault("timeouts", Timeouts(connect=5, read=5, total=20))
    return RequestSpec(url, mode=Mode.DOWNLOAD, output=str(out), **kw)


def range_ignoring_server(body: bytes, *, etag: str | None = '"v2"',
                          modified: str | None = None, total: int | None = None,
                          start: int | None = None, extra: tuple[str, ...] = ()) -> Any:
    """A server that answers any Range with 206 whatever If-Range says (it ignores it), with
    the given validators and Content-Range bounds; a plain GET gets the whole body."""

    def script(conn: Conn) -> None:
        req = conn.request.decode("latin-1").lower()
        validators = [f"ETag: {etag}"] if etag else []
        validators += [f"Last-Modified: {modified}"] if modified else []
        if "\r\nrange: bytes=" in req:
            asked = int(req.split("\r\nrange: bytes=")[1].split("-")[0])
            first = asked if start is None else start
            tail = body[first:]
            crange = f"bytes {first}-{len(body) - 1}/{total or len(body)}"
            conn.send(head("206 Partial Content", f"Content-Range: {crange}",
                           f"Content-Length: {len(tail)}", *validators, *extra) + tail)
        else:
            conn.send(head("200 OK", f"Content-Length: {len(body)}", *validators, *extra)
                      + body)

    return script


def plant_part(out: Path, **meta: Any) -> None:
    Path(dl.part_path(str(out))).write_bytes(V1[:KEPT])
    Path(dl.meta_path(str(out))).write_text(json.dumps({"total": len(V1), **meta}))


@pytest.mark.parametrize(("meta", "server", "why"), [
    ({"etag": '"v1"'}, {}, "ETag"),  # the file changed: a new ETag
    ({"last_modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
     {"etag": None, "modified": "Tue, 02 Jan 2024 00:00:00 GMT"}, "Last-Modified"),
    ({"etag": '"v2"'}, {"total": 4000}, "4000 bytes now"),  # same tag, other length
    ({"etag": '"v2"'}, {"start": 0}, "starts at byte 0"),  # a range we did not ask for
])
def test_resume_answered_with_another_file_restarts_from_zero(
        tmp_path: Path, meta: dict[str, Any], server: dict[str, Any], why: str) -> None:
    out = tmp_path / "f.bin"
    plant_part(out, **meta)
    with RawServer(range_ignoring_server(V2, **server)) as srv:
        cap = collect(spec(srv.url, out, resume=True))
    assert out.read_bytes() == V2, "the whole new version, never V1's head + V2's tail"
    assert cap.errors == [] and cap.end.complete
    assert cap.end.sha256 == hashlib.sha256(V2).hexdigest()
    [restart] = cap.of("reconnect")
    assert "restarting from zero" in restart.reason and why in restart.reason, restart.reason
    assert [r.status for r in cap.of("response")] == [206, 200]
    assert b"range:" in srv.requests[0].lower() and b"range:" not in srv.requests[1].lower()


def test_resume_of_the_same_file_still_splices(tmp_path: Path) -> None:
    out = tmp_path / "f.bin"
    Path(dl.part_path(str(out))).write_bytes(V2[:KEPT])
    Path(dl.meta_path(str(out))).write_text(json.dumps({"total": len(V2), "etag": '"v2"'}))
    with RawServer(range_ignoring_server(V2)) as srv:
        cap = collect(spec(srv.url, out, resume=True))
    assert cap.errors == [] and cap.end.complete and not cap.of("reconnect")
    assert out.read_bytes() == V2 and cap.end.bytes == len(V2) - KEPT


def _b64(algo: str, data: bytes) -> str:
    return base64.b64encode(hashlib.new(algo, data).digest()).decode()


@pytest.mark.parametrize("header", [
    "Repr-Digest: sha-256=:{sha256}:",
    "Digest: SHA-256={sha256}",
    "Digest: sha-512={sha512}",
    "Content-MD5: {md5}",
])
@pytest.mark.parametrize("good", [True, False])
def test_announced_digest_is_checked(tmp_path: Path, header: str, good: bool) -> None:
    sent = V2 if good else V1
    line = header.format(**{a: _b64(a, sent) for a in ("sha256", "sha512", "md5")})
    out = tmp_path / "f.bin"
    with RawServer(range_ignoring_server(V2, extra=(line,))) as srv:
        cap = collect(spec(srv.url, out))
    if good:
        assert cap.errors == [] and cap.end.complete and out.read_bytes() == V2
        return
    [(kind, message)] = cap.errors
    assert kind == "protocol" and "does not match" in message, message
    assert not out.exists() and not cap.end.complete
    assert not Path(dl.part_path(str(out))).exists(), "a corrupt .part is not kept to resume"


def test_repr_digest_covers_the_whole_resumed_file(tmp_path: Path) -> None:
    out = tmp_path / "f.bin"
    Path(dl.part_path(str(out))).write_bytes(V2[:KEPT])
    Path(dl.meta_path(str(out))).write_text(json.dumps({"total": len(V2), "etag": '"v2"'}))
    line = f"Repr-Digest: sha-256=:{_b64('sha256', V2)}:"
    with RawServer(range_ignoring_server(V2, extra=(line,))) as srv:
        cap = collect(spec(srv.url, out, resume=True))
    assert cap.errors == [] and cap.end.complete and out.read_bytes() == V2


@pytest.mark.parametrize("which", ["part", "meta"])
@pytest.mark.parametrize("resume", [False, True])
def test_a_symlinked_part_is_refused(tmp_path: Path, which: str, resume: bool) -> None:
    out = tmp_path / "f.bin"
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    link = dl.part_path(str(out)) if which == "part" else dl.meta_path(str(out))
    os.symlink(victim, link)
    with RawServer(range_ignoring_server(V2)) as srv:
        cap = collect(spec(srv.url, out, resume=resume))
    [(kind, message)] = cap.errors
    assert kind == "io" and link in message and "link" in message, message
    assert victim.read_bytes() == b"precious"
    assert not out.exists() and os.path.islink(link)
    assert srv.connections == 0, "refused before any request"


def test_a_fifo_part_is_refused_without_hanging(tmp_path: Path) -> None:
    out = tmp_path / "f.bin"
    os.mkfifo(dl.part_path(str(out)))
    with RawServer(range_ignoring_server(V2)) as srv:
        cap = collect(spec(srv.url, out, resume=True))
    [(kind, message)] = cap.errors
    assert kind == "io" and "not a regular file" in message, message


def test_a_part_swapped_while_downloading_is_not_renamed(demo_server: str,
                                                         tmp_path: Path) -> None:
    import asyncio

    out = tmp_path / "f.bin"
    part = dl.part_path(str(out))
    swapped: list[bool] = []

    def swap(rec: AnyRecord) -> None:
        if isinstance(rec, Progress) and not swapped:
            swapped.append(True)
            os.rename(part, part + ".moved")
            Path(part).write_bytes(b"someone else's file")

    url = f"{demo_server}/download?size={1 << 20}&rate={4 << 20}"
    cap: Capture = asyncio.run(collect_async(spec(url, out), swap))
    assert swapped
    [(kind, message)] = cap.errors
    assert kind == "io" and "replaced while downloading" in message, message
    assert not out.exists() and Path(part).read_bytes() == b"someone else's file"


@pytest.mark.parametrize("decode", [False, True])
def test_download_stores_the_body_as_sent_unless_asked(tmp_path: Path, decode: bool) -> None:
    plain = b"stream inspector " * 5000
    wire = gzip.compress(plain)

    def script(conn: Conn) -> None:
        conn.send(head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(wire)}")
                  + wire)

    out = tmp_path / "f.gz"
    with RawServer(script) as srv:
        cap = collect(spec(srv.url, out, decode=decode))
    assert cap.errors == [] and cap.end.complete
    assert out.read_bytes() == (plain if decode else wire)
    assert cap.end.bytes == len(wire), "end.bytes counts the wire bytes"
    assert cap.end.decoded_bytes == (len(plain) if decode else len(wire))
