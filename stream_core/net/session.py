"""The streaming engine: one ``run()`` per stream, for the window and the ``capture`` command.

``run`` turns a ``RequestSpec`` into records delivered, in order, to an observer callable:
Request, Response, then Chunk per network read interleaved with what the decoders make of it
(Event/Retry/Record), Progress for downloads, Reconnect between SSE connections, Error when
something fails, and exactly one End, last. Nothing is held back: each read is reported and
decoded as soon as httpx hands it over, so the window and a pipe see a stream live.

Choices worth knowing (README's *`capture`* section has the contract):
- Reconnecting SSE streams emit a fresh Request/Response pair per connection (the user sees the
  ``Last-Event-ID`` header that went out); chunk offsets and event numbers run on across them.
- An explicit ``--mode sse`` (or ``auto`` with reconnect on) sends EventSource's headers,
  ``Accept: text/event-stream`` and ``Cache-Control: no-cache``, unless the user set them; plain
  ``auto`` keeps httpx's ``Accept: */*`` so that content negotiation is not steered.
- Downloads ask for ``Accept-Encoding: identity`` (a byte range of a gzip body is useless).
- A status the mode cannot accept (>= 400; non-200 for SSE) still has its body read and decoded
  as lines, because the error body is what the user needs to see, then an ``http`` error.
- ``auto`` with an ``output`` (the window's Auto) writes the file only when the response turns
  out to be a download (``detect_mode``); any other response is read as its mode says.
- When ``auto`` needs sniffing, the Response record waits for the first read (its ``mode``
  field names the resolved mode).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import httpx

from stream_core.decode.detect import detect_mode, needs_sniff
from stream_core.decode.lines import LineDecoder, NDJSONDecoder
from stream_core.decode.sse import SSEDecoder
from stream_core.net.arrival import Origin, Timed, clock_of, read_reason
from stream_core.net.clients import (
    BodyDecoder,
    ClientCertificateError,
    Clients,
    ClientSource,
    ProxyURLError,
    content_decoder,
    proxy_for,
    raw_body,
    raw_headers,
    request_timeout,
)
from stream_core.net.download import Download, ResumeMismatch
from stream_core.net.errors import Failure, StreamError, ViaProxy, classify, host_port
from stream_core.net.h2times import H2Times
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    ErrorKind,
    Event,
    Observer,
    Progress,
    Reconnect,
    Record,
    Request,
    Response,
    Retry,
    is_secret_name,
)

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_RETRY_MS", "MAX_RETRY_MS", "MIN_RETRY_MS", "Clients", "Origin",
           "Resume", "reconnect_delay", "run"]

DEFAULT_RETRY_MS = 3000
MAX_RETRY_MS = 60_000
#: No reconnect comes sooner than this, whatever ``retry:`` says (``retry: 0`` made a loop of
#: hundreds of connections a second); repeated failures double it like any other delay.
MIN_RETRY_MS = 250
PROGRESS_INTERVAL = 0.1  # seconds between Progress records (plus a final one)
_RECONNECTABLE: frozenset[ErrorKind] = frozenset({"connect", "timeout", "protocol"})


def reconnect_delay(retry_ms: int, failures: int) -> int:
    """Milliseconds before the next attempt: the server's ``retry`` (any size, as sent) raised
    to ``MIN_RETRY_MS``, doubled per failed attempt in a row, at most ``MAX_RETRY_MS``."""
    base = min(max(retry_ms, MIN_RETRY_MS), MAX_RETRY_MS)
    return min(base << min(max(failures - 1, 0), 16), MAX_RETRY_MS)


class _Decoder(Protocol):
    @property
    def next_seq(self) -> int: ...

    def feed(self, data: bytes, t: float, chunk_seq: int) -> Sequence[AnyRecord]: ...

    def close(self, t: float) -> Sequence[AnyRecord]: ...


# What one connection came to: stop for good, or (when reconnecting) try again, or (a
# resume answered with another file) download it all again at once.
_STOP, _AGAIN, _RESTART = "stop", "again", "restart"


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a resumed download's run starts counting: it continues the chunk numbers
    (``seq``) and body offsets (``offset``) of the runs before it in the same tab (and their
    clock: the same ``Origin``), so its records are born in place and no observer has to
    shift them."""

    seq: int = 0
    offset: int = 0


