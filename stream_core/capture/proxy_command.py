"""``stream-inspector proxy``: a recording reverse proxy in front of BASE_URL, headless.

Point an app at the proxy and every exchange is forwarded read by read
(``stream_core.net.proxy``) while its records are printed as NDJSON, the ``capture`` format
plus ``"exchange": N``, flushed per record, so a CI job records what its app received.
stdout holds records only (``proxy ... | jq`` works from its first line): first one
``listening`` record (the proxy's URL, the target, the base URL to give the app), then the
exchanges'; the human lines (``listening on URL``, ``OPENAI_BASE_URL=...``, warnings, a
capture that could not be saved) go to stderr.

``--save DIR`` also writes one capture file per exchange, numbered after the files already
there (a second run never overwrites the first's), each written under a temporary name and
renamed only when complete: a full disk is said on stderr at once, and leaves no torn file.
Credentials reach the target untouched; in what is printed and saved they are masked
(``capture.masking``, bodies included) unless ``--save-secrets`` (files then 0600).

Exit status (``capture.exitcodes``): 0 after a clean stop, 2 for bad arguments or an address
that cannot be bound (a busy port: as ``serve`` says it), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import re
import sys
from typing import BinaryIO, NoReturn, TextIO

from stream_core.capture import exitcodes
from stream_core.capture.masking import Masker
from stream_core.capture.reader import SUFFIX
from stream_core.capture.records_file import CaptureWriter
from stream_core.net.proxy import Exchange, ProxyApp, check_target
from stream_core.net.proxy_http import base_url
from stream_core.net.proxy_server import bind, serve
from stream_core.records import AnyRecord, Chunk, End, Observer, Request, json_line

PROG = "stream-inspector proxy"
_NUMBERED = re.compile(r"(\d{5,})-.*" + re.escape(SUFFIX))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Forward requests to BASE_URL, streaming each answer "
                "back as it arrives, and print the records of every exchange as NDJSON "
                "(a 'listening' record first; human lines go to stderr).")
    p.add_argument("--target", required=True, metavar="BASE_URL",
                   help="where requests go, e.g. https://api.openai.com/v1")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default 0: a free one)")
    p.add_argument("--save", metavar="DIR", default=None,
                   help="also write one capture file (.sicap) per exchange into DIR, numbered"
                        " after the files already there")
    p.add_argument("--save-secrets", action="store_true",
                   help="keep Authorization, Cookie, API keys and tokens in the printed records"
                        " and saved captures (masked by default)")
    p.add_argument("--chunks-data", action="store_true",
                   help='add the bytes of each chunk as "data_b64" to the printed records')
    p.add_argument("--insecure", action="store_true",
                   help="do not verify the target's TLS certificate")
    p.add_argument("--cacert", metavar="FILE", default=None,
                   help="verify the target's TLS certificate with this CA bundle")
    return p


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def capture_name(exchange: Exchange, number: int | None = None) -> str:
    """``00001-post-v1-chat-completions.sicap``: the number, then method and path."""
    path = exchange.target.split("?", 1)[0].strip("/")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:60] or "root"
    return f"{exchange.id if number is None else number:05d}-{exchange.method.lower()}-{slug}{SUFFIX}"


def last_number(folder: str) -> int:
    """The highest number of the captures already in ``folder`` (0 when none)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    return max((int(m.group(1)) for n in names if (m := _NUMBERED.fullmatch(n))), default=0)


def _free(path: str) -> str:
    """``path``, or ``NAME-2.sicap``... when a file of that name exists (never overwritten)."""
    stem, n = path[:-len(SUFFIX)], 1
    while os.path.lexists(path):
        n += 1
        path = f"{stem}-{n}{SUFFIX}"
    return path


