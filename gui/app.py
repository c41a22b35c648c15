"""``stream-inspector`` (window): argument parsing, QApplication + qasync loop, app lifetime.

One coroutine, ``run_app``, owns the lifetime: start the embedded server (in its own
thread, which imports it while the window is built and shown), show the window, run a demo or wait for the window to close, then stop every
stream, close the shared HTTP clients and stop the server, in that order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import qasync
import shiboken6
from PySide6.QtCore import QMessageLogContext, QSettings, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QWidget

from gui import resources
from gui.settings import Settings
from stream_core.cliargs import ArgumentError, add_request_arguments, spec_from_args
from stream_core.spec import RequestSpec

APP_NAME = "Stream Inspector"
ORG = "stream-inspector"


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
    parser.add_argument("--settings", metavar="PATH", default=None,
                        help="use this ini file for settings (demos use a temporary one)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from gui import demos

    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.list_demos:
        print("\n".join(demos.NAMES))
        return 0
    spec: RequestSpec | None = None
    try:
        args.capture = None
        if args.url is not None and args.url.endswith(".sicap") and "://" not in args.url:
            if not Path(args.url).is_file():
                raise ArgumentError(f"no capture file {args.url!r}")
            args.capture = args.url  # `stream-inspector FILE.sicap` opens a saved capture
        elif args.url is not None:
            spec = spec_from_args(args)
        if args.demo is not None:
            if args.demo not in demos.NAMES:
                raise ArgumentError(f"unknown demo {args.demo!r}; choose from "
                                    + ", ".join(demos.NAMES))
            if args.no_server:
                raise ArgumentError("--demo needs the embedded server (drop --no-server)")
    except ArgumentError as exc:
        print(f"stream-inspector: {exc}", file=sys.stderr)
        return 2

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG)
    app.setDesktopFileName("stream-inspector")
    app.setWindowIcon(resources.icon(resources.APP_ICON))
    app.setStyleSheet(resources.stylesheet())
    app.setQuitOnLastWindowClosed(False)
    _quiet_offscreen_noise()

    with tempfile.TemporaryDirectory(prefix="stream-inspector-") as tmp:
        if args.settings:
            settings = Settings.from_path(args.settings)
        elif args.demo is not None or args.screenshot is not None:
            settings = Settings.from_path(str(Path(tmp) / "settings.ini"))
        else:
            settings = Settings(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                          ORG, ORG))
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(run_app(args, spec, settings, tmp))
        finally:
            asyncio.set_event_loop(None)
            loop.close()
            gc.collect()  # Qt wrappers in reference cycles die here, on the GUI thread


async def run_app(args: argparse.Namespace, spec: RequestSpec | None, settings: Settings,
                  tmp: str) -> int:
    """The app's whole life on the qasync loop; returns the exit status."""
    from embedded_server.runner import ServerThread

    # The server's thread imports fastapi and uvicorn while this one imports the window's
    # modules and shows it: the socket is bound at once, so the URL is known already.
    server: ServerThread | None = None
    base_url: str | None = None
    if not args.no_server:
        server = ServerThread(host="127.0.0.1", port=0)
        base_url = server.start(wait=False)

    from gui import demos
    from gui.main_window import MainWindow
    from stream_core.session import Clients

    clients = Clients()
    demo_mode = args.demo is not None or args.screenshot is not None
    window = MainWindow(settings, clients, base_url,
                        download_dir=tmp if demo_mode else None)
    previous = _install_sigint(window)
    try:
        window.show()
        if server is not None and base_url is not None:
            await asyncio.to_thread(server.wait_ready)
            await window.picker.load(base_url + "/openapi.json")
        if args.demo is not None:
            return await demos.run(args.demo, window, args.screenshot)
        if args.capture is not None:
            opened = window.open_capture(args.capture)
            if opened is not None and args.screenshot is not None:
                with contextlib.suppress(TimeoutError):
                    await demos.wait_for(opened, lambda: opened.ended)
                opened.drain()
                return await demos.save_screenshot(window, args.screenshot)
        if spec is not None:
            window.editor.load_spec(spec)
            window.remember(window.editor.history_entry())
            controller = window.start(spec)
            if args.screenshot is not None:
                # The end of a finite stream, or 100 events into an endless one; a stream
                # that stays silent is shot as it is after the safety timeout.
                with contextlib.suppress(TimeoutError):
                    await demos.wait_for(
                        controller, lambda: controller.ended or controller.stats.events >= 100)
                controller.drain()
                tab = window.current_tab()
                if tab is not None:
                    tab.refresh()
                return await demos.save_screenshot(window, args.screenshot)
        await window.wait_closed()
        return 0
    finally:
        signal.signal(signal.SIGINT, previous)
        await window.shutdown()
        await clients.aclose()
        if not window.was_closed:
            window.save_settings()
        window.hide()
        # Delete now, on the GUI thread: left to the garbage collector, the window and its
        # timers could be destroyed by whichever thread collects next.
        shiboken6.delete(window)
        if server is not None:
            server.stop()


def _install_sigint(window: QWidget) -> Any:
    """Ctrl-C in the terminal closes the window (Qt would otherwise swallow it)."""
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: window.close())
    # Python only runs signal handlers between bytecodes; a timer lets it get a turn.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return previous


_NOISE = ("This plugin does not support propagateSizeHints()",)


def _quiet_offscreen_noise() -> None:
    """Drop the offscreen plugin's harmless size-hint complaint; pass everything else on.

    Demos and screenshots run offscreen, where no window manager exists to receive size
    hints; the warning says nothing about the app and buries real messages.
    """
    previous = None

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message in _NOISE:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
