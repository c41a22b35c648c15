"""A saved request as it will be sent: variables resolved, files read, the result checked.

Why one place: ``capture --from`` and the window must send the same bytes, and those bytes
must be what the IDE clients send for the same file (httpyac, the JetBrains client):

- ``application/x-www-form-urlencoded`` bodies written over several lines are joined, each
  line stripped (``grant_type=password`` / ``&client_id=abc``);
- ``multipart/*`` bodies have CRLF line ends, and a ``< ./file`` line inside one is replaced
  by the file's bytes (``<@ ./file``: with its variables substituted);
- files are read with ``userfiles``: regular files only, at most ``MAX_BODY_FILE`` bytes.

A problem of the outgoing request (a NUL or line break in a header, an invalid header name,
``Authorization: Bearer`` with no token) is refused here, before anything is sent, instead of
coming back as a "malformed HTTP" error blamed on the server. Every error is a
``SavedRequestError`` naming the file, the line and the request.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from stream_core.net.clients import BodyDecoder, ClientSource, content_decoder
from stream_core.net.errors import StreamError
from stream_core.net.session import run
from stream_core.net.spec import DecodeGuard, Mode, RequestSpec
from stream_core.records import AnyRecord, Chunk, End, Error, Request, Response
from stream_core.requests.auth import encode_basic
from stream_core.requests.environments import VariableError, Variables
from stream_core.requests.httpfile import FILE_LINE, HttpFile, HttpRequest
from stream_core.requests.references import MAX_BODY, BadReference, Exchange, NeedsResponse
from stream_core.userfiles import MAX_USER_FILE, UserFileError, read_user_bytes

__all__ = ["MAX_BODY_FILE", "ExchangeRecorder", "Fetch", "SavedRequestError", "body_files",
           "check_headers", "fetch_exchange", "request_spec", "spec_with_references"]

MAX_BODY_FILE = MAX_USER_FILE
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_AUTH_SCHEMES = ("bearer", "basic", "token", "digest")

#: Runs one request (``spec``, built from the file's ``request``) and returns what references
#: read: the caller's own sender (the window names the request in the tab it runs it in).
Fetch = Callable[[RequestSpec, HttpRequest], Awaitable[Exchange]]


class SavedRequestError(ValueError):
    """A saved request that cannot be sent; the message starts with ``FILE:LINE: request``."""


def where(request: HttpRequest, source: str | None) -> str:
    """``api.http:12: request 'login'`` (or ``request GET {{host}}/x`` when unnamed)."""
    place = f"{source}:{request.line}: " if source else (
        f"line {request.line}: " if request.line else "")
    return f"{place}request {request.label}"


def check_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers as they may go on the wire, values stripped of surrounding white space
    (it is not part of a field value, RFC 9110 5.5); ValueError for one that cannot go."""
    out = []
    for name, value in headers:
        if not _TOKEN.match(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP token")
        if any(c in value for c in "\r\n\0"):
            char = "a NUL" if "\0" in value else "a line break"
            raise ValueError(f"header {name!r} contains {char}: not sent")
        value = value.strip(" \t")
        scheme = value.lower()
        if name.lower() in ("authorization", "proxy-authorization") and scheme in _AUTH_SCHEMES:
            raise ValueError(f"header {name!r} is {value!r} with no credentials after it (an"
                             " empty token or variable?): not sent")
        out.append((name, value))
    return out


def _media(headers: list[tuple[str, str]]) -> str:
    for k, v in headers:
        if k.lower() == "content-type":
            return v.split(";")[0].strip().lower()
    return ""


def _read(base_dir: Path, name: str, variables: Variables, with_variables: bool) -> bytes:
    path = base_dir / variables.resolve(name, "the body file name")
    raw = read_user_bytes(path, "body file", MAX_BODY_FILE)
    if with_variables:
        raw = variables.resolve(raw.decode("utf-8", "replace"),
                                f"body file {name!r}").encode("utf-8")
    return raw


def _body(request: HttpRequest, variables: Variables, base_dir: Path,
          headers: list[tuple[str, str]]) -> bytes | None:
    if request.body_file is not None:
        return _read(base_dir, request.body_file, variables, request.body_file_variables)
    if not request.body:
        return None
    media = _media(headers)
    lines = request.body.split("\n")
    if media == "application/x-www-form-urlencoded":
        joined = "".join(line.strip() for line in lines)
        return variables.resolve(joined, "the body").encode("utf-8")
    if media.startswith("multipart/"):
        return b"\r\n".join(_line(line, variables, base_dir) for line in lines)
    if any(FILE_LINE.match(line) for line in lines):
        return b"\n".join(_line(line, variables, base_dir) for line in lines)
    return variables.resolve(request.body, "the body").encode("utf-8")


def _line(line: str, variables: Variables, base_dir: Path) -> bytes:
    ref = FILE_LINE.match(line)
    if ref is None:
        return variables.resolve(line, "the body").encode("utf-8")
    return _read(base_dir, ref.group(2), variables, ref.group(1) is not None)


def body_files(request: HttpRequest, variables: Variables, base_dir: str | Path) -> list[Path]:
    """The files ``request_spec`` reads for ``request``'s body (``< file``, and ``< file``
    lines of a multipart or plain body), so a caller can show them before they are sent.
    A name that cannot be resolved is left out (``request_spec`` then says why)."""
    names: list[str] = []
    if request.body_file is not None:
        names.append(request.body_file)
    elif request.body:
        try:
            headers = [(k, variables.resolve(v, f"header {k!r}")) for k, v in request.headers]
        except ValueError:
            headers = []
        if _media(headers) != "application/x-www-form-urlencoded":
            names += [m.group(2) for line in request.body.split("\n")
                      if (m := FILE_LINE.match(line))]
    paths = []
    for name in names:
        try:
            paths.append(Path(base_dir) / variables.resolve(name, "the body file name"))
        except ValueError:
            continue
    return paths


def request_spec(request: HttpRequest, variables: Variables, base_dir: str | Path,
                 source: str | None = None) -> RequestSpec:
    """The request as it will be sent: every variable resolved, body files read, checked.

    Raises SavedRequestError naming ``source`` (the file as the user wrote it), the line and
    the request; NeedsResponse (a VariableError) when a request reference needs another
    request to run first (``spec_with_references`` does that).
    """
    try:
        url = variables.resolve(request.url, "the URL")
        headers = [(variables.resolve(k, f"header {k!r}"), variables.resolve(v, f"header {k!r}"))
                   for k, v in request.headers]
        headers = check_headers(encode_basic(headers))
        body = _body(request, variables, Path(base_dir), headers)
    except NeedsResponse:
        raise
    except (VariableError, UserFileError, ValueError) as exc:
        raise SavedRequestError(f"{where(request, source)}: {exc}") from None
    spec = RequestSpec(url=url, method=request.method.upper(), headers=headers, body=body)
    if "no-redirect" in request.directives:
        spec.follow_redirects = False
    return spec


async def spec_with_references(doc: HttpFile, request: HttpRequest,
                               variables: Callable[[HttpRequest], Variables],
                               base_dir: str | Path, fetch: Fetch,
                               exchanges: dict[str, Exchange], source: str | None = None,
                               _running: tuple[str, ...] = ()) -> RequestSpec:
    """``request_spec``, first running (with ``fetch``) each request that a reference of
    ``request`` names and that has no exchange in ``exchanges`` yet (the session's latest,
    updated here). ``variables(request)`` gives the variables of a request of ``doc`` with
    ``exchanges`` as its ``Variables.exchanges``. A cycle of references is an error."""
    while True:
        try:
            return request_spec(request, variables(request), base_dir, source)
        except NeedsResponse as need:
            if need.name in (*_running, request.name):
                chain = " -> ".join(repr(n) for n in (*_running, request.name, need.name))
                raise SavedRequestError(f"{where(request, source)}: requests refer to each"
                                        f" other in a cycle: {chain}") from None
            first = doc.find(need.name)
            spec = await spec_with_references(doc, first, variables, base_dir, fetch,
                                              exchanges, source, (*_running, request.name))
            try:
                exchanges[need.name] = await fetch(spec, first)
            except (BadReference, OSError, ValueError) as exc:
                raise SavedRequestError(f"{where(request, source)}: request {need.name!r},"
                                        f" run first for its response, failed: {exc}") from None


class ExchangeRecorder:
    """What references read of one run, kept from its records as they arrive (call it with
    each record, as an ``Observer``): the request's headers, the last response's status and
    headers, and its body with its Content-Encoding undone, up to ``MAX_BODY``.

    Why records and not a second request: ``fetch_exchange`` (``capture``) and the window
    (every send of a named request, whatever its mode) keep the exchange of the run they
    show, as the engine recorded it. A body that decodes past ``MAX_BODY`` is cut there
    (``truncated``); a reference into it then says so rather than read a part.
    """

    def __init__(self, request_body: bytes | None = None) -> None:
        self.exchange = Exchange(request_body=request_body or b"")
        self.failure: Error | None = None  # the run's first error record
        self.responded = False
        self._body = bytearray()
        self._decoder: BodyDecoder | None = None

    def __call__(self, record: AnyRecord) -> None:
        if isinstance(record, Chunk):
            self._add(record.data)
        elif isinstance(record, Request):
            self.exchange.request_headers = list(record.headers)
        elif isinstance(record, Response):  # the last one counts (after redirects)
            self.responded = True
            self.exchange.status, self.exchange.headers = record.status, list(record.headers)
            self.exchange.truncated = False
            self._body.clear()
            try:
                self._decoder = content_decoder(httpx.Headers(record.headers),
                                                DecodeGuard(max_decoded=MAX_BODY, max_ratio=0))
            except StreamError:  # an unknown coding: the run reports it (a decode error)
                self._decoder = None
        elif isinstance(record, Error) and self.failure is None:
            self.failure = record
        elif isinstance(record, End) and self._decoder is not None:
            decoder, self._decoder = self._decoder, None
            self._decoded(decoder.flush)

    def _add(self, data: bytes) -> None:
        if self.exchange.truncated:
            return
        decoder = self._decoder
        if decoder is not None:
            self._decoded(lambda: decoder.decode(data))
            return
        room = MAX_BODY - len(self._body)
        self._body.extend(data[:max(room, 0)])
        self.exchange.truncated = len(data) > room

    def _decoded(self, step: Callable[[], bytes]) -> None:
        try:
            self._body.extend(step())
        except (StreamError, httpx.DecodingError):  # past MAX_BODY (or not what it says)
            self.exchange.truncated, self._decoder = True, None

    def result(self) -> Exchange:
        """The exchange; BadReference naming the failure when the run failed or had no
        response."""
        if self.failure is not None:
            raise BadReference(self.failure.message)
        if not self.responded:
            raise BadReference("no response")
        self.exchange.body = bytes(self._body)
        return self.exchange


async def fetch_exchange(clients: ClientSource, spec: RequestSpec) -> Exchange:
    """Run ``spec`` with the engine and keep what references read (a ``Fetch`` for callers
    that have ``Clients``: ``capture``). The body is asked without compression and kept up
    to ``MAX_BODY``; BadReference if the request fails."""
    spec.mode, spec.identity_encoding = Mode.RAW, True
    recorder = ExchangeRecorder(spec.body)
    await run(clients, spec, recorder)
    return recorder.result()
