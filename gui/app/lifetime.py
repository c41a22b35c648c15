"""``stream-inspector`` (window): argument parsing, QApplication + qasync loop, app lifetime.

The embedded server starts first, in a child process (``embedded_server.process``; a thread
where a socket cannot be handed down), before the window's modules are imported: its
imports run on another core while this process builds and shows the window. Its URL is
known at once (the socket is bound here). ``run_app`` owns the rest of the lifetime: show
the window, load the server's endpoints once it serves, run a demo or wait for the window to
close, then stop every stream and close the shared HTTP clients; the server stops last.
httpx and the engine are imported once the window shows (``gui.window.warmup``), the
plots with the first stream tab or comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import signal
import sys
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QMessageLogContext,
    QObject,
    QSettings,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QWidget

from embedded_server.snapshot import NAME as DEMO_OPENAPI
from gui.app.launch import EmbeddedServer, build_parser, start_server, wants_server
from gui.services import logs, resources
from gui.services.qtloop import EventLoop
from gui.services.settings import Settings
from stream_core.capture.cliargs import ArgumentError, spec_from_args
from stream_core.net.spec import RequestSpec

if TYPE_CHECKING:
    from gui.window.main_window import MainWindow

__all__ = ["build_parser", "main", "run_app"]

logger = logging.getLogger(__name__)

# httpx imports its command line client (click, rich, pygments: 100-300 ms at the first tab,
# where they are installed) unless that import fails; the window never runs it.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

APP_NAME = "Stream Inspector"

ORG = "stream-inspector"
#: The longest a ``--screenshot`` run may take (each wait inside has its own, shorter timeout).
SCREENSHOT_DEADLINE = 100.0


def main(argv: list[str] | None = None, *, server: EmbeddedServer | None = None) -> int:
    """Run the window; the exit status. ``server``: the demo server the entry point already
    started (before importing Qt); it is stopped here, last, like one started here."""
    with contextlib.ExitStack() as stack:
        if server is not None:
            stack.callback(server.stop)
        return _main(sys.argv[1:] if argv is None else argv, server, stack)


def _main(argv: list[str], server: EmbeddedServer | None, stack: contextlib.ExitStack) -> int:
    from gui.app import demos

    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = logs.configure(stack, args.log_level)
    if args.list_demos:
        print("\n".join(demos.NAMES))
        return 0
    spec: RequestSpec | None = None
    try:
        args.capture = None
        if args.url is not None and args.url.startswith("file://"):
            args.url = unquote(urlsplit(args.url).path)  # %u from a file manager
        if args.url is not None and args.url.endswith(".sicap") and "://" not in args.url:
            if not Path(args.url).is_file():
                raise ArgumentError(f"no capture file {args.url!r}")
            args.capture = args.url  # `stream-inspector FILE.sicap` opens a saved capture
            if args.screenshot is not None:  # headless: a bad file is a bad argument
                _check_capture(args.capture)
        elif args.url is not None:
            spec = spec_from_args(args)
        if args.demo is not None:
            if args.demo not in demos.NAMES:
                raise ArgumentError(f"unknown demo {args.demo!r}; choose from "
                                    + ", ".join(demos.NAMES))
            if args.no_server:
                raise ArgumentError("--demo needs the embedded server (drop --no-server)")
        if (args.view or args.window_size) and args.screenshot is None:
            raise ArgumentError("--view and --window-size go with --screenshot")
    except ArgumentError as exc:
        print(f"stream-inspector: {exc}", file=sys.stderr)
        return 2
    if not wants_server(args) and server is not None:
        server.stop()
        server = None
    elif wants_server(args) and server is None:
        server = start_server()
        stack.callback(server.stop)

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
        loop = EventLoop(app)  # qasync's, cancelled timers freed (gui.services.qtloop)
        asyncio.set_event_loop(loop)
        hooks_installed = contextlib.ExitStack()
        hooks = logs.FailureHooks(loop).install(hooks_installed)
        try:
            work = run_app(args, spec, settings, tmp, server, hooks=hooks, log_file=log_file)
            if args.screenshot is not None:
                work = _within(work, SCREENSHOT_DEADLINE)
            status: int = loop.run_until_complete(work)
            return status
        finally:
            hooks_installed.close()
            asyncio.set_event_loop(None)
            loop.close()
            gc.collect()  # Qt wrappers in reference cycles die here, on the GUI thread


async def _within(work: Coroutine[Any, Any, int], seconds: float) -> int:
    """``work``'s status, or 1 (and a line on stderr) when it takes over ``seconds``: a
    screenshot run always ends, whatever it waits for."""
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        print(f"stream-inspector: the screenshot run did not finish within {seconds:.0f} s",
              file=sys.stderr)
        return 1


def _check_capture(path: str) -> None:
    """ArgumentError (one line) when ``path`` is not a capture the window can open."""
    from stream_core.capture.reader import CaptureError, check_capture

    try:
        check_capture(path)
    except CaptureError as exc:
        raise ArgumentError(" ".join(str(exc).split())) from None
    except OSError as exc:
        raise ArgumentError(f"cannot read {path}: {exc.strerror or exc}") from None


async def run_app(args: argparse.Namespace, spec: RequestSpec | None, settings: Settings,
                  tmp: str, server: EmbeddedServer | None, *,
                  hooks: logs.FailureHooks | None = None, log_file: Path | None = None) -> int:
    """The window's whole life on the qasync loop; returns the exit status.

    ``server`` is started (its URL known) but may not serve yet; the caller stops it.
    ``hooks``: unhandled failures are shown in the window's error dialog while it lives.
    """
    from gui.app import demos
    from gui.services import loop_watch
    from gui.services.lazy_clients import LazyClients
    from gui.window.error_dialog import ErrorDialog
    from gui.window.main_window import MainWindow

    clients = LazyClients()  # httpx is imported after the window shows
    loop_watch.watch()  # when the window's loop was blocked, for Diagnostics
    demo_mode = args.demo is not None or args.screenshot is not None
    base_url = server.url if server is not None else None
    window = MainWindow(settings, clients, base_url,
                        download_dir=tmp if demo_mode else None)
    if hooks is not None:
        # Parented to the window: tests find it with window.findChild(ErrorDialog).
        hooks.show = ErrorDialog(window, str(log_file) if log_file else None).report
    previous = _install_sigint(window)
    if args.window_size is not None:
        window.resize(*args.window_size)
    try:
        ready: asyncio.Future[None] | None = None
        if server is not None and base_url is not None:
            # The endpoints at once, from the build's snapshot; a Send waits for the server.
            ready = asyncio.ensure_future(asyncio.to_thread(server.wait_ready))
            window.server_starting(ready)
            snapshot = _demo_openapi()
            if snapshot is not None:
                window.picker.source.setText(base_url + "/openapi.json")
                window.picker.set_document(snapshot, base_url + "/openapi.json")
        window.show()
        await _exposed(window)
        await window.finish_startup()  # collections, the send path, the capture menus
        if ready is not None and base_url is not None:
            await ready  # the server's imports ran meanwhile, on another core
            if not window.picker.endpoints:  # no snapshot in this install: ask the server
                await window.picker.load(base_url + "/openapi.json")
        if args.demo is not None:
            return await demos.run(args.demo, window, args.screenshot, args.view)
        if args.capture is not None:
            opened = window.open_capture(args.capture)
            if opened is None and args.screenshot is not None:
                print(f"stream-inspector: {window.captures.last_message}", file=sys.stderr)
                return 1
            if opened is not None and args.screenshot is not None:
                with contextlib.suppress(TimeoutError):
                    await demos.wait_for(opened, lambda: opened.ended)
                opened.drain()
                demos.show_view(window, args.view)
                return await demos.save_screenshot(window, args.screenshot)
        if spec is not None:
            window.editor.load_spec(spec)
            controller = window.send_spec(window.editor.history_entry(), spec)
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
                demos.show_view(window, args.view)
                return await demos.save_screenshot(window, args.screenshot)
        if args.screenshot is not None:  # nothing to wait for: the window as it is
            return await demos.save_screenshot(window, args.screenshot)
        await window.wait_closed()
        return 0
    finally:
        if hooks is not None:
            hooks.show = None
        signal.signal(signal.SIGINT, previous)
        await window.shutdown()
        await clients.aclose()
        if not window.was_closed:
            window.save_settings()
        window.hide()
        # Delete now, on the GUI thread: left to the garbage collector, the window and its
        # timers could be destroyed by whichever thread collects next.
        shiboken6.delete(window)


def _demo_openapi() -> dict[str, Any] | None:
    """The demo server's OpenAPI document snapshotted at build time (``make
    openapi-snapshot``), or None when this install lacks it."""
    data = resources.read_bytes(DEMO_OPENAPI)
    try:
        doc = json.loads(data) if data is not None else None
    except ValueError:
        logger.error("resource %s is not JSON", DEMO_OPENAPI)
        return None
    return doc if isinstance(doc, dict) and "paths" in doc else None


async def _exposed(window: QWidget, timeout: float = 0.5) -> None:
    """Until ``window`` is exposed (its first paint is queued then), or ``timeout`` seconds."""
    handle = window.windowHandle()
    if handle is None or handle.isExposed():
        return
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Expose and handle.isExposed() and not future.done():
                future.set_result(None)
            return False

    watch = Watch()
    handle.installEventFilter(watch)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(future, timeout)
    finally:
        handle.removeEventFilter(watch)


def _install_sigint(window: MainWindow) -> Any:
    """Ctrl-C in the terminal closes the window (Qt would otherwise swallow it)."""
    previous = signal.getsignal(signal.SIGINT)
    # Ctrl-C means quit: the window closes without its question (``QuitGuard``).
    signal.signal(signal.SIGINT, lambda *_: window.quit_guard.quit_now())
    # Python only runs signal handlers between bytecodes; a timer lets it get a turn.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return previous


_NOISE = ("This plugin does not support propagateSizeHints()",
          "This plugin does not support raise()")  # the error dialog's raise_()


def _quiet_offscreen_noise() -> None:
    """Drop the offscreen plugin's harmless size-hint complaint; pass everything else on.

    Demos and screenshots run offscreen, where no window manager exists to receive size
    hints or raise a window; the warnings say nothing about the app and bury real messages.
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
