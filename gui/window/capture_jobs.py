"""What the capture actions do off the GUI thread: read a tab's recording, export it, compare.

Why a module of its own: these functions run in a worker (``gui.services.background.
off_loop``) and must not touch Qt; ``capture_actions`` takes what they need on the GUI thread
(a ``Recording``: the spool flushed and opened there) and shows what they return.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gui.stream.capture_spool import Recording, replay_records
from stream_core.capture.har import body_bytes, events_ndjson, to_har
from stream_core.capture.masking import masked, masked_request_body
from stream_core.capture.reader import Capture, read_capture
from stream_core.capture.records_file import atomic_write
from stream_core.records import AnyRecord, Chunk, Event, Record

if TYPE_CHECKING:
    from gui.views.compare_view import Comparison

__all__ = ["Source", "compare_records", "complete", "export_data", "export_file",
           "export_pieces", "json_pieces", "read_complete", "read_for_replay"]

#: Items dropped per statement when a big list is let go in a worker (see ``_let_go``).
PIECE = 10_000
#: Characters of one string JSON-encoded per call (see ``json_pieces``).
PIECE_CHARS = 1 << 20


def complete(recording: Recording) -> list[AnyRecord]:
    """A tab's records so far, ending in an ``End`` (an incomplete one while it runs)."""
    return Capture("", "", recording.records()).complete_records()


def read_complete(path: str) -> list[AnyRecord]:
    """A capture file's records, ending in an ``End`` (CaptureError / OSError if not)."""
    return read_capture(path).complete_records()


def read_for_replay(path: str) -> tuple[Capture, list[AnyRecord]]:
    """A capture file and what its tab replays (``replay_records``)."""
    capture = read_capture(path)
    return capture, replay_records(capture)


def export_data(kind: str, records: list[AnyRecord], *, secrets: bool, started: float,
                request_body: bytes | None) -> bytes:
    """The bytes of an export: ``har``, ``events`` (NDJSON) or ``body`` (as received); secret
    values masked unless ``secrets`` (every export, as every saved file)."""
    records, request_body = _unless_secrets(secrets, records, request_body)
    if kind == "events":
        return events_ndjson(records)
    if kind == "body":
        return body_bytes(records)
    har = to_har(records, started=started, request_body=request_body)
    return json.dumps(har, ensure_ascii=False, indent=1).encode("utf-8", "surrogatepass")


def export_pieces(kind: str, records: list[AnyRecord], *, secrets: bool, started: float,
                  request_body: bytes | None) -> Iterator[bytes]:
    """``export_data`` a piece at a time (joined, the same bytes).

    Why: in a worker, one call over a whole export (a million events' HAR holds a 100 MB
    body string: ~1.7 s of ``json.dumps``, 0.3 s of decoding) holds the GIL, and so the GUI
    thread, for all of it; in pieces, the GIL changes hands between them.
    """
    records, request_body = _unless_secrets(secrets, records, request_body)
    if kind == "events":
        lines = (json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":"))
                 for r in records if isinstance(r, Event | Record))
        first = True
        for batch in _batches(lines, 4096):
            text = ("" if first else "\n") + "\n".join(batch)
            first = False
            yield text.encode("utf-8", "surrogatepass")
        if not first:
            yield b"\n"
        return
    if kind == "body":
        yield from (r.data for r in records if isinstance(r, Chunk))
        return
    har = to_har(records, started=started, request_body=request_body)
    for text in json_pieces(har, indent=1):
        yield text.encode("utf-8", "surrogatepass")


def _unless_secrets(secrets: bool, records: list[AnyRecord], request_body: bytes | None
                    ) -> tuple[list[AnyRecord], bytes | None]:
    """``records`` and the request's body with secret values masked, unless ``secrets``."""
    if secrets:
        return records, request_body
    return masked(records), masked_request_body(records, request_body)


def json_pieces(obj: Any, *, indent: int, piece: int | None = None) -> Iterator[str]:
    """``json.dumps(obj, ensure_ascii=False, indent=indent)`` in pieces: strings longer
    than ``piece`` are encoded a slice at a time (escaping is per character, so slices
    encoded apart join to the whole), the rest in one go (``piece``: ``PIECE_CHARS``)."""
    size = piece or PIECE_CHARS
    nonce = os.urandom(8).hex()
    big: list[str] = []

    def stub(value: Any) -> Any:
        if isinstance(value, str) and len(value) > size:
            big.append(value)
            return f"\x00{nonce}:{len(big) - 1}\x00"
        if isinstance(value, dict):
            return {k: stub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [stub(v) for v in value]
        return value

    skeleton = json.dumps(stub(obj), ensure_ascii=False, indent=indent)
    start = 0
    for i, text in enumerate(big):
        mark = json.dumps(f"\x00{nonce}:{i}\x00")
        at = skeleton.index(mark, start)
        yield skeleton[start:at] + '"'
        for j in range(0, len(text), size):
            yield json.dumps(text[j:j + size], ensure_ascii=False)[1:-1]
        yield '"'
        start = at + len(mark)
    yield skeleton[start:]


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def export_file(kind: str, recording: Recording, path: str, *, secrets: bool, started: float,
                request_body: bytes | None) -> int:
    """Write an export of ``recording`` to ``path`` (atomically: a failure leaves the file
    that was there), a piece at a time; its size. CaptureError / OSError if it cannot."""
    records = complete(recording)
    size = 0
    with atomic_write(path) as out:
        for data in export_pieces(kind, records, secrets=secrets, started=started,
                                  request_body=request_body):
            out.write(data)
            size += len(data)
    _let_go(records)
    return size


#: What a comparison reads: a tab's recording, or a capture file's path.
Source = Recording | str


def _read(source: Source) -> list[AnyRecord]:
    return read_complete(source) if isinstance(source, str) else complete(source)


def compare_records(a: Source, b: Source) -> Comparison:
    """The comparison of two streams' records (``gui.views.compare_view.comparison``);
    CaptureError / OSError when one cannot be read."""
    from gui.views.compare_view import comparison

    try:
        ra, rb = _read(a), _read(b)
    finally:
        for source in (a, b):  # (one that failed first leaves the other unread)
            if isinstance(source, Recording):
                source.close()
    result = comparison(ra, rb)
    _let_go(ra, rb)
    return result


def _let_go(*lists: list[Any]) -> None:
    """Empty big lists a piece at a time: freeing a million records in one statement holds
    the GIL (and so the GUI thread) for the whole of it."""
    for items in lists:
        while items:
            del items[-PIECE:]
