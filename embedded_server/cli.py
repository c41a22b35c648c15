"""``stream-inspector serve`` / ``python -m embedded_server``: the demo server alone.

Why a CLI of its own: the server is useful without the window (curl, other clients, CI), and
``serve`` must start fast and run where Qt cannot, so this module imports nothing of Qt.

stdout holds one line, a JSON ``listening`` record printed once the server accepts
connections (``{"type":"listening","url":...,"replays":[{"name":..,"url":..}]}``), so that a
script reads the URL from the first line as it does from ``proxy``; the human lines
(``listening on URL``, ``replaying NAME at URL``, warnings, errors) go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any

from . import replay
from .runner import ServerThread

__all__ = ["build_parser", "is_loopback", "listening_line", "main"]


def build_parser(prog: str = "stream-inspector serve") -> argparse.ArgumentParser:
    """The argument parser; a function so that later options (``--replay``) slot in."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Run the Stream Inspector demo server (Ctrl-C stops it).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; others expose the demo endpoints)")
    parser.add_argument("--port", type=_port, default=8000,
                        help="port to bind, 0 for a free one (default 8000)")
    parser.add_argument("--replay", action="append", default=[], metavar="FILE",
                        help="serve a saved capture (.sicap) at /replay/NAME (NAME: the file"
                             " name without its suffix, or NAME=FILE); repeatable")
    # For the window's server process (embedded_server.process), not for people:
    parser.add_argument("--fd", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--stop-on-eof", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pdeathsig", action="store_true", help=argparse.SUPPRESS)
    return parser


def replay_names(specs: list[str]) -> list[tuple[str, str]]:
    """``(name, path)`` for each ``--replay`` value: ``NAME=FILE`` or a file named after its stem.

    Names are made unique (``name-2``) and safe for a URL path.
    """
    out: list[tuple[str, str]] = []
    taken: set[str] = set()
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not replay.NAME.fullmatch(name):
            path = spec
            stem = os.path.splitext(os.path.basename(spec))[0]
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:60] or "capture"
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        out.append((name, path))
    return out


def _upload(url: str, name: str, data: bytes) -> None:
    """Mount a capture on the running server (its loopback upload route)."""
    import urllib.request  # only for --replay: ~25 ms of every server start otherwise

    req = urllib.request.Request(f"{url}/replay/{name}", data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=30) as reply:
        reply.read()


def _port(text: str) -> int:
    """A TCP port number 0..65535, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {value}")
    return value


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM and SIGINT handler: stop like Ctrl-C does, once. Later signals are ignored
    until ``main`` has stopped the server: when the window dies, the parent-death signal
    and stdin's EOF both send one, and a second KeyboardInterrupt raised inside
    ``server.stop()`` left the server thread running and the process alive."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _watch_parent(pdeathsig: bool) -> None:
    """SIGTERM ourselves (a clean stop, like Ctrl-C) when stdin reaches EOF: the parent closed
    its end to stop us, or died. ``pdeathsig`` adds Linux's parent-death signal as a backup."""
    if pdeathsig and sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))

    def read_to_eof() -> None:
        with contextlib.suppress(OSError, ValueError):
            while os.read(sys.stdin.fileno(), 4096):
                pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=read_to_eof, name="parent-watch", daemon=True).start()


def listening_line(url: str, replays: list[str]) -> str:
    """The first (and only) line of stdout: where the server listens, and each replay."""
    return json.dumps({"type": "listening", "url": url,
                       "replays": [{"name": name, "url": f"{url}/replay/{name}"}
                                   for name in replays]}, separators=(",", ":"))


def main(argv: list[str] | None = None, prog: str = "stream-inspector serve") -> int:
    """Run the server until Ctrl-C or SIGTERM; 0 on a clean stop, 2 for bad args or an
    address that cannot be bound (as ``proxy`` says it), 1 if it does not start.

    ``--fd N`` (hidden) serves on an inherited listening socket, ``--stop-on-eof`` also stops
    when stdin reaches EOF, prints no human lines and sends nothing to stdout after the
    ``listening`` line: the window runs the server so (``embedded_server.process``)."""
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for bad arguments, 0 for --help
        return exc.code if isinstance(exc.code, int) else 2

    def say(line: str) -> None:
        print(f"{prog}: {line}", file=sys.stderr, flush=True)

    captures: list[tuple[str, bytes]] = []
    for name, path in replay_names(args.replay):
        try:  # checked before the server starts: a bad file is a bad argument
            data = replay.read_file(path)  # (a regular file, bounded: never /dev/zero, a FIFO)
            replay.parse_capture(os.path.basename(path), data)
        except (OSError, replay.ReplayError) as exc:
            say(f"error: --replay {path}: {getattr(exc, 'strerror', None) or exc}")
            return 2
        captures.append((name, data))
    if not is_loopback(args.host):
        say(f"warning: binding {args.host}: the demo endpoints (floods, large downloads) are "
            "reachable from the network")
    try:
        if args.fd is not None:
            server = ServerThread(sock=socket.socket(fileno=args.fd))
        else:
            server = ServerThread(host=args.host, port=args.port)
    except OSError as exc:
        say(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return 2
    previous: dict[signal.Signals, Any] = {}
    try:  # from the first handler on, a signal is a KeyboardInterrupt caught below
        # A shell starts background jobs with SIGINT ignored; Ctrl-C / kill -INT must still
        # stop us.
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, _raise_interrupt)
        if args.stop_on_eof:
            _watch_parent(args.pdeathsig)
        try:
            url = server.start()
        except OSError as exc:  # the address: busy, not ours, not allowed
            say(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
            return 2
        except RuntimeError as exc:
            say(f"error: the server did not start: {exc}")
            return 1
        local = url
        if args.host in ("0.0.0.0", "::"):
            local = f"http://{'[::1]' if ':' in args.host else '127.0.0.1'}:{server.port}"
        for name, data in captures:
            _upload(local, name, data)
        print(listening_line(url, [name for name, _ in captures]), flush=True)
        if args.stop_on_eof:
            os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nobody reads the pipe any more
        else:
            for name, _ in captures:
                print(f"replaying {name} at {url}/replay/{name}", file=sys.stderr, flush=True)
            print(f"listening on {url}", file=sys.stderr, flush=True)
        while not server.wait(0.5):  # a timed wait lets signal handlers run promptly
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
