"""``stream-inspector capture``: stream one request headlessly, NDJSON records on stdout.

For scripts, CI jobs and terminals. Plain asyncio, no Qt. Every record is one JSON line,
flushed at once so that a pipe (``| jq``, ``| head -3``) sees the stream live. Secrets are
masked on stdout as in saved files (``--show-secrets`` keeps them): stdout ends up in CI logs.

``--save FILE`` also writes a capture file (``capture_file``), streamed to disk as it goes.
``--llm`` reassembles an LLM reply (any known provider format) and prints one ``llm`` record
just before ``end``.

Exit status (``exitcodes``, README *Exit status*): 0 clean end (also after ``--max-events``),
a status per kind of failure modelled on curl's (7 could not connect, 18 cut short, 22 HTTP
error status, 28 timeout, ...; ``outcome``), 2 bad arguments (one line on stderr, no request
sent), 3 a local file, 130 Ctrl-C (143 SIGTERM), and 141 when stdout is closed early
(``| head -1``): the status a writer killed by SIGPIPE has, without Python's traceback.

Start-up is part of the contract (a CI job runs this often): what a plain ``capture URL``
does not need (the LLM assembler, the capture file writer, .http files) is imported where it
is used, and ``skip_unused_imports`` keeps HTTP/2's modules out of a run that cannot use them.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from stream_core.capture import exitcodes
from stream_core.capture.cliargs import (
    ArgumentError,
    LocalFileError,
    add_request_arguments,
    spec_from_args,
)
from stream_core.capture.outcome import ExitStatus
from stream_core.expect.options import add_expect_arguments, wanted
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Observer,
    Record,
    Request,
    Response,
    json_line,
)

if TYPE_CHECKING:  # imported where used: what a plain capture does not need, it does not load
    from stream_core.capture.masking import Masker
    from stream_core.capture.records_file import CaptureWriter
    from stream_core.expect.runner import LiveExpectations
    from stream_core.expect.syntax import Expectation

PROG = "stream-inspector capture"
EXIT_OK, EXIT_USAGE, EXIT_SIGINT = exitcodes.OK, exitcodes.USAGE, exitcodes.INTERRUPTED
EXIT_SIGTERM, EXIT_PIPE = exitcodes.TERMINATED, exitcodes.CLOSED_STDOUT
EXAMPLES = """examples:
  stream-inspector capture 'http://127.0.0.1:8000/events?count=3'
  stream-inspector capture URL --json '{"model": "m", "stream": true}' --llm --max-time 60
  stream-inspector capture --from api.http#chat --env local | jq -c 'select(.type=="event")'
"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage, so every bad argument is one line."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(message)


