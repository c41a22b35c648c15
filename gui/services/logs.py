"""The window's log file and the hooks that log every unhandled failure with its traceback.

Why: a failure in a slot, a thread or an asyncio task used to end as a traceback on a stderr
nobody watches (or as "Task exception was never retrieved"), leaving the user with a tab that
just stopped. Here the ``gui``, ``stream_core`` and ``embedded_server`` loggers write to a
rotating file under the XDG state home (``$XDG_STATE_HOME/stream-inspector/``, by default
``~/.local/state/stream-inspector/``), warnings and errors also go to stderr as one line, and
``sys.excepthook``, ``threading.excepthook`` and the asyncio loop's exception handler log the
traceback and hand the failure to ``show`` (the window's non-modal error dialog), always on
the GUI thread. Everything installed here is undone by the ``ExitStack`` it is given, so the
window's ``main`` leaves the process as it found it (tests run it in-process).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

__all__ = ["LOG_NAME", "FailureHooks", "configure", "log_path", "state_dir"]

logger = logging.getLogger(__name__)

LOG_NAME = "stream-inspector.log"
PACKAGES = ("gui", "stream_core", "embedded_server")
MAX_BYTES = 1_000_000
BACKUPS = 3

Show = Callable[[str, str], None]


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_STATE_HOME/stream-inspector`` (``~/.local/state`` when unset or relative)."""
    base = env.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "stream-inspector"


def log_path(env: Mapping[str, str] = os.environ) -> Path:
    return state_dir(env) / LOG_NAME


class _OneLine(logging.Formatter):
    """``stream-inspector: message`` without the traceback (that goes to the file)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"stream-inspector: {record.getMessage()}"


def configure(stack: contextlib.ExitStack, level: str = "info",
              path: Path | None = None) -> Path | None:
    """Log our packages at ``level`` into the rotating file ``path`` (default: under the XDG
    state home) and warnings and errors to stderr; the file's path, None if it cannot be
    opened (then stderr only, said once). Undone when ``stack`` closes."""
    import logging.handlers

    path = log_path() if path is None else path
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(_OneLine())
    handlers.append(console)
    file: logging.Handler | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES,
                                                    backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        console.handle(logging.makeLogRecord(
            {"msg": f"cannot write the log file {path}: {exc.strerror or exc}"}))
    if file is not None:
        file.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
        handlers.append(file)
    numeric = getattr(logging, level.upper())
    for name in PACKAGES:
        log = logging.getLogger(name)
        previous = log.level
        log.setLevel(numeric)
        stack.callback(log.setLevel, previous)
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
        stack.callback(handler.close)
        stack.callback(root.removeHandler, handler)
    if file is not None:
        logger.info("log file %s (level %s)", path, level)
    return path if file is not None else None


class FailureHooks:
    """Logs unhandled exceptions from anywhere with their traceback and shows them.

    ``show(message, details)`` is called on the GUI thread (``loop``'s thread) for each
    failure once it is set (the window sets it when it exists); until then failures are
    only logged.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.show: Show | None = None
        self._loop = loop
        self._thread = threading.get_ident()

    def install(self, stack: contextlib.ExitStack) -> FailureHooks:
        """Set the three hooks; ``stack`` restores the previous ones."""
        previous_sys, previous_thread = sys.excepthook, threading.excepthook
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        stack.callback(setattr, threading, "excepthook", previous_thread)
        stack.callback(setattr, sys, "excepthook", previous_sys)
        if self._loop is not None:
            previous_loop = self._loop.get_exception_handler()
            self._loop.set_exception_handler(self.loop_exception_handler)
            stack.callback(self._loop.set_exception_handler, previous_loop)
        return self

    def excepthook(self, kind: type[BaseException], value: BaseException,
                   tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        self._report(f"unhandled {kind.__name__}: {value}", (kind, value, tb))

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        self._report(f"unhandled {args.exc_type.__name__} in thread {name}: {args.exc_value}",
                     (args.exc_type, args.exc_value, args.exc_traceback))

    def loop_exception_handler(self, loop: asyncio.AbstractEventLoop,
                               context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message") or "unhandled exception in the event loop")
        extra = [f"{key}: {value!r}" for key, value in context.items()
                 if key not in ("message", "exception")]
        if extra:
            message += " (" + "; ".join(extra) + ")"
        if isinstance(exc, BaseException):
            self._report(f"{message}: {type(exc).__name__}: {exc}",
                         (type(exc), exc, exc.__traceback__))
        else:
            self._report(message, None)

    def _report(self, message: str, exc_info: tuple[type[BaseException], BaseException,
                                                     TracebackType | None] | None) -> None:
        logger.error("%s", message, exc_info=exc_info)
        details = message if exc_info is None else "".join(traceback.format_exception(*exc_info))
        show = self.show
        if show is None:
            return
        if threading.get_ident() == self._thread:
            self._show_later(message, details)
        elif self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._show_later, message, details)

    def _show_later(self, message: str, details: str) -> None:
        if self.show is None:
            return
        try:
            self.show(message, details)
        except Exception:  # a failing dialog must not hide the failure it was showing
            logger.exception("could not show the error dialog")
