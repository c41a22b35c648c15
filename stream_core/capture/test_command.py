"""``stream-inspector test PATH... [--env NAME] [--junit FILE] [-j N] [--keep-going]``: run
every request of the ``.http`` files (folders searched) that has ``# @expect`` lines, print
one line per request and a summary, write a JUnit XML report, exit 1 on any failure.

Why a command of its own: CI gates a streaming API on how its streams behave, and a job wants
one step that says which request broke which expectation, in a report its CI system shows
(GitLab, Jenkins, GitHub's JUnit actions read the same XML). Everything (files, variables,
expectations, the report's folder) is checked before the first request is sent: a typo is
exit 2 at once, not a red build after minutes of streaming.

A request fails when an expectation fails, or when its stream fails (an ``error`` record:
could not connect, cut short...), as ``capture`` exits non-zero on either.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from stream_core.capture.cliargs import ArgumentError
from stream_core.capture.exitcodes import EXPECTATION_FAILED, INTERRUPTED, OK, USAGE
from stream_core.capture.records_file import atomic_write
from stream_core.capture.saved import MAX_HTTP_FILE, saved_spec
from stream_core.expect.evaluator import Verdict
from stream_core.expect.junit import Case, junit_bytes
from stream_core.expect.runner import LiveExpectations
from stream_core.expect.sources import ExpectationError, from_request
from stream_core.expect.syntax import Expectation
from stream_core.net.session import Clients, run
from stream_core.net.spec import RequestSpec
from stream_core.records import AnyRecord, Error, Response
from stream_core.requests import httpfile
from stream_core.userfiles import UserFileError, read_user_text

__all__ = ["main"]

PROG = "stream-inspector test"
SUFFIXES = (".http", ".rest")
MAX_JOBS = 64


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgumentError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=(
        "Run every request of the .http files (folders searched) that has '# @expect' lines,"
        " checking its expectations live; one line per request, a summary, and exit 1 when"
        " any failed (2: bad arguments, nothing sent)."))
    parser.add_argument("paths", nargs="+", metavar="PATH", help=".http/.rest files or folders")
    parser.add_argument("--env", default=None, metavar="NAME",
                        help="environment of http-client(.private).env.json beside each file")
    parser.add_argument("--junit", default=None, metavar="FILE",
                        help="write a JUnit XML report (one test suite per request, one test"
                             " case per expectation)")
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help=f"run N requests at once (1 to {MAX_JOBS}; default 1)")
    parser.add_argument("--keep-going", action="store_true",
                        help="let a stream run to its end after a failed expectation")
    return parser


@dataclass(slots=True)
class Item:
    """One request to run: where it is, how it is sent, what it must do."""

    name: str  # "path/file.http#request", as shown
    spec: RequestSpec
    expectations: list[Expectation]


@dataclass(slots=True)
class Outcome:
    item: Item
    verdicts: list[Verdict] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    response: Response | None = None
    duration: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(v.failed for v in self.verdicts)


def _files(paths: list[str]) -> Iterator[Path]:
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                           and not any(part.startswith(".") for part in
                                       p.relative_to(path).parts))
            if not found:
                raise ArgumentError(f"no .http or .rest files in {text}")
            yield from found
        elif path.is_file():
            yield path
        else:
            raise ArgumentError(f"{text}: no such file or folder")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def collect(paths: list[str], env: str | None) -> list[Item]:
    """Every request with expectations, ready to send; ArgumentError for anything wrong."""
    items: list[Item] = []
    for path in _files(paths):
        try:
            doc = httpfile.parse(read_user_text(path, ".http file", MAX_HTTP_FILE))
        except UserFileError as exc:
            raise ArgumentError(str(exc)) from None
        for request in doc.requests:
            if not request.expectations:
                continue
            try:
                expectations = from_request(doc, request, path)
            except ExpectationError as exc:
                raise ArgumentError(str(exc)) from None
            spec = saved_spec(f"{path}#{request.name}", env)
            items.append(Item(f"{_shown(path)}#{request.name}", spec, expectations))
    return items


async def run_one(item: Item, clients: Clients, keep_going: bool) -> Outcome:
    """Stream one request with its expectations checked live."""
    outcome = Outcome(item)
    task: asyncio.Task[Any] | None = None

    def stop() -> None:
        if task is not None:
            task.cancel()

    def observe(rec: AnyRecord) -> None:
        if isinstance(rec, Error) and rec.kind != "cancelled":
            outcome.errors.append(rec)
        elif isinstance(rec, Response) and outcome.response is None and rec.mode != "redirect":
            outcome.response = rec

    live = LiveExpectations(item.expectations, report=lambda v: None, stop=stop,
                            keep_going=keep_going, request_body=item.spec.body)
    started = time.monotonic()
    task = asyncio.ensure_future(run(clients, item.spec, live.observer(observe)))
    try:
        await asyncio.wait([task])
    finally:
        if not task.done():  # this run was cancelled (Ctrl-C): its stream goes too
            task.cancel()
            await asyncio.wait([task])
        live.close()
        outcome.duration = time.monotonic() - started
        outcome.verdicts = list(live.verdicts)
    return outcome


def line(outcome: Outcome) -> str:
    """``PASS  file.http#name  ...`` for one request."""
    verdicts = outcome.verdicts
    counts = {r: sum(v.result == r for v in verdicts) for r in ("pass", "fail", "skip")}
    took = f"{outcome.duration:.2f} s"
    if not outcome.failed:
        return f"PASS  {outcome.item.name}  {counts['pass']}/{len(verdicts)}  {took}"
    first = next((v for v in verdicts if v.failed), None)
    if first is not None:
        why = f"{first.expectation.text}: {first.message}"
    else:
        error = outcome.errors[0]
        why = f"{error.kind}: {error.message}"
    extra = ", ".join(f"{n} {word}" for word, n in (("failed", counts["fail"]),
                                                    ("skipped", counts["skip"]),
                                                    ("passed", counts["pass"])) if n)
    return f"FAIL  {outcome.item.name}  {why}  ({extra})  {took}"


