"""``capture --from FILE.http#NAME [--env NAME]`` and ``capture --curl 'curl ...'``: a saved
request or a pasted curl command, run headlessly with the window's variable rules.

The request comes from the file (or the command) with every ``{{variable}}`` resolved; the
command line's own options (``-H``, ``--mode``, ``--max-events``, ``--timeout``, ...) then
apply on top, so CI can tighten a saved request without editing it. Anything that stops the
request (an unknown name, an undefined variable, an unsupported curl option) is an
``ArgumentError``: exit 2, one line, nothing sent. No demo server runs under ``capture``, so
``{{demo}}`` is defined there only by the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from stream_core.capture.cliargs import ArgumentError, spec_from_args
from stream_core.net.session import Clients
from stream_core.net.spec import RequestSpec
from stream_core.requests import httpfile
from stream_core.requests.build import (
    SavedRequestError,
    check_headers,
    fetch_exchange,
    request_spec,
    spec_with_references,
)
from stream_core.requests.curl_import import CurlError, parse_curl
from stream_core.requests.environments import (
    Environments,
    Variables,
    load_environments,
)
from stream_core.requests.references import Exchange, NeedsResponse
from stream_core.userfiles import UserFileError, read_user_text

__all__ = ["add_saved_arguments", "saved_spec", "spec_from_saved"]

MAX_HTTP_FILE = 16 * 1024 * 1024


def add_saved_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="from_file", default=None, metavar="FILE.http#NAME",
                        help="run the request NAME saved in FILE.http (the only one if no"
                             " #NAME; #N for the N-th); requests it references"
                             " ({{login.response.body.$.token}}) run first")
    parser.add_argument("--env", default=None, metavar="NAME",
                        help="environment of http-client(.private).env.json beside the file")
    parser.add_argument("--curl", default=None, metavar="'curl ...'",
                        help="run a pasted curl command")


def _pick(doc: httpfile.HttpFile, path_text: str, name: str) -> httpfile.HttpRequest:
    if not name:
        if len(doc.requests) != 1:
            raise ArgumentError(f"{path_text} has {len(doc.requests)} requests: say which"
                                f" with {path_text}#NAME")
        return doc.requests[0]
    try:
        return doc.find(name)
    except httpfile.HttpFileError as exc:
        if name.isdigit() and 0 < int(name) <= len(doc.requests):  # FILE#3: the third
            return doc.requests[int(name) - 1]
        raise ArgumentError(f"{path_text}: {exc}") from None


def _env_problems(envs: Environments) -> str:
    return "".join(f"; {error}" for error in envs.errors)


def saved_spec(source: str, env: str | None = None, *, demo: str | None = None) -> RequestSpec:
    """The request ``FILE.http#NAME`` as it will be sent; ArgumentError if it cannot be.

    A request reference to another request of the file runs that request first (with the
    engine, quietly: its records are not printed)."""
    path_text, _, name = source.partition("#")
    path = Path(path_text)
    try:
        doc = httpfile.parse(read_user_text(path, ".http file", MAX_HTTP_FILE))
    except UserFileError as exc:
        raise ArgumentError(str(exc)) from None
    envs = load_environments(path.parent)
    if env is not None and env not in envs.values:
        names = ", ".join(envs.names) or f"none: no {path.parent / 'http-client.env.json'}"
        raise ArgumentError(f"no environment {env!r} (environments: {names})"
                            + _env_problems(envs))
    request = _pick(doc, path_text, name)
    exchanges: dict[str, Exchange] = {}

    def variables(r: httpfile.HttpRequest) -> Variables:
        found = Variables.for_file(doc, envs, env, demo, r)
        found.exchanges = exchanges
        return found

    try:
        try:
            return request_spec(request, variables(request), path.parent, path_text)
        except NeedsResponse:
            return asyncio.run(_with_references(doc, request, variables, path, path_text,
                                                exchanges))
    except SavedRequestError as exc:
        hint = _env_problems(envs) if "undefined variable" in str(exc) else ""
        raise ArgumentError(f"{exc}{hint}") from None


async def _with_references(doc: httpfile.HttpFile, request: httpfile.HttpRequest,
                           variables: Callable[[httpfile.HttpRequest], Variables], path: Path,
                           path_text: str, exchanges: dict[str, Exchange]) -> RequestSpec:
    clients = Clients()
    try:
        return await spec_with_references(doc, request, variables, path.parent,
                                          lambda spec, _request: fetch_exchange(clients, spec),
                                          exchanges, path_text)
    finally:
        await clients.aclose()


class _ShellEnvironment(Variables):
    """``{{$env.NAME}}`` from a pasted ``$NAME``: empty when unset, as in a shell, and said."""

    def __init__(self, notes: list[str]) -> None:
        super().__init__()
        self.notes = notes

    def resolve(self, text: str, where: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            value = os.environ.get(name)
            if value is None:
                self.notes.append(f"${name} is not set: empty in {where}, as in a shell")
                return ""
            return value

        return _PASTED_VARIABLE.sub(one, text)


_PASTED_VARIABLE = re.compile(r"\{\{\$env\.([A-Za-z_][A-Za-z0-9_]*)\}\}")


def curl_spec(command: str, notes: list[str] | None = None) -> RequestSpec:
    """The request of a pasted curl command; what it ignores or reads differently from curl
    goes to ``notes`` (``capture`` prints them on stderr)."""
    try:
        imported = parse_curl(command)
    except CurlError as exc:
        raise ArgumentError(f"--curl: {exc}") from None
    spec = imported.spec
    said = notes if notes is not None else []
    said += imported.notes
    variables = _ShellEnvironment(said)
    spec.url = variables.resolve(spec.url, "the URL")
    spec.headers = [(k, variables.resolve(v, f"header {k!r}")) for k, v in spec.headers]
    try:
        spec.headers = check_headers(spec.headers)
    except ValueError as exc:
        raise ArgumentError(f"--curl: {exc}") from None
    return spec


def spec_from_saved(ns: argparse.Namespace) -> RequestSpec:
    """The request of ``--from`` or ``--curl`` with the command line's options on top."""
    if ns.from_file is not None and ns.curl is not None:
        raise ArgumentError("--from and --curl cannot be used together")
    if ns.env is not None and ns.from_file is None:
        raise ArgumentError("--env needs --from FILE.http#NAME")
    if ns.url is not None:
        raise ArgumentError(f"a URL ({ns.url}) cannot be given with --from or --curl")
    notes: list[str] = []
    base = (saved_spec(ns.from_file, ns.env) if ns.from_file is not None
            else curl_spec(ns.curl, notes))
    for note in notes:  # one line each, before any record; stdout stays records only
        sys.stderr.write(f"stream-inspector capture: --curl: {note}\n")
    ns.url = base.url
    spec = spec_from_args(ns, base.headers)  # the command line's options, checked as for a URL
    ns.url = None
    if ns.method is None:
        spec.method = base.method
    names = {k.lower() for k, _ in spec.headers}
    spec.headers = [(k, v) for k, v in base.headers if k.lower() not in names] + spec.headers
    if ns.data is None and ns.json is None:
        spec.body = base.body
    if ns.mode == "auto":
        spec.mode = base.mode
    if not (ns.insecure or ns.cacert):
        spec.verify = base.verify
    if ns.timeout is None:
        spec.timeouts.read = base.timeouts.read
    if ns.connect_timeout == 10.0:
        spec.timeouts.connect = base.timeouts.connect
    if ns.max_time is None:
        spec.timeouts.total = base.timeouts.total
    spec.http2 = spec.http2 or base.http2
    spec.follow_redirects = spec.follow_redirects and base.follow_redirects
    return spec
