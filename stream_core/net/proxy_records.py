"""One exchange through the recording proxy, reported the engine's way (``records.py``).

Why apart from the forwarding (``proxy``): what an exchange *is* (its records, in order, with
exactly one ``End``) does not depend on how bytes are moved, and the window and the command
read only this side.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import httpx

from stream_core.decode.detect import Mode, detect_mode, needs_sniff
from stream_core.decode.lines import LineDecoder, NDJSONDecoder
from stream_core.decode.sse import SSEDecoder
from stream_core.net.arrival import Timed, clock_of
from stream_core.net.clients import content_decoder
from stream_core.net.errors import Failure, StreamError
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Observer,
    Progress,
    Record,
    Request,
    Response,
)

__all__ = ["Exchange", "ExchangeObserver", "ExchangeRecorder"]

PROGRESS_INTERVAL = 0.1


class _Decoder(Protocol):
    def feed(self, data: bytes, t: float, chunk_seq: int) -> Sequence[AnyRecord]: ...

    def close(self, t: float) -> Sequence[AnyRecord]: ...


@dataclass(slots=True)
class Exchange:
    """One request through the proxy, as the observer factory is told of it.

    ``request_body`` is set once the client's body has been read whole (None when larger than
    ``proxy.MAX_RECORDED_BODY``); ``status``, ``bytes`` and ``duration`` as the exchange goes.
    The proxy itself forgets the exchange when it ends: whoever keeps it keeps its body.
    """

    id: int
    method: str
    target: str  # path and query as the client asked
    url: str  # the target URL it went to ("" for a request the proxy refused)
    started: float  # wall clock
    request_body: bytes | None = None
    body_done: bool = False
    status: int | None = None
    bytes: int = 0
    duration: float | None = None


def _headers(headers: list[tuple[str, str]]) -> httpx.Headers:
    """httpx's view of headers kept one character per byte (a value with a byte past 127
    is not ASCII text, which httpx.Headers wants from a str)."""
    return httpx.Headers([(k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                          for k, v in headers])


#: Told of each new exchange; returns the observer of that exchange's records.
ExchangeObserver = Callable[[Exchange], Observer]


class ExchangeRecorder:
    """Turns one exchange into records, the engine's way (``session``): Request, Response (its
    ``mode`` resolved from the headers, or the first read when they do not tell), a Chunk per
    read with the decoders' Events/Records/Retries after it, Progress for downloads, Error when
    something fails, and exactly one End, last (``stopped`` says why one was cut short)."""

    def __init__(self, emit: Observer, t0: float | None = None) -> None:
        self.emit = emit
        self.t0 = time.monotonic() if t0 is None else t0  # (monotonic) t = 0
        self.timed: Timed | None = None  # the target's connection, when its reads are timed
        self.chunks = self.offset = self.events = 0
        self.decoder: _Decoder | None = None
        self.decoding: Any = None  # httpx ContentDecoder for the records (wire bytes forwarded)
        self.mode: Mode | None = None
        self.pending: Response | None = None  # waits for the first read to resolve its mode
        self.download = False
        self.total: int | None = None
        self.last_progress = -1.0
        self.failed = False
        self.ended = False

    def now(self) -> float:
        return time.monotonic() - self.t0

    def arrived(self) -> float:
        """When the target's bytes last read arrived (arrival reader), else now."""
        return self.timed.last_t - self.t0 if self.timed is not None else self.now()

    def request(self, method: str, url: str, headers: list[tuple[str, str]]) -> None:
        self.emit(Request(self.now(), method, url, headers))

    def response(self, status: int, reason: str, http_version: str,
                 headers: list[tuple[str, str]], network_stream: Any = None) -> None:
        self.timed = clock_of(network_stream)
        h = _headers(headers)
        ctype, cdisp = h.get("content-type"), h.get("content-disposition")
        try:
            self.decoding = content_decoder(h)
        except StreamError:
            self.decoding = None  # forwarded as it is; the records show the wire bytes only
        record = Response(self.arrived(), status, reason, http_version, headers, "",
                          self.clock)
        length = h.get("content-length", "")
        self.total = int(length) if length.isdigit() else None
        if status >= 400:
            self._resolve(record, Mode.LINES)
        elif needs_sniff(ctype, cdisp):
            self.pending = record
        else:
            self._resolve(record, detect_mode(ctype, cdisp, b""))

    def _resolve(self, record: Response, mode: Mode) -> None:
        record = dataclasses.replace(record, mode=mode.value)  # records are immutable
        self.mode, self.pending = mode, None
        self.download = mode is Mode.DOWNLOAD
        if mode is Mode.SSE:
            self.decoder = SSEDecoder()
        elif mode is Mode.NDJSON:
            self.decoder = NDJSONDecoder()
        elif mode is Mode.LINES:
            self.decoder = LineDecoder()
        self.emit(record)

    def _decoded(self, raw: bytes) -> bytes:
        if self.decoding is None:
            return raw
        try:
            return cast(bytes, self.decoding.decode(raw))
        except httpx.DecodingError as exc:
            self.decoding = None
            self.decoder = None
            self.error(Failure("decode", f"could not decode the body: {exc}"))
            return b""

    @property
    def clock(self) -> str:
        """Where the records' times come from (``Response.clock``)."""
        return "arrival" if self.timed is not None else "read"

    def chunk(self, raw: bytes, t: float) -> None:
        """One read of the target's body, which arrived at ``t``."""
        seq = self.chunks
        data = raw
        if self.pending is not None:
            data = self._decoded(raw)
            pending = self.pending
            h = _headers(pending.headers)
            self._resolve(pending, detect_mode(h.get("content-type"),
                                               h.get("content-disposition"), data))
        elif self.decoding is not None:
            data = self._decoded(raw)
        self.emit(Chunk(seq, t, self.offset, raw))
        self.chunks = seq + 1
        self.offset += len(raw)
        if self.decoder is not None and data:
            self._records(self.decoder.feed(data, t, seq))
        if self.download and t - self.last_progress >= PROGRESS_INTERVAL:
            self.progress(t)

    def _records(self, records: Sequence[AnyRecord]) -> None:
        for rec in records:
            if isinstance(rec, Event | Record):
                self.events += 1
            self.emit(rec)

    def progress(self, t: float) -> None:
        self.last_progress = t
        rate = self.offset / t if t > 0 else 0.0
        self.emit(Progress(t, self.offset, self.total, rate))

    def error(self, failure: Failure) -> None:
        self.failed = True
        self.emit(Error(self.now(), failure.kind, failure.message))

    def end(self, complete: bool, stopped: str | None = None) -> End:
        """The End record (once); flushes the decoders first for a complete body.

        ``stopped`` says why an exchange that did not end by itself was cut short
        (``client``: the client left; ``interrupted``: the proxy stopped)."""
        t = self.arrived() if complete and not self.failed else self.now()
        if self.pending is not None:
            self._resolve(self.pending, Mode.RAW)
        if complete and self.decoder is not None:
            tail = b""
            if self.decoding is not None:
                with contextlib.suppress(httpx.DecodingError):
                    tail = self.decoding.flush()
            out = list(self.decoder.feed(tail, t, self.chunks - 1)) if tail else []
            out.extend(self.decoder.close(t))
            self._records(out)
        if self.download:
            self.progress(t)
        complete = complete and not self.failed
        end = End(t, self.offset, self.chunks, self.events, t, complete,
                  stopped=stopped if stopped is not None and not complete else "",
                  clock=self.clock)
        self.ended = True
        self.emit(end)
        return end