def summary(outcomes: list[Outcome], took: float) -> str:
    failed = sum(o.failed for o in outcomes)
    verdicts = [v for o in outcomes for v in o.verdicts]
    counts = {r: sum(v.result == r for v in verdicts) for r in ("pass", "fail", "skip")}
    return (f"{len(outcomes)} requests: {len(outcomes) - failed} passed, {failed} failed;"
            f" {len(verdicts)} expectations: {counts['pass']} passed, {counts['fail']} failed,"
            f" {counts['skip']} skipped ({took:.2f} s)")


def to_case(outcome: Outcome) -> Case:
    response = outcome.response
    about = f"{outcome.item.spec.method} {outcome.item.spec.url}"
    if response is not None:
        about += f" -> {response.status} {response.mode}"
    return Case(outcome.item.name, outcome.verdicts,
                [f"{e.kind}: {e.message}" for e in outcome.errors], outcome.duration, about)


async def run_all(items: list[Item], jobs: int, keep_going: bool) -> tuple[list[Outcome], bool]:
    """Every item, ``jobs`` at a time, printing a line as each ends; (outcomes, interrupted)."""
    clients = Clients()
    gate = asyncio.Semaphore(jobs)
    outcomes: dict[int, Outcome] = {}

    async def one(i: int, item: Item) -> None:
        async with gate:
            outcomes[i] = outcome = await run_one(item, clients, keep_going)
            print(line(outcome), flush=True)

    main_task = asyncio.ensure_future(asyncio.gather(*(one(i, it) for i, it in
                                                       enumerate(items))))
    loop = asyncio.get_running_loop()
    interrupted: list[bool] = []

    def interrupt() -> None:
        interrupted.append(True)
        main_task.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, interrupt)
    except (NotImplementedError, RuntimeError, ValueError):
        pass
    try:
        await asyncio.wait([main_task])
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
        await clients.aclose()
    return [outcomes[i] for i in sorted(outcomes)], bool(interrupted)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        ns = build_parser().parse_args(args)
        if not 1 <= ns.jobs <= MAX_JOBS:
            raise ArgumentError(f"-j must be between 1 and {MAX_JOBS}")
        if ns.junit is not None:
            folder = Path(ns.junit).parent
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                raise ArgumentError(f"cannot write the JUnit report {ns.junit}: its folder"
                                    " does not exist or is not writable")
        items = collect(ns.paths, ns.env)
    except ArgumentError as exc:
        print(f"{PROG}: {' '.join(str(exc).split())}", file=sys.stderr)
        return USAGE
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else OK
    if not items:
        print(f"{PROG}: no request with '# @expect' lines in {' '.join(ns.paths)}",
              file=sys.stderr)
        return USAGE
    started = time.monotonic()
    outcomes, interrupted = asyncio.run(run_all(items, ns.jobs, ns.keep_going))
    print(summary(outcomes, time.monotonic() - started), flush=True)
    if ns.junit is not None:
        try:
            data = junit_bytes([to_case(o) for o in outcomes], time.monotonic() - started)
            with atomic_write(ns.junit) as f:  # a report is never half there
                f.write(data)
        except OSError as exc:
            print(f"{PROG}: cannot write {ns.junit}: {exc.strerror or exc}", file=sys.stderr)
            return EXPECTATION_FAILED
    if interrupted:
        return INTERRUPTED
    return EXPECTATION_FAILED if any(o.failed for o in outcomes) else OK