class _Stream:
    """State of one logical stream; may span several connections when reconnecting."""

    def __init__(self, clients: ClientSource, spec: RequestSpec, observer: Observer,
                 origin: Origin | None = None, resume: Resume = Resume()) -> None:
        self.clients, self.spec, self.emit = clients, spec, observer
        self.via: ViaProxy | None = None  # the proxy on the way, named in failures
        self.origin = origin or Origin()
        self.t0 = self.origin.mono if self.origin.taken else time.monotonic()
        # Where this connection's times come from: the arrival reader's stream (its
        # ``last_t``), or None when the app reads by itself (times are read times).
        self.timed: Timed | None = None
        self.clock = ""  # "arrival" while every connection so far had arrival times
        self.clock_reason = ""  # why the times are read times
        self.held_s = 0.0  # seconds the arrival reader left connections unread, in all
        self.held_base = 0.0  # the current connection's held_s when this stream took it
        self.h2: H2Times | None = None  # an HTTP/2 response's frame times, and its stream id
        self.h2_stream = 0
        self.headers_t = 0.0  # t of the latest response's headers
        self.done_t: float | None = None  # t of the latest response's last bytes
        # ``chunks`` and ``offset`` count from the resumed runs; the End reports this run's own.
        self.resume = resume
        self.chunks, self.offset = resume.seq, resume.offset
        self.events = self.next_seq = self.errors = 0
        self.inflated = 0  # decoded minus wire bytes of the reads that were decoded
        self.last_event_id = spec.header("Last-Event-ID") or ""
        self.retry_ms = DEFAULT_RETRY_MS
        self.complete = False
        self.stopped = ""  # why a stream that did not end by itself was stopped
        self.ok_response = False  # this connection got a response the mode accepts
        self.mode: Mode | None = None  # resolved mode of the latest connection
        self.download: Download | None = None
        if spec.output and spec.mode is Mode.DOWNLOAD:
            self.download = self.new_download(spec.output)
        self.last_progress = -1.0
        self.progress_bytes = -1  # the bytes the last Progress reported
        self.read_t = 0.0  # t of the latest read: its events carry the same time
        self.body_bytes, self.body_t = 0, 0.0  # this response's body, for Progress
        self.body_total: int | None = None
        self.end_path: str | None = None
        self.end_sha: str | None = None
        self.drop_reason = ""
        self.restart_reason = ""
        self.unfinished = 0  # connections that ended inside an SSE event (never dispatched)

    def new_download(self, output: str) -> Download:
        spec = self.spec
        return Download(output, resume=spec.resume, name_from_response=spec.name_from_response,
                        decoded=spec.decode)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def arrived(self) -> float:
        """When the bytes the connection last gave arrived (``t``); now, for read times."""
        timed = self.timed
        return timed.last_t - self.t0 if timed is not None else self.now()

    def arrived_body(self, raw: bytes) -> float:
        """When ``raw``, the body chunk just read, arrived: its own HTTP/2 frame's time, else
        the connection's latest read (HTTP/1.1 reads one response at a time)."""
        h2 = self.h2
        if h2 is not None:
            at = h2.pop(self.h2_stream, len(raw))
            if at is not None:
                return at - self.t0
        return self.arrived()

    def got_headers(self, response: httpx.Response) -> None:
        """A response's headers are in: from now on its times come from its connection (see
        ``stream_core.net.arrival``), and its ``Response`` record has their arrival time."""
        self.count_held()
        stream = response.extensions.get("network_stream")
        self.timed = timed = clock_of(stream)
        if timed is None:
            self.clock, self.clock_reason = "read", read_reason(stream)
        else:
            self.held_base = timed.held_s
            if not self.clock:
                self.clock = "arrival"
        self.h2 = timed.h2 if timed is not None and response.http_version == "HTTP/2" \
            else None
        self.h2_stream = int(response.extensions.get("stream_id", 0))
        self.headers_t = self.done_t = self.arrived()  # (a body read later moves done_t on)

    def count_held(self) -> None:
        """Add what the current connection was held while this stream used it."""
        if self.timed is not None:
            self.held_s += self.timed.held_s - self.held_base
            self.held_base = self.timed.held_s

    def error(self, kind: ErrorKind, message: str) -> None:
        self.errors += 1
        self.emit(Error(self.now(), kind, message))

    def drop(self, failure: Failure) -> str:
        """A connection failed: when reconnecting, a recoverable failure is the reason given in
        the next Reconnect record (EventSource carries on), not an Error record."""
        if failure.kind in _RECONNECTABLE and self.reconnecting():
            self.complete = False
            self.drop_reason = f"{failure.kind}: {failure.message}"
            return _AGAIN
        return self.fail(failure)

    def fail(self, failure: Failure) -> str:
        self.error(failure.kind, failure.message)
        self.complete = False
        return _AGAIN if failure.kind in _RECONNECTABLE else _STOP

    def classify(self, exc: BaseException, url: httpx.URL | str) -> Failure:
        t = self.spec.timeouts
        return classify(exc, url, read_timeout=t.read, connect_timeout=t.connect,
                        proxy=self.via)

    # --- the whole stream ---------------------------------------------------------------

    async def run(self) -> End:
        failure: Failure | None = None
        try:
            self.via = proxy_for(self.spec)
            # TLS setup of a new client and the arrival reader's start are not request time.
            await self.clients.prepare(self.spec)
        except ProxyURLError as exc:  # (nothing was sent)
            failure = Failure("connect", str(exc))
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            failure = Failure("tls", str(exc) if isinstance(exc, ClientCertificateError)
                              else f"cannot use the CA bundle {self.spec.verify}: {exc}")
        if not self.origin.taken:  # t = 0 is now, unless the caller fixed it
            self.origin.take()
        self.t0 = self.origin.mono
        if failure is not None:
            self.fail(failure)
        try:
            if not self.errors:
                async with asyncio.timeout(self.spec.timeouts.total):
                    await self.loop()
        except asyncio.CancelledError:
            self.progress_up_to_date()
            self.error("cancelled", "stopped")
            self.complete = False
            self.stopped = "interrupted"  # Ctrl-C, SIGTERM, the window's Stop
            self.emit(self.end())
            raise
        except TimeoutError:
            self.stopped = "max-time"
            self.fail(Failure("timeout", f"total time limit of {self.spec.timeouts.total:g} s "
                                         "reached"))
        except Exception as exc:  # a bug or an unforeseen library error: still no traceback
            logger.debug("stream %s: unexpected exception", self.spec.url, exc_info=True)
            self.fail(self.classify(exc, self.spec.url))
        self.progress_up_to_date()
        end = self.end()
        self.emit(end)
        return end

    def end(self) -> End:
        # A stream that ended by itself ended when its last bytes arrived (a consumer late
        # to read them does not make it longer); any other end is now.
        t = self.done_t if self.complete and self.done_t is not None else self.now()
        body = self.offset - self.resume.offset
        dropped: dict[str, int] = {}
        problems: list[str] = []
        if self.unfinished:
            dropped["unfinished_events"] = self.unfinished
            problems.append(
                "the stream ended inside an event (no blank line after its last field), "
                "which is never dispatched" + (f" ({self.unfinished} connections)"
                                               if self.unfinished > 1 else ""))
        self.count_held()
        return End(t, body, self.chunks - self.resume.seq, self.events, t, self.complete,
                   path=self.end_path, sha256=self.end_sha,
                   decoded_bytes=body + self.inflated, stopped=self.stopped,
                   dropped=dropped, problems=problems, clock=self.clock,
                   clock_reason=self.clock_reason if self.clock == "read" else "",
                   held_ms=round(self.held_s * 1000, 1))

    def reconnecting(self) -> bool:
        return (self.spec.reconnect and self.spec.mode in (Mode.SSE, Mode.AUTO)
                and self.mode in (None, Mode.SSE) and self.download is None)

    async def loop(self) -> None:
        if self.download is not None:
            try:
                self.download.check_writable()
            except StreamError as exc:
                self.fail(Failure(exc.kind, exc.message))
                return
        attempt = failures = 0
        limit = self.spec.max_reconnects
        while True:
            self.ok_response = False
            events = self.events
            outcome = await self.connection()
            if outcome == _RESTART and self.download is not None and self.download.resume:
                self.download.resume = False  # once: a plain GET cannot mismatch
                attempt += 1
                self.emit(Reconnect(self.now(), attempt, 0, "", self.restart_reason))
                continue
            if outcome == _STOP or not self.reconnecting():
                return
            # Only a connection that delivered events resets the back-off: a server that
            # answers 200 and hangs up at once is failing too.
            failures = 0 if self.ok_response and self.events > events else failures + 1
            reason, self.drop_reason = self.drop_reason or "stream ended", ""
            if limit is not None and attempt >= limit:
                self.give_up(reason, limit)
                return
            attempt += 1
            delay = reconnect_delay(self.retry_ms, failures)
            self.emit(Reconnect(self.now(), attempt, delay, self.last_event_id, reason))
            await asyncio.sleep(delay / 1000)

    def give_up(self, reason: str, limit: int) -> None:
        """``max_reconnects`` reached: a lost connection is an error then; a clean end is not."""
        self.complete = False
        self.stopped = "max-reconnects"
        if reason != "stream ended":
            kind, _, message = reason.partition(": ")
            self.error(cast(ErrorKind, kind), f"{message} (gave up after {limit} reconnects)")

    # --- one connection -------------------------------------------------------------------

    def request_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers to send; values go out as UTF-8 (an event id is any text but NUL, CR
        and LF), where httpx would refuse a str that is not ASCII. A name that is not ASCII
        raises UnicodeEncodeError: the request cannot be built."""
        return [(k.encode("ascii"), v.encode("utf-8")) for k, v in self._headers()]

    def _headers(self) -> list[tuple[str, str]]:
        spec = self.spec
        headers = [(k, v) for k, v in spec.headers if k.lower() != "last-event-id"]
        have = {k.lower() for k, _ in headers}
        if spec.mode is Mode.SSE or (spec.mode is Mode.AUTO and spec.reconnect
                                     and self.download is None):
            if "accept" not in have:
                headers.append(("Accept", "text/event-stream"))
            if "cache-control" not in have:
                headers.append(("Cache-Control", "no-cache"))
        if (spec.identity_encoding or self.download is not None) and "accept-encoding" not in have:
            headers.append(("Accept-Encoding", "identity"))
        if self.last_event_id:
            headers.append(("Last-Event-ID", self.last_event_id))
        if self.download is not None:
            headers = [(k, v) for k, v in headers if k.lower() not in ("range", "if-range")]
            headers.extend(self.download.request_headers())
        return headers

    async def connection(self) -> str:
        spec = self.spec
        client = self.clients.for_spec(spec)
        try:
            request = client.build_request(spec.method, spec.url, headers=self.request_headers(),
                                           content=spec.body, timeout=request_timeout(spec))
        except (httpx.HTTPError, ValueError, TypeError) as exc:
            # The same request would fail the same way: never retried.
            self.fail(Failure("connect", f"cannot build the request: {exc}"))
            return _STOP
        self.emit(Request(self.now(), request.method, str(request.url),
                          raw_headers(request.headers)))
        try:
            response = await self.send(client, request)
        except (httpx.HTTPError, OSError) as exc:
            return self.drop(self.classify(exc, request.url))
        try:
            return await self.read_response(response)
        except (httpx.HTTPError, OSError, StreamError) as exc:
            return self.drop(self.classify(exc, response.url))
        finally:  # (the response is closed by read_response, on every way out)
            if self.download is not None:
                self.download.close()

    async def send(self, client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and follow its redirects one hop at a time, so that each hop has
        its Request and Response records (mode ``redirect``) and a hop to another origin
        carries no secret-looking header (httpx itself drops only Authorization and Cookie)."""
        response = await client.send(request, stream=True, follow_redirects=False)
        self.got_headers(response)
        hops = 0
        while self.spec.follow_redirects and response.next_request is not None:
            nxt = response.next_request
            self.respond(response, "redirect")
            await response.aclose()
            hops += 1
            if hops > client.max_redirects:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.",
                                             request=nxt)
            if not _same_origin(request.url, nxt.url):
                for name in [k for k in nxt.headers if is_secret_name(k)]:
                    del nxt.headers[name]
            self.emit(Request(self.now(), nxt.method, str(nxt.url), raw_headers(nxt.headers)))
            request = nxt
            response = await client.send(request, stream=True, follow_redirects=False)
            self.got_headers(response)
        return response

    def check_status(self, response: httpx.Response, mode: Mode) -> str | None:
        """Why the mode cannot accept this response (an ``http`` error message), or None."""
        status, hp = response.status_code, host_port(response.url)
        what = f"HTTP {status} {response.reason_phrase} from {hp}".rstrip()
        if status >= 400:
            if status == 416 and mode is Mode.DOWNLOAD and self.spec.resume:
                return None  # maybe the .part is already complete: Download.start decides
            return what
        if mode is Mode.SSE:
            if status not in (200, 204):  # 204 means "stop": a clean end, not an error
                return f"{what}: an event stream needs 200 OK"
            ctype = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
            if self.spec.reconnect and status == 200 and ctype != "text/event-stream":
                return (f"{hp} answered with Content-Type {ctype or 'none'!r}, "
                        "not text/event-stream; not reconnecting")
        return None

    def respond(self, response: httpx.Response, mode: str) -> None:
        self.emit(Response(self.headers_t, response.status_code, response.reason_phrase,
                           response.http_version, raw_headers(response.headers), mode,
                           clock="arrival" if self.timed is not None else "read"))

    async def read_response(self, response: httpx.Response) -> str:
        # The response and its body iterator are closed on every way out (max-events, Stop
        # while a download waits for the disk, a failed write, a status error), on the loop
        # and before the stream ends: see ``raw_body``.
        try:
            async with raw_body(response) as chunks:
                return await self.read_body(response, chunks)
        finally:
            if self.h2 is not None:
                self.h2.forget(self.h2_stream)

    async def read_body(self, response: httpx.Response, chunks: AsyncIterator[bytes]) -> str:
        spec, status = self.spec, response.status_code
        ctype = response.headers.get("content-type")
        cdisp = response.headers.get("content-disposition")
        mode = Mode.DOWNLOAD if self.download is not None else spec.mode
        bad_encoding: Exception | None = None
        try:
            decoding = content_decoder(response.headers, spec.decode_guard)
        except StreamError as exc:
            decoding, bad_encoding = None, exc
        first: bytes | None = None
        first_data: bytes | None = None
        length = response.headers.get("content-length", "")
        size = int(length) if length.isdigit() else None
        if mode is Mode.AUTO and status < 400 and needs_sniff(ctype, cdisp):
            first = first_data = await anext(chunks, None)
            self.read_t = self.arrived_body(first) if first else self.arrived()
            if first and decoding is not None:
                try:
                    first_data = decoding.decode(first)
                except (httpx.DecodingError, StreamError) as exc:
                    first_data, bad_encoding = b"", exc
            mode = detect_mode(ctype, cdisp, first_data or b"", size)
        elif mode is Mode.AUTO:
            mode = detect_mode(ctype, cdisp, b"", size)
        rejected = self.check_status(response, mode)
        if rejected is not None:
            mode = Mode.LINES
        elif mode is Mode.DOWNLOAD and not spec.decode:  # stored and counted as sent
            decoding, bad_encoding, first_data = None, None, first
        self.mode = mode
        self.respond(response, mode.value)
        self.body_bytes, self.body_t = 0, self.headers_t
        self.body_total = int(length) if length.isdigit() and decoding is None else None
        if mode is Mode.SSE and status == 204:  # the server's way to say "do not reconnect"
            self.complete = True
            return _STOP
        if bad_encoding is not None:
            if first:
                self.chunk(first, self.read_t)
            raise bad_encoding
        if rejected is None:
            self.ok_response = True
            if mode is Mode.DOWNLOAD and self.download is None and spec.output:
                self.auto_download(spec.output)
            try:
                if self.download is not None:
                    done = await self.download.start(response)
                    spec.output = self.download.path  # renamed by the response, maybe
                    if done:
                        await self.finish_download()  # 416 for a .part already complete
                        self.complete = True
                        return _STOP
            except ResumeMismatch as exc:  # never splice two versions of a file
                self.restart_reason = str(exc)
                return _RESTART
        decoder = self.make_decoder(mode)
        try:
            done = await self.pump(chunks, decoder, decoding, first, first_data)
        except (httpx.HTTPError, OSError) as exc:
            if rejected is None:
                raise
            self.fail(self.classify(exc, response.url))  # then the status error, no retry
        finally:
            if decoder is not None:
                self.next_seq = decoder.next_seq
            if isinstance(decoder, SSEDecoder):  # its value follows the standard's rules
                self.last_event_id = decoder.last_event_id
        if rejected is not None:
            raise StreamError("http", rejected)
        if done:  # cut short on purpose: not a stream that ended by itself
            self.stopped = "max-events"
            return _STOP
        self.complete = True
        if mode is Mode.DOWNLOAD:
            await self.finish_download()
        return _AGAIN

    def auto_download(self, output: str) -> None:
        """``auto`` with an ``output`` found a download: write it to ``output`` as ``--mode
        download`` would (StreamError when it cannot be written). The spec says download from
        now on, so that a resume asks for the rest of this file."""
        download = self.new_download(output)
        download.check_writable()
        self.download = download
        self.spec.mode = Mode.DOWNLOAD

    def make_decoder(self, mode: Mode) -> _Decoder | None:
        limit = self.spec.max_line
        if mode is Mode.SSE:
            return SSEDecoder(last_event_id=self.last_event_id, next_seq=self.next_seq,
                              max_line=limit)
        if mode is Mode.NDJSON:
            return NDJSONDecoder(next_seq=self.next_seq, max_line=limit)
        if mode is Mode.LINES:
            return LineDecoder(next_seq=self.next_seq, max_line=limit)
        return None

    async def pump(self, chunks: AsyncIterator[bytes], decoder: _Decoder | None,
                   decoding: BodyDecoder | None, first: bytes | None,
                   first_data: bytes | None) -> bool:
        """Deliver every read; True when ``max_events`` was reached (stop, cleanly)."""
        if first is not None:
            self.inflated += len(first_data or b"") - len(first)
            if self.feed(decoder, first_data, self.chunk(first, self.read_t)):
                return True
            await self.write_download(first_data)
        # ``chunk``, ``feed`` and ``write_download`` inlined: with sse-starlette every event is
        # a read of its own, so this loop runs once per event. A read's time is when its bytes
        # arrived (the arrival reader's, kept by the connection), else when it was read.
        emit, clock, t0, timed = self.emit, time.monotonic, self.t0, self.timed
        feed = decoder.feed if decoder is not None else None
        downloading = self.mode is Mode.DOWNLOAD
        h2 = self.h2
        async for raw in chunks:
            seq = self.chunks
            if h2 is not None:
                t = self.arrived_body(raw)
            else:
                t = (timed.last_t if timed is not None else clock()) - t0
            self.read_t = t
            emit(Chunk(seq, t, self.offset, raw))  # before decoding: bad gzip still shows
            self.chunks = seq + 1
            self.offset += len(raw)
            if decoding is not None:
                data = decoding.decode(raw)
                self.inflated += len(data) - len(raw)
            else:
                data = raw
            if feed is not None and data:
                records = feed(data, t, seq)
                if records and self.decoded(records):
                    return True
            if downloading:
                await self.write_download(data)
        # The last read (its end of file included); over HTTP/2 the connection's last read
        # may be another response's, so this one's last chunk.
        self.done_t = t = self.arrived() if h2 is None else max(self.read_t, self.headers_t)
        tail = decoding.flush() if decoding is not None else b""
        self.inflated += len(tail)
        if decoder is None:
            await self.write_download(tail)
            return False
        out: list[AnyRecord] = list(decoder.feed(tail, t, self.chunks - 1)) if tail else []
        out.extend(decoder.close(t))
        if isinstance(decoder, SSEDecoder) and decoder.dropped_unfinished:
            self.unfinished += 1
        return self.decoded(out)

    def chunk(self, raw: bytes, t: float) -> int:
        """Report one network read, which arrived at ``t``; its seq."""
        seq, self.read_t = self.chunks, t
        self.emit(Chunk(seq, self.read_t, self.offset, raw))
        self.chunks += 1
        self.offset += len(raw)
        return seq

    def feed(self, decoder: _Decoder | None, data: bytes | None, seq: int) -> bool:
        if decoder is None or not data:
            return False
        return self.decoded(decoder.feed(data, self.read_t, seq))

    def decoded(self, records: Sequence[AnyRecord]) -> bool:
        limit = self.spec.max_events
        for rec in records:
            if isinstance(rec, Event | Record):
                self.emit(rec)
                self.events += 1
                if limit is not None and self.events >= limit:
                    return True
            else:
                if isinstance(rec, Retry):
                    self.retry_ms = rec.ms
                self.emit(rec)
        return False

    async def write_download(self, data: bytes | None) -> None:
        """Save a download read (when there is a file) and report Progress, throttled."""
        if not data or self.mode is not Mode.DOWNLOAD:
            return
        if self.download is not None:
            await self.download.write(data)
        self.body_bytes += len(data)
        t = self.read_t
        if t - self.last_progress >= PROGRESS_INTERVAL:
            self.progress(t)

    def progress(self, t: float) -> None:
        """Progress of the file (resumed part included), or of the body when not saving it."""
        self.last_progress = t
        dl = self.download
        if dl is not None:
            self.progress_bytes = dl.bytes
            self.emit(Progress(t, dl.bytes, dl.total, dl.rate()))
        else:
            elapsed = t - self.body_t
            rate = self.body_bytes / elapsed if elapsed > 0 else 0.0
            self.progress_bytes = self.body_bytes
            self.emit(Progress(t, self.body_bytes, self.body_total, rate))

    def progress_up_to_date(self) -> None:
        """A download that stopped short (Stop, Pause, a lost connection) reports the bytes it
        got, so that its last Progress and its End agree (issue 23.11: a paused download
        showed the Progress of up to 0.1 s earlier)."""
        if self.mode is not Mode.DOWNLOAD:
            return
        got = self.download.bytes if self.download is not None else self.body_bytes
        if got != self.progress_bytes:
            self.progress(self.now())

    async def finish_download(self) -> None:
        if self.download is not None:
            self.end_path, self.end_sha = await self.download.finish()
        self.progress(self.done_t if self.done_t is not None else self.arrived())


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    """Same scheme, host and port; or the same host moving from http to https, which httpx
    too treats as safe for credentials."""
    if a.host != b.host:
        return False
    if a.scheme == b.scheme:
        return a.port == b.port
    return (a.scheme, b.scheme) == ("http", "https") and a.port in (None, 80) \
        and b.port in (None, 443)


async def run(clients: ClientSource, spec: RequestSpec, observer: Observer, *,
              origin: Origin | None = None, resume: Resume = Resume()) -> End:
    """Stream ``spec`` and report every record to ``observer``; return the End record.

    ``origin``: ``t = 0`` (a capture file's ``started``): when taken already, the caller's;
    else (and by default) the moment the client is ready and the request is about to be built,
    written into it.

    Never raises, except ``asyncio.CancelledError`` when the task is cancelled (Stop, Ctrl-C):
    then it first reports ``Error(kind="cancelled")`` and an incomplete End, and re-raises.
    The observer must not block or raise; it runs on the event loop for every record.
    A resume passes the first run's ``origin`` (its clock) and a ``Resume`` (its chunk
    numbers and offsets), so the records continue the earlier runs'.
    """
    return await _Stream(clients, spec, observer, origin, resume).run()
