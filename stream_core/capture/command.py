"""``stream-inspector capture``: stream one request headlessly, NDJSON records on stdout.

For scripts, CI jobs and terminals. Plain asyncio, no Qt. Every record is one JSON line,
flushed at once so that a pipe (``| jq``, ``| head -3``) sees the stream live.

``--save FILE`` also writes a capture file (``capture_file``), streamed to disk as it goes.
``--llm`` reassembles an LLM reply (any known provider format) and prints one ``llm`` record
just before ``end``.

Exit status: 0 clean end (also after ``--max-events``), 1 when any error record was printed,
2 bad arguments (one line on stderr, no request sent), 130 Ctrl-C (143 SIGTERM), and 141 when
stdout is closed early (``| head -1``): the status a writer killed by SIGPIPE has, without the
traceback Python would otherwise print.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, NoReturn

from stream_core.analysis.aggregate import to_llm
from stream_core.analysis.llm import LLMAssembler
from stream_core.capture.cliargs import ArgumentError, add_request_arguments, spec_from_args
from stream_core.capture.records_file import CaptureWriter
from stream_core.capture.saved import add_saved_arguments, spec_from_saved
from stream_core.net.arrival import Origin
from stream_core.net.errors import file_failure
from stream_core.net.session import Clients, run
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Observer,
    Record,
    Response,
    json_line,
)

PROG = "stream-inspector capture"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SIGINT, EXIT_SIGTERM, EXIT_PIPE = 0, 1, 2, 130, 143, 141


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage, so every bad argument is one line."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Stream URL and print one JSON record per line.")
    add_request_arguments(parser, url_required=False)
    add_saved_arguments(parser)  # --from FILE.http#NAME [--env NAME], --curl 'curl ...'
    parser.add_argument("-o", "--output", default=None, metavar="FILE",
                        help="download the body to FILE (via FILE.part; implies --mode download)")
    parser.add_argument("--resume", action="store_true",
                        help="continue FILE.part from where it stopped (needs -o)")
    parser.add_argument("--decode", action="store_true",
                        help="with -o: save the body with its Content-Encoding undone"
                             " (by default the file holds the bytes as sent)")
    parser.add_argument("--chunks-data", action="store_true",
                        help='add the bytes of each chunk as "data_b64"')
    parser.add_argument("--save", default=None, metavar="CAPTURE_FILE",
                        help="also save the stream (exact bytes and timing) to a capture file"
                             " (.sicap) that the window opens and `serve --replay` replays")
    parser.add_argument("--save-secrets", action="store_true",
                        help="keep Authorization, Cookie, API keys and tokens in the saved"
                             " capture (masked by default)")
    parser.add_argument("--llm", action="store_true",
                        help='reassemble the LLM reply and print one "llm" record before "end"'
                             " (text, reasoning, tool calls, usage, timing)")
    return parser


@dataclass(slots=True)
class Options:
    """What the command line asks besides the request itself."""

    chunks_data: bool = False
    save: str | None = None
    save_secrets: bool = False
    llm: bool = False


def parse_args(argv: list[str]) -> tuple[RequestSpec, bool]:
    """The request spec and whether chunk data is wanted; ArgumentError for bad arguments."""
    spec, options = parse_options(argv)
    return spec, options.chunks_data


def parse_options(argv: list[str]) -> tuple[RequestSpec, Options]:
    """The request spec and the other options; ArgumentError for bad arguments."""
    ns = build_parser().parse_args(argv)
    if ns.save is not None and not ns.save:
        raise ArgumentError("--save needs a file name")
    if ns.save_secrets and ns.save is None:
        raise ArgumentError("--save-secrets needs --save CAPTURE_FILE")
    saved = ns.from_file is not None or ns.curl is not None or ns.env is not None
    spec = spec_from_saved(ns) if saved else spec_from_args(ns)
    if ns.output is not None:
        if not ns.output:
            raise ArgumentError("-o needs a file name")
        if spec.mode not in (Mode.AUTO, Mode.DOWNLOAD):
            raise ArgumentError(f"-o saves a download; it cannot be used with --mode "
                                f"{spec.mode.value}")
        spec.mode, spec.output, spec.resume = Mode.DOWNLOAD, ns.output, ns.resume
        spec.decode = ns.decode
    elif spec.mode is Mode.DOWNLOAD:
        raise ArgumentError("--mode download needs -o FILE")
    elif ns.resume or ns.decode:
        raise ArgumentError(f"--{'resume' if ns.resume else 'decode'} needs -o FILE")
    if spec.reconnect and spec.mode not in (Mode.AUTO, Mode.SSE):
        raise ArgumentError(f"--reconnect is for event streams; it cannot be used with "
                            f"--mode {spec.mode.value}")
    return spec, Options(bool(ns.chunks_data), ns.save, bool(ns.save_secrets), bool(ns.llm))


class Printer:
    """The observer: one flushed JSON line per record; notices a closed stdout."""

    def __init__(self, out: BinaryIO, *, chunks_data: bool,
                 on_closed: Callable[[], None]) -> None:
        self.out = out
        self.chunks_data = chunks_data
        self.on_closed = on_closed
        self.closed = False
        self.errors = 0

    def __call__(self, record: AnyRecord) -> None:
        if isinstance(record, Error) and record.kind != "cancelled":
            self.errors += 1
        if self.closed:
            return
        self.write(record.to_json(self.chunks_data) if isinstance(record, Chunk)
                   else record.to_json())

    def write(self, obj: dict[str, Any]) -> None:
        """One JSON line, flushed."""
        if self.closed:
            return
        try:
            self.out.write(json_line(obj))
            self.out.flush()
        except (BrokenPipeError, ConnectionResetError, ValueError):
            self.closed = True
            self.on_closed()


def with_llm(observer: Observer, emit: Callable[[dict[str, Any]], None],
             body: bytes | None) -> Observer:
    """``observer``, with every event or record also fed to an LLM assembler whose ``llm``
    record is emitted just before ``end`` (printed only: a capture file keeps the stream)."""
    llm = LLMAssembler.for_request(body)

    def observe(record: AnyRecord) -> None:
        if isinstance(record, Event | Record):
            to_llm(llm, record)
        elif isinstance(record, End):
            llm.close()
            emit(llm.to_record(record.t))
        observer(record)
    return observe


class CannotSave(Exception):
    """The capture file cannot be written (``args[0]``: the OSError); no request was sent."""


#: Opens the capture file once ``t = 0`` is known: its ``started`` (wall clock) in, the writer
#: out; OSError when it cannot be written.
Opener = Callable[[float], CaptureWriter]


async def capture(spec: RequestSpec, out: BinaryIO, *, chunks_data: bool = False,
                  save: Opener | None = None, llm: bool = False) -> int:
    """Run one capture to ``out`` (and to the capture file ``save`` opens); returns the exit
    status. CannotSave (before any request is sent) when the file cannot be written."""
    loop = asyncio.get_running_loop()
    why: list[int] = []
    task: asyncio.Task[Any] | None = None

    def stop(status: int) -> None:
        if not why:
            why.append(status)
        if task is not None:
            task.cancel()

    printer = Printer(out, chunks_data=chunks_data, on_closed=lambda: stop(EXIT_PIPE))
    observer: Observer = printer
    clients = Clients()
    # t = 0 comes once the client is ready (TLS setup, the arrival reader's start), so that a
    # capture file's ``started`` is the wall clock of t = 0 exactly.
    origin: Origin | None = None
    if save is not None:
        try:
            await clients.prepare(spec)
        except (OSError, ValueError):
            pass  # the same failure is the stream's to report, as a tls error record
        origin = Origin.now()
        try:
            observer = _saving(save(origin.wall), printer)
        except OSError as exc:
            await clients.aclose()
            raise CannotSave(exc) from exc
    if llm:
        observer = with_llm(observer, printer.write, spec.body)
    handled: list[signal.Signals] = []
    for sig, status in ((signal.SIGINT, EXIT_SIGINT), (signal.SIGTERM, EXIT_SIGTERM)):
        try:
            loop.add_signal_handler(sig, stop, status)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
            pass
    try:
        task = asyncio.ensure_future(run(clients, spec, observer, origin=origin))
        await asyncio.wait([task])
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await clients.aclose()
    if why:
        return why[0]
    return EXIT_ERROR if printer.errors else EXIT_OK


def _saving(writer: CaptureWriter, printer: Printer) -> Observer:
    """Each record to the capture file, then to stdout. When saving fails (a full disk) the
    stream goes on on stdout, but with an ``io`` error record when it happens, and an ``end``
    that is not complete: the saved capture is not. The file takes its name with the first
    response (``publish``: synced, so not before the request is on its way)."""

    unpublished = [True]

    def observer(record: AnyRecord) -> None:
        failed = writer.error is not None
        writer(record)
        if unpublished and isinstance(record, Response):
            unpublished.clear()
            writer.publish()
        if writer.error is not None and not failed:
            where = writer.path or "the capture file"
            printer(Error(record.t, "io", "saving the capture stopped: "
                                          + file_failure(writer.error, where).message))
        if isinstance(record, End) and writer.error is not None:
            record = dataclasses.replace(record, complete=False)
        printer(record)

    return observer


def _quiet_stdout() -> None:
    """Point fd 1 at /dev/null so that the final flush of a closed pipe cannot complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        spec, options = parse_options(args)
    except ArgumentError as exc:
        message = " ".join(str(exc).split())
        print(f"{PROG}: {message}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    writer: CaptureWriter | None = None
    opener: Opener | None = None
    if options.save is not None:
        path = options.save

        def opener(started: float) -> CaptureWriter:
            nonlocal writer
            writer = CaptureWriter(path, save_secrets=options.save_secrets,
                                   request_body=spec.body, mode=spec.mode.value,
                                   started=started, live=False)
            return writer
    try:
        status = asyncio.run(capture(spec, sys.stdout.buffer, chunks_data=options.chunks_data,
                                     save=opener, llm=options.llm))
    except CannotSave as exc:  # a capture that cannot be saved is not worth sending
        err = exc.args[0]
        print(f"{PROG}: cannot write {options.save}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C before the handler was installed
        status = EXIT_SIGINT
    finally:
        if writer is not None:
            writer.close()
    if writer is not None and writer.error is not None and status == EXIT_OK:
        # failed only when closing, after the end record: no record can say it any more
        print(f"{PROG}: saving {options.save} failed: {writer.error}", file=sys.stderr)
        status = EXIT_ERROR
    if status == EXIT_PIPE:
        _quiet_stdout()
    return status
