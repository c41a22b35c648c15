"""``stream-inspector proxy``: a recording reverse proxy in front of BASE_URL, headless.

Point an app at the proxy (it prints the line to use, ``OPENAI_BASE_URL=...`` for a ``/v1``
target) and every exchange is forwarded read by read (``stream_core.net.proxy``) while its
records are printed as NDJSON, the ``capture`` format plus ``"exchange": N``, flushed per
record, so a CI job records what its app received. ``--save DIR`` also writes one capture
file per exchange. Credentials reach the target untouched; in what is printed and saved they
are masked (``records_file``) unless ``--save-secrets``.

Exit status: 0 after a clean stop, 2 for bad arguments or an address that cannot be bound,
130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import re
import sys
from typing import BinaryIO, NoReturn

from stream_core.capture.masking import masked
from stream_core.capture.reader import SUFFIX
from stream_core.capture.records_file import CaptureWriter
from stream_core.net.proxy import Exchange, ProxyApp, base_url_hint, check_target
from stream_core.net.proxy_server import bind, serve
from stream_core.records import AnyRecord, Chunk, End, Observer, json_line

PROG = "stream-inspector proxy"
EXIT_OK, EXIT_USAGE, EXIT_SIGINT = 0, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Forward requests to BASE_URL, streaming each answer "
                "back as it arrives, and print the records of every exchange as NDJSON.")
    p.add_argument("--target", required=True, metavar="BASE_URL",
                   help="where requests go, e.g. https://api.openai.com/v1")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default 0: a free one)")
    p.add_argument("--save", metavar="DIR", default=None,
                   help="also write one capture file (.sicap) per exchange into DIR")
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


def capture_name(exchange: Exchange) -> str:
    path = exchange.target.split("?", 1)[0].strip("/")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:60] or "root"
    return f"{exchange.id:05d}-{exchange.method.lower()}-{slug}{SUFFIX}"


class ExchangePrinter:
    """Makes each exchange's observer: one flushed NDJSON line per record, and a capture file
    per exchange under ``save``."""

    def __init__(self, out: BinaryIO, *, save: str | None = None, save_secrets: bool = False,
                 chunks_data: bool = False) -> None:
        self.out, self.save, self.save_secrets = out, save, save_secrets
        self.chunks_data = chunks_data
        self.closed = False
        self.save_errors: list[str] = []

    def __call__(self, exchange: Exchange) -> Observer:
        writer: list[CaptureWriter | None] = []  # empty until opened; [None] if it failed
        held: list[AnyRecord] = []

        def observer(record: AnyRecord) -> None:
            self.print(exchange.id, record)
            if self.save is None:
                return
            if not writer:
                # The capture's header holds the request body: open it once that is known.
                held.append(record)
                if not (exchange.body_done or isinstance(record, End)):
                    return
                writer.append(self.open(exchange))
                records, held[:] = list(held), []
            else:
                records = [record]
            w = writer[0]
            if w is None:
                return
            w.extend(records)
            if isinstance(record, End):
                w.close()
                if w.error is not None:
                    self.save_errors.append(f"{w.path}: {w.error}")
        return observer

    def open(self, exchange: Exchange) -> CaptureWriter | None:
        assert self.save is not None
        path = os.path.join(self.save, capture_name(exchange))
        try:
            return CaptureWriter(path, save_secrets=self.save_secrets,
                                 request_body=exchange.request_body or None,
                                 started=exchange.started)
        except OSError as exc:
            self.save_errors.append(f"{path}: {exc.strerror or exc}")
            return None

    def print(self, exchange: int, record: AnyRecord) -> None:
        if self.closed:
            return
        if not self.save_secrets:
            record = masked([record])[0]
        obj = record.to_json(self.chunks_data) if isinstance(record, Chunk) else record.to_json()
        obj["exchange"] = exchange
        try:
            self.out.write(json_line(obj))
            self.out.flush()
        except (BrokenPipeError, ConnectionResetError, ValueError):
            self.closed = True  # nobody reads the records any more: the proxy goes on


def _fail(message: str) -> int:
    print(f"{PROG}: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_USAGE


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
        return exc.code if isinstance(exc.code, int) else EXIT_OK
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
        out.write(f"listening on {url}\n{base_url_hint(target, url)}\n".encode())
        out.flush()

    status = EXIT_OK
    try:
        asyncio.run(serve(app, sock, ready))
    except KeyboardInterrupt:
        status = EXIT_SIGINT
    finally:
        sock.close()
    for problem in printer.save_errors[:5]:
        print(f"{PROG}: saving failed: {problem}", file=sys.stderr)
    return status
