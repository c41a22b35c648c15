"""Request options shared by ``stream-inspector capture`` and ``stream-inspector URL``.

Bad arguments raise ``ArgumentError`` with a one-line message; callers print it and exit 2
before any request is sent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from stream_core.decode.sse import MAX_LINE
from stream_core.net.spec import DecodeGuard, Mode, RequestSpec, Timeouts


class ArgumentError(ValueError):
    """A bad command-line value; its message is one line meant for a person."""


class LocalFileError(ArgumentError):
    """A local file named on the command line cannot be read or written (exit status 3,
    not 2: the arguments were right, the file system said no)."""


#: The largest request body read from a file or stdin (``-d @FILE``, ``-d @-``, ``--json``).
MAX_BODY = 256 * 1024 * 1024


def add_request_arguments(parser: argparse.ArgumentParser, *, url_required: bool) -> None:
    parser.add_argument("url", nargs=None if url_required else "?", help="the URL to request")
    parser.add_argument("-X", "--request", dest="method", default=None, metavar="METHOD",
                        help="HTTP method (default GET, or POST with -d)")
    parser.add_argument("-H", "--header", dest="headers", action="append", default=[],
                        metavar="'Name: value'", help="request header (repeatable)")
    parser.add_argument("-d", "--data", dest="data", default=None, metavar="BODY",
                        help="request body, @FILE to read it from a file, @- from stdin")
    parser.add_argument("--json", dest="json", default=None, metavar="BODY",
                        help="a JSON request body (or @FILE, @-), as curl's --json: also sends"
                             " Content-Type: application/json and Accept: application/json"
                             " unless given (no Accept with --mode sse)")
    parser.add_argument("--mode", choices=[m.value for m in Mode], default="auto",
                        help="how to read the body (default: auto-detect)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="longest wait for each read, first byte included")
    parser.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--max-time", type=float, default=None, metavar="SECONDS",
                        help="longest the whole exchange may take (connecting, reconnects and"
                             " the body included); then a timeout error, as curl's -m")
    parser.add_argument("--insecure", "-k", action="store_true",
                        help="do not verify TLS certificates")
    parser.add_argument("--cacert", default=None, metavar="FILE", help="CA bundle to trust")
    parser.add_argument("--http2", action="store_true", help="offer HTTP/2 (TLS servers)")
    parser.add_argument("--no-redirects", action="store_true", help="do not follow redirects")
    parser.add_argument("--reconnect", action="store_true",
                        help="reconnect SSE streams like EventSource does")
    parser.add_argument("--max-reconnects", type=int, default=None, metavar="N",
                        help="with --reconnect: give up after N reconnects in all")
    parser.add_argument("--max-events", type=int, default=None, metavar="N",
                        help="end cleanly after N events or records")
    parser.add_argument("--identity", action="store_true",
                        help="send Accept-Encoding: identity (no compression)")
    parser.add_argument("--max-line", type=parse_size, default=None, metavar="BYTES",
                        help="longest SSE event or NDJSON/text line kept (default 16M);"
                             " a longer one is skipped with a decode error")
    parser.add_argument("--max-decoded", type=parse_size, default=None, metavar="BYTES",
                        help="a compressed body may inflate to this much (default 64M),"
                             " beyond it to at most --max-ratio times its wire size")
    parser.add_argument("--max-ratio", type=float, default=None, metavar="N",
                        help="decompression bomb guard: most decoded bytes per wire byte"
                             " past --max-decoded (default 200; 0: no ratio limit)")
    parser.add_argument("--no-decode-guard", action="store_true",
                        help="let compressed bodies inflate without any limit")


_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(text: str) -> int:
    """A byte count: digits with an optional binary unit (``16M``, ``512k``, ``1G``)."""
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = t[-1:] if t[-1:] in _UNITS else ""
    digits = t[:len(t) - len(unit)]
    if not digits.isdigit() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive byte count")
    return int(digits) * _UNITS[unit]


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t\r\n"):
        raise ArgumentError(f"bad header {text!r}: expected 'Name: value'")
    if "\r" in value or "\n" in value:
        raise ArgumentError(f"bad header {name!r}: value contains a line break")
    return name, value.strip()


def check_url(url: str) -> str:
    """Return the URL if it is an absolute http(s) URL, else raise ArgumentError."""
    import httpx  # here: ``stream-inspector`` without a URL starts faster

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ArgumentError(f"invalid URL {url!r}: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise ArgumentError(f"invalid URL {url!r}: only http:// and https:// are supported")
    if not parsed.host:
        raise ArgumentError(f"invalid URL {url!r}: no host")
    return url


def read_body(data: str | None) -> bytes | None:
    """``-d`` / ``--json``: the text itself, ``@FILE``'s bytes or, for ``@-``, stdin's (at most
    ``MAX_BODY``; a larger one is refused rather than read whole)."""
    if data is None:
        return None
    if data == "@-":
        try:
            body = sys.stdin.buffer.read(MAX_BODY + 1)
        except (OSError, AttributeError, ValueError) as exc:
            raise LocalFileError(f"cannot read the body from stdin: {exc}") from None
        where = "the body on stdin"
    elif data.startswith("@"):
        path = Path(data[1:])
        try:
            with path.open("rb") as f:
                body = f.read(MAX_BODY + 1)
        except OSError as exc:
            raise LocalFileError(f"cannot read body file {str(path)!r}: {exc.strerror or exc}"
                                 ) from None
        where = f"body file {str(path)!r}"
    else:
        return data.encode("utf-8")
    if len(body) > MAX_BODY:
        raise LocalFileError(f"{where} is larger than {MAX_BODY >> 20} MiB")
    return body


def json_headers(mode: str, have: Iterable[str]) -> list[tuple[str, str]]:
    """The headers ``--json`` adds, as curl's does, unless a header of that name is ``have``
    (given with ``-H`` or by a saved request). No ``Accept`` for an event stream
    (``--mode sse``), where the engine asks for ``text/event-stream``."""
    names = {h.lower() for h in have}
    add = [("Content-Type", "application/json")]
    if mode != Mode.SSE.value:
        add.append(("Accept", "application/json"))
    return [(k, v) for k, v in add if k.lower() not in names]


def spec_from_args(ns: argparse.Namespace,
                   inherited: Iterable[tuple[str, str]] = ()) -> RequestSpec:
    """The request the options describe; ``inherited``: the headers of a saved request these
    options apply on top of (``--json`` adds none of theirs)."""
    if ns.url is None:
        raise ArgumentError("no URL given")
    url = check_url(ns.url)
    headers = [parse_header(h) for h in ns.headers]
    if ns.json is not None and ns.data is not None:
        raise ArgumentError("-d and --json cannot be used together")
    body = read_body(ns.json if ns.json is not None else ns.data)
    if ns.json is not None:
        headers += json_headers(ns.mode, [k for k, _ in [*headers, *inherited]])
    method = (ns.method or ("POST" if body is not None else "GET")).upper()
    if not method.isalpha():
        raise ArgumentError(f"bad method {method!r}")
    for name in ("timeout", "connect_timeout", "max_time"):
        value = getattr(ns, name)
        if value is not None and value <= 0:
            raise ArgumentError(f"--{name.replace('_', '-')} must be a positive number of seconds")
    if ns.max_events is not None and ns.max_events < 1:
        raise ArgumentError("--max-events must be at least 1")
    if ns.max_reconnects is not None:
        if ns.max_reconnects < 0:
            raise ArgumentError("--max-reconnects must be 0 or more")
        if not ns.reconnect:
            raise ArgumentError("--max-reconnects needs --reconnect")
    guard = DecodeGuard()
    if ns.max_ratio is not None and ns.max_ratio < 0:
        raise ArgumentError("--max-ratio must be 0 or more")
    if ns.no_decode_guard:
        if ns.max_ratio is not None or ns.max_decoded is not None:
            raise ArgumentError("--no-decode-guard cannot be used with --max-ratio or "
                                "--max-decoded")
        guard = DecodeGuard(enabled=False)
    else:
        guard = DecodeGuard(guard.max_decoded if ns.max_decoded is None else ns.max_decoded,
                            guard.max_ratio if ns.max_ratio is None else ns.max_ratio)
    verify: bool | str = True
    if ns.insecure:
        verify = False
    elif ns.cacert:
        if not Path(ns.cacert).is_file():
            raise ArgumentError(f"CA bundle {ns.cacert!r} is not a readable file")
        verify = ns.cacert
    return RequestSpec(
        url=url,
        method=method,
        headers=headers,
        body=body,
        mode=Mode(ns.mode),
        timeouts=Timeouts(connect=ns.connect_timeout,
                          read=ns.timeout if ns.timeout is not None else 300.0,
                          total=ns.max_time),
        follow_redirects=not ns.no_redirects,
        verify=verify,
        http2=ns.http2,
        reconnect=ns.reconnect,
        max_reconnects=ns.max_reconnects,
        max_events=ns.max_events,
        decode_guard=guard,
        identity_encoding=ns.identity,
        max_line=ns.max_line or MAX_LINE,
    )
