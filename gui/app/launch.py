"""The window's command line and its embedded server, without Qt.

Why a module of its own: the entry point starts the demo server before it imports Qt, so
that the server's imports (fastapi, pydantic, uvicorn: a few hundred ms) run in a child
process on another core while this one imports PySide6 and shows the window.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from typing import Protocol

from gui.views.subviews import NAMES as VIEWS
from stream_core.capture.cliargs import add_request_arguments

__all__ = ["VIEWS", "EmbeddedServer", "build_parser", "early_server", "run_without_window",
           "start_server", "wants_server"]

LEVELS = ("debug", "info", "warning", "error")  # --log-level
_NO_WINDOW = {"--version", "--install-desktop", "--uninstall-desktop"}


class EmbeddedServer(Protocol):
    """What the window needs of a running demo server (``ServerProcess``, ``ServerThread``)."""

    @property
    def url(self) -> str: ...

    def wait_ready(self, timeout: float = 10.0) -> None: ...

    def stop(self, timeout: float = 1.0) -> None: ...


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stream-inspector",
        description="Watch HTTP streaming responses live (window). "
                    "Subcommands: `capture URL ...` (headless), `serve` (demo server).")
    add_request_arguments(parser, url_required=False)
    parser.add_argument("--no-server", action="store_true",
                        help="do not start the embedded demo server")
    parser.add_argument("--demo", metavar="NAME", default=None,
                        help="run a built-in demo scenario (see --list-demos)")
    parser.add_argument("--list-demos", action="store_true", help="list the demo names and exit")
    parser.add_argument("--screenshot", metavar="PATH", default=None,
                        help="save a PNG of the window at the demo's telling moment, then exit")
    parser.add_argument("--view", metavar="NAME", default=None, choices=VIEWS,
                        help="with --screenshot: the sub-tab to show (" + ", ".join(VIEWS)
                        + ")")
    parser.add_argument("--window-size", metavar="WxH", default=None, type=_size,
                        help="with --screenshot: the window's size, such as 1024x640")
    parser.add_argument("--settings", metavar="PATH", default=None,
                        help="use this ini file for settings (demos use a temporary one)")
    parser.add_argument("--log-level", choices=LEVELS, default="info", type=str.lower,
                        help="what the log file (under $XDG_STATE_HOME/stream-inspector/) "
                             "records; default info")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    desktop = parser.add_mutually_exclusive_group()
    desktop.add_argument("--install-desktop", action="store_true",
                         help="install the desktop entry, icon and *.sicap MIME type under "
                              "$XDG_DATA_HOME (~/.local/share) and exit")
    desktop.add_argument("--uninstall-desktop", action="store_true",
                         help="remove what --install-desktop wrote and exit")
    return parser


def run_without_window(argv: list[str]) -> int | None:
    """``--version`` and ``--(un)install-desktop`` (no Qt, no server): the exit status, or
    None when ``argv`` asks for the window."""
    if not _NO_WINDOW.intersection(argv):
        return None
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for bad arguments, 0 for --help
        return exc.code if isinstance(exc.code, int) else 2
    from gui.app import desktop

    if args.version:
        print(f"stream-inspector {desktop.version()}")
        return 0
    if args.install_desktop or args.uninstall_desktop:
        return desktop.main(install_desktop=args.install_desktop)
    return None


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()
            and 320 <= int(width) <= 8000 and 240 <= int(height) <= 8000):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1024x640")
    return int(width), int(height)


def wants_server(args: argparse.Namespace) -> bool:
    """Whether the window these arguments ask for runs the embedded server."""
    return not args.no_server and not args.list_demos and not args.version \
        and not args.install_desktop and not args.uninstall_desktop


def start_server() -> EmbeddedServer:
    """Start the demo server on a free loopback port without waiting for it; its URL is known.

    A child process where a listening socket can be handed down (POSIX), else a thread.
    """
    from embedded_server.process import ServerProcess, supported

    server: EmbeddedServer
    if supported():
        process = ServerProcess(host="127.0.0.1", port=0)
        process.start(wait=False)
        server = process
    else:
        from embedded_server.runner import ServerThread

        thread = ServerThread(host="127.0.0.1", port=0)
        thread.start(wait=False)
        server = thread
    return server


def early_server(argv: list[str]) -> EmbeddedServer | None:
    """The server for the window that ``argv`` asks for, started now; None if it needs none
    (or the arguments are bad: the window's ``main`` reports them)."""
    if "-h" in argv or "--help" in argv:
        return None
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # main() reports errors
            args, _ = build_parser().parse_known_args(argv)
    except SystemExit:
        return None
    return start_server() if wants_server(args) else None