class ExchangePrinter:
    """Makes each exchange's observer: one flushed NDJSON line per record (masked unless
    ``save_secrets``), and a capture file per exchange under ``save``."""

    def __init__(self, out: BinaryIO, *, save: str | None = None, save_secrets: bool = False,
                 chunks_data: bool = False, err: TextIO | None = None) -> None:
        self.out, self.save, self.save_secrets = out, save, save_secrets
        self.chunks_data = chunks_data
        self.err = err if err is not None else sys.stderr
        self.closed = False
        self.save_errors: list[str] = []
        self.numbered = last_number(save) if save is not None else 0

    def __call__(self, exchange: Exchange) -> Observer:
        masker = None if self.save_secrets else Masker()
        writer: list[CaptureWriter | None] = []  # empty until opened; [None] if it failed
        held: list[AnyRecord] = []

        def observer(record: AnyRecord) -> None:
            self.print(exchange.id, record, masker)
            if self.save is None:
                return
            if not writer:
                # The capture's header holds the request body: open it once that is known.
                held.append(record)
                if not (exchange.body_done or isinstance(record, End)):
                    return
                writer.append(self.open(exchange, held))
                records, held[:] = list(held), []
            else:
                records = [record]
            w = writer[0]
            if w is None:
                return
            w.extend(records)
            if w.error is not None:
                self.failed(exchange, w.path or "", w.error)
                writer[0] = None
                w.close()  # nothing under its name: the temporary file is removed
            elif isinstance(record, End):
                w.close()
                if w.error is not None:
                    self.failed(exchange, w.path or "", w.error)
        return observer

    def open(self, exchange: Exchange, records: list[AnyRecord]) -> CaptureWriter | None:
        assert self.save is not None
        self.numbered = max(self.numbered + 1, last_number(self.save) + 1)
        path = _free(os.path.join(self.save, capture_name(exchange, self.numbered)))
        request = next((r for r in records if isinstance(r, Request)), None)
        try:  # renamed to ``path`` only once complete (live=False): never a torn capture
            return CaptureWriter(path, save_secrets=self.save_secrets,
                                 request_body=exchange.request_body or None, request=request,
                                 started=exchange.started, live=False)
        except OSError as exc:
            self.failed(exchange, path, exc)
            return None

    def failed(self, exchange: Exchange, path: str, exc: OSError) -> None:
        """Said at once, on stderr: the exchange goes on, its capture is not kept."""
        problem = f"{path}: {exc.strerror or exc}"
        self.save_errors.append(problem)
        try:
            print(f"{PROG}: cannot save exchange {exchange.id} ({problem}); it goes on,"
                  " unsaved", file=self.err, flush=True)
        except (OSError, ValueError):
            pass

    def print(self, exchange: int, record: AnyRecord, masker: Masker | None = None) -> None:
        if self.closed:
            return
        if masker is None:
            records = [record]
        elif isinstance(record, Chunk) and not self.chunks_data:
            records = [record]  # its bytes are not printed
        elif self.chunks_data:
            records = masker.feed(record)  # a chunk may wait for the next (a split secret)
        else:
            records = [masker.record(record)]
        try:
            for r in records:
                obj = r.to_json(self.chunks_data) if isinstance(r, Chunk) else r.to_json()
                obj["exchange"] = exchange
                self.out.write(json_line(obj))
            self.out.flush()
        except (BrokenPipeError, ConnectionResetError, ValueError):
            self.closed = True  # nobody reads the records any more: the proxy goes on


def listening_record(url: str, target: str) -> dict[str, str]:
    """The first line of stdout: where the proxy listens and what to give the app."""
    name, value = base_url(target, url)
    return {"type": "listening", "url": url, "target": target, "base_url": value, "env": name}


def _fail(message: str) -> int:
    print(f"{PROG}: {' '.join(message.split())}", file=sys.stderr)
    return exitcodes.USAGE


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        ns = build_parser().parse_args(args)
        target = check_target(ns.target)
        if not 0 <= ns.port <= 65535:
            raise ValueError(f"--port must be 0..65535, not {ns.port}")
    except ValueError as exc:
        return _fail(str(exc))
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else exitcodes.OK
    if ns.save is not None:
        try:
            os.makedirs(ns.save, exist_ok=True)
        except OSError as exc:
            return _fail(f"cannot write into {ns.save}: {exc.strerror or exc}")
    try:
        sock = bind(ns.host, ns.port)
    except OSError as exc:
        return _fail(f"cannot listen on {ns.host}:{ns.port}: {exc.strerror or exc}")
    if not _is_loopback(ns.host):
        print(f"{PROG}: warning: listening on {ns.host}: anyone who can reach it can use"
              f" the proxy (and the credentials it forwards)", file=sys.stderr)
    out = sys.stdout.buffer
    printer = ExchangePrinter(out, save=ns.save, save_secrets=ns.save_secrets,
                              chunks_data=ns.chunks_data)
    try:
        app = ProxyApp(target, printer, verify=False if ns.insecure else (ns.cacert or True))
    except OSError as exc:  # ssl.SSLError included
        sock.close()
        return _fail(f"cannot use the CA bundle {ns.cacert}: {exc}")
    host = f"[{ns.host}]" if ":" in ns.host else ns.host
    url = f"http://{host}:{sock.getsockname()[1]}"

    def ready() -> None:
        listening = listening_record(url, target)
        try:
            out.write(json_line(listening))
            out.flush()
        except (BrokenPipeError, ConnectionResetError, ValueError):
            printer.closed = True
        print(f"listening on {url}\n{listening['env']}={listening['base_url']}",
              file=sys.stderr, flush=True)

    status = exitcodes.OK
    try:
        asyncio.run(serve(app, sock, ready))
    except KeyboardInterrupt:
        status = exitcodes.INTERRUPTED
    finally:
        sock.close()
    return status
