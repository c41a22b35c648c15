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
from pathlib import Path

from stream_core.capture.cliargs import ArgumentError, spec_from_args
from stream_core.net.spec import RequestSpec
from stream_core.requests import httpfile
from stream_core.requests.curl_import import CurlError, parse_curl
from stream_core.requests.environments import (
    UndefinedVariable,
    Variables,
    load_environments,
    request_spec,
)

__all__ = ["add_saved_arguments", "saved_spec", "spec_from_saved"]


def add_saved_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="from_file", default=None, metavar="FILE.http#NAME",
                        help="run the request NAME saved in FILE.http (the only one if no"
                             " #NAME)")
    parser.add_argument("--env", default=None, metavar="NAME",
                        help="environment of http-client(.private).env.json beside the file")
    parser.add_argument("--curl", default=None, metavar="'curl ...'",
                        help="run a pasted curl command")


def saved_spec(source: str, env: str | None = None, *, demo: str | None = None) -> RequestSpec:
    """The request ``FILE.http#NAME`` as it will be sent; ArgumentError if it cannot be."""
    path_text, _, name = source.partition("#")
    path = Path(path_text)
    try:
        doc = httpfile.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ArgumentError(f"cannot read {path_text!r}: {getattr(exc, 'strerror', exc)}"
                            ) from None
    envs = load_environments(path.parent)
    if env is not None and env not in envs.values:
        names = ", ".join(envs.names) or f"none: no {path.parent / 'http-client.env.json'}"
        raise ArgumentError(f"no environment {env!r} (environments: {names})")
    try:
        if not name:
            if len(doc.requests) != 1:
                raise ArgumentError(f"{path_text} has {len(doc.requests)} requests: say which"
                                    f" with {path_text}#NAME")
            request = doc.requests[0]
        else:
            request = doc.find(name)
        return request_spec(request, Variables.for_file(doc, envs, env, demo), path.parent)
    except (httpfile.HttpFileError, UndefinedVariable) as exc:
        raise ArgumentError(f"{source}: {exc}") from None
    except ValueError as exc:  # an unreadable body file
        raise ArgumentError(str(exc)) from None


def curl_spec(command: str) -> RequestSpec:
    try:
        spec = parse_curl(command).spec
    except CurlError as exc:
        raise ArgumentError(f"--curl: {exc}") from None
    variables = Variables()  # {{$env.NAME}} from a pasted $NAME
    try:
        spec.url = variables.resolve(spec.url, "the URL")
        spec.headers = [(k, variables.resolve(v, f"header {k!r}")) for k, v in spec.headers]
    except UndefinedVariable as exc:
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
    base = (saved_spec(ns.from_file, ns.env) if ns.from_file is not None
            else curl_spec(ns.curl))
    ns.url = base.url
    spec = spec_from_args(ns)  # the command line's options, checked as for a URL
    ns.url = None
    if ns.method is None:
        spec.method = base.method
    names = {k.lower() for k, _ in spec.headers}
    spec.headers = [(k, v) for k, v in base.headers if k.lower() not in names] + spec.headers
    if ns.data is None:
        spec.body = base.body
    if ns.mode == "auto":
        spec.mode = base.mode
    if not (ns.insecure or ns.cacert):
        spec.verify = base.verify
    if ns.timeout is None:
        spec.timeouts.read = base.timeouts.read
    if ns.connect_timeout == 10.0:
        spec.timeouts.connect = base.timeouts.connect
    spec.timeouts.total = base.timeouts.total
    spec.http2 = spec.http2 or base.http2
    spec.follow_redirects = spec.follow_redirects and base.follow_redirects
    return spec