def build_parser(saved: bool = True) -> argparse.ArgumentParser:
    """Every option of ``capture``, in one place (``--help``, shell completion, parsing);
    ``saved``: with ``--from``, ``--env`` and ``--curl`` (their module imports the .http,
    environment and curl machinery: tens of ms that a plain ``capture URL`` does not pay)."""
    parser = _Parser(prog=PROG, description="Stream URL and print one JSON record per line.",
                     epilog=EXAMPLES + "\n" + exitcodes.epilog(),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_request_arguments(parser, url_required=False)
    if saved:
        from stream_core.capture.saved import add_saved_arguments

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
    parser.add_argument("--show-secrets", action="store_true",
                        help="print Authorization, Cookie, API keys and tokens on stdout"
                             " (masked by default, as in saved files: stdout ends up in logs)")
    parser.add_argument("--llm", action="store_true",
                        help='reassemble the LLM reply and print one "llm" record before "end"'
                             " (text, reasoning, tool calls, usage, timing)")
    add_expect_arguments(parser)  # --expect, --expect-file, --keep-going
    return parser


@dataclass(slots=True)
class Options:
    """What the command line asks besides the request itself."""

    chunks_data: bool = False
    save: str | None = None
    save_secrets: bool = False
    llm: bool = False
    show_secrets: bool = False
    expectations: list[Expectation] = dataclasses.field(default_factory=list)  # parsed
    keep_going: bool = False


def parse_args(argv: list[str]) -> tuple[RequestSpec, bool]:
    """The request spec and whether chunk data is wanted; ArgumentError for bad arguments."""
    spec, options = parse_options(argv)
    return spec, options.chunks_data


_SAVED = ("--from", "--env", "--curl")


def _may_name_saved(argv: Sequence[str]) -> bool:
    """Whether ``argv`` may use ``--from``, ``--env`` or ``--curl`` (argparse also takes an
    unambiguous prefix such as ``--cur``) or asks for ``--help``, which lists them."""
    for arg in argv:
        word = arg.split("=", 1)[0]
        if word in ("-h", "--help") or (len(word) > 2 and word.startswith("--") and any(
                option.startswith(word) for option in _SAVED)):
            return True
    return False


def parse_options(argv: list[str]) -> tuple[RequestSpec, Options]:
    """The request spec and the other options; ArgumentError for bad arguments."""
    ns = build_parser(saved=_may_name_saved(argv)).parse_args(argv)
    if ns.save is not None and not ns.save:
        raise ArgumentError("--save needs a file name")
    if ns.save_secrets and ns.save is None:
        raise ArgumentError("--save-secrets needs --save CAPTURE_FILE")
    if any(getattr(ns, name, None) is not None for name in ("from_file", "curl", "env")):
        from stream_core.capture.saved import spec_from_saved

        spec = spec_from_saved(ns)
    else:
        spec = spec_from_args(ns)
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
    return spec, Options(bool(ns.chunks_data), ns.save, bool(ns.save_secrets), bool(ns.llm),
                         bool(ns.show_secrets), *_expectations(ns))


def _expectations(ns: argparse.Namespace) -> tuple[list[Expectation], bool]:
    """``--expect``, ``--expect-file`` and the ``# @expect`` lines of ``--from``, parsed
    (the language is imported only then: ``capture`` alone starts without it)."""
    found: list[Expectation] = []
    source = getattr(ns, "from_file", None)
    if wanted(ns):
        from stream_core.expect import sources

        try:
            found = sources.from_arguments(ns.expect, ns.expect_file)
            if source is not None:
                found = sources.from_saved(source) + found
        except sources.ExpectationError as exc:
            raise ArgumentError(str(exc)) from None
    if ns.keep_going and not found:
        raise ArgumentError("--keep-going needs expectations (--expect, --expect-file, or"
                            " # @expect lines in the --from request)")
    return found, bool(ns.keep_going)


class Printer:
    """The observer that prints: one flushed JSON line per record, secrets masked unless
    ``show_secrets``; notices a closed stdout, and keeps the exit status (``status``) of what
    it printed."""

    def __init__(self, out: BinaryIO, *, chunks_data: bool,
                 on_closed: Callable[[], None], show_secrets: bool = True) -> None:
        self.out = out
        self.chunks_data = chunks_data
        self.on_closed = on_closed
        self.closed = False
        self.status = ExitStatus()
        self.masker: Masker | None = None
        if not show_secrets:
            from stream_core.capture.masking import Masker

            self.masker = Masker()

    def __call__(self, record: AnyRecord) -> None:
        self.status(record)
        if self.closed:
            return
        if self.masker is not None:
            record = self.masker.record(record)
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


#: Said in ``end.problems`` when an LLM reply ended without saying it was finished.
NO_FINISH = "llm: the reply ended before any finish reason (cut off, or not finished)"


def with_llm(observer: Observer, emit: Callable[[dict[str, Any]], None],
             body: bytes | None) -> Observer:
    """``observer``, with every event or record also fed to an LLM assembler whose ``llm``
    record is emitted just before ``end`` (printed only: a capture file keeps the stream).
    A reply in a known format that ended before any finish reason is also said in the
    ``end`` record's ``problems``: a script reading ``end`` must not miss it."""
    from stream_core.analysis.aggregate import to_llm  # ~0.1 s of imports: only for --llm
    from stream_core.analysis.llm import LLMAssembler

    llm = LLMAssembler.for_request(body)

    def observe(record: AnyRecord) -> None:
        if isinstance(record, Event | Record):
            to_llm(llm, record)
        elif isinstance(record, End):
            llm.close()
            reply = llm.to_record(record.t)
            emit(reply)
            if reply["format"] is not None and reply["finish_reason"] is None:
                record = dataclasses.replace(record, problems=[*record.problems, NO_FINISH])
        observer(record)
    return observe


class CannotSave(Exception):
    """The capture file cannot be written (``args[0]``: the OSError); no request was sent."""


#: Opens the capture file once ``t = 0`` is known: its ``started`` (wall clock) in, the writer
#: out; OSError when it cannot be written.
Opener = Callable[[float], "CaptureWriter"]


async def capture(spec: RequestSpec, out: BinaryIO, *, chunks_data: bool = False,
                  save: Opener | None = None, llm: bool = False,
                  show_secrets: bool = True, observers: Sequence[Observer] = (),
                  expectations: list[Expectation] | None = None,
                  keep_going: bool = False) -> int:
    """Run one capture to ``out`` (and to the capture file ``save`` opens once ``t = 0`` is
    known); returns the exit status. CannotSave (before any request is sent) when the file
    cannot be written.

    ``observers`` see every record the engine reports, before it is printed (in order).
    ``show_secrets`` is True here (a library caller's records are its own); the command
    line's default is to mask them. ``expectations`` are checked live: one ``expect`` record
    each when it is decided, the first failure stops the stream unless ``keep_going``, and
    ``EXPECTATION_FAILED`` is the status when the stream itself did not fail.
    """
    from stream_core.net.arrival import Origin
    from stream_core.net.session import Clients, run

    loop = asyncio.get_running_loop()
    why: list[int] = []
    task: asyncio.Task[Any] | None = None

    def stop(status: int) -> None:
        if not why:
            why.append(status)
        if task is not None:
            task.cancel()

    printer = Printer(out, chunks_data=chunks_data, on_closed=lambda: stop(EXIT_PIPE),
                      show_secrets=show_secrets)
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
    if observers:
        observer = _seen_by(observers, observer)
    live: LiveExpectations | None = None
    if expectations:
        from stream_core.expect.runner import LiveExpectations

        live = LiveExpectations(expectations, report=lambda v: printer.write(v.record().to_json()),
                                stop=lambda: stop(exitcodes.EXPECTATION_FAILED),
                                keep_going=keep_going, request_body=spec.body)
        observer = live.observer(observer)
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
        if live is not None:
            live.close()
        await clients.aclose()
    if why:
        return why[0]
    if printer.status.failed or live is None or not live.failed:
        return printer.status.status  # a failed stream's own status says more
    return exitcodes.EXPECTATION_FAILED


def _seen_by(observers: Sequence[Observer], then: Observer) -> Observer:
    def observe(record: AnyRecord) -> None:
        for o in observers:
            o(record)
        then(record)
    return observe


def _saving(writer: CaptureWriter, printer: Printer) -> Observer:
    """Each record to the capture file, then to stdout. When saving fails (a full disk) the
    stream goes on on stdout, but with an ``io`` error record when it happens, and an ``end``
    that is not complete: the saved capture is not. The file takes its name with the first
    response (``publish``: synced, so not before the request is on its way)."""
    from stream_core.net.errors import file_failure

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


def skip_unused_imports(argv: Sequence[str]) -> None:
    """For a process that runs this one command: keep HTTP/2's modules (h2, hpack,
    hyperframe: ~20 ms of every start) out when the request cannot use HTTP/2, that is
    without ``--http2`` and without a saved request or curl command that may ask for it.

    Relies on httpcore importing its HTTP/2 connection classes inside ``try/except
    ImportError`` and on httpx importing ``h2`` only for ``http2=True`` (both bounded in
    pyproject.toml; tests/core/test_cli_startup.py checks both ways). Does nothing once h2
    is imported."""
    words = {a.split("=", 1)[0] for a in argv}
    if not words & {"--http2", "--from", "--curl"}:
        sys.modules.setdefault("h2", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        spec, options = parse_options(args)
    except ArgumentError as exc:
        message = " ".join(str(exc).split())
        print(f"{PROG}: {message}", file=sys.stderr)
        return exitcodes.LOCAL_IO if isinstance(exc, LocalFileError) else EXIT_USAGE
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    writer: CaptureWriter | None = None
    opener: Opener | None = None
    if options.save is not None:
        path = options.save

        def opener(started: float) -> CaptureWriter:
            nonlocal writer
            from stream_core.capture.records_file import CaptureWriter

            writer = CaptureWriter(path, save_secrets=options.save_secrets,
                                   request_body=spec.body, mode=spec.mode.value,
                                   request=Request(0.0, spec.method, spec.url, spec.headers),
                                   started=started, live=False)
            return writer
    try:
        status = asyncio.run(capture(spec, sys.stdout.buffer, chunks_data=options.chunks_data,
                                     save=opener, llm=options.llm,
                                     show_secrets=options.show_secrets,
                                     expectations=options.expectations,
                                     keep_going=options.keep_going))
    except CannotSave as exc:  # a capture that cannot be saved is not worth sending
        err = exc.args[0]
        print(f"{PROG}: cannot write {options.save}: {err.strerror or err}", file=sys.stderr)
        return exitcodes.LOCAL_IO
    except KeyboardInterrupt:  # Ctrl-C before the handler was installed
        status = EXIT_SIGINT
    finally:
        if writer is not None:
            writer.close()
    if writer is not None and writer.error is not None and status == EXIT_OK:
        # failed only when closing, after the end record: no record can say it any more
        print(f"{PROG}: saving {options.save} failed: {writer.error}", file=sys.stderr)
        status = exitcodes.LOCAL_IO
    if status == EXIT_PIPE:
        _quiet_stdout()
    return status
