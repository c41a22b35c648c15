"""The window's asyncio loop: qasync's, with cancelled delayed calls freed at once.

Why: qasync runs each ``call_later`` on a Qt timer and keeps the call, and the timer, until
it is due, even once it is cancelled. The network backend arms a read timeout (300 s by
default) for every wait for data and cancels it when the data comes: with one LLM delta per
network read, every delta left a dead Qt timer and its call behind for 300 s (a reply of
22,400 deltas held all of them: the largest share of issue 23.20's bytes per event, see the
``llm_memory`` bench scenario), and Qt keeps its timer list sorted on every start. Here a
cancelled delayed call kills its Qt timer and drops the call at once.

Relies on qasync's private internals (pinned ``qasync<0.29`` in pyproject.toml, guarded by
tests/test_pinned_internals.py): ``QEventLoop._timer`` (the ``_SimpleTimer`` that runs
delayed calls), ``QEventLoop._add_callback(handle, delay)``, and ``_SimpleTimer``'s
``__callbacks`` dict (timer id -> handle) and ``timerEvent``.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

import qasync
from PySide6.QtCore import QTimerEvent

__all__ = ["EventLoop"]


class _DelayedCall(asyncio.Handle):
    """A ``call_later`` whose ``cancel()`` also stops its Qt timer."""

    __slots__ = ("_qt_id", "_qt_timer")

    def __init__(self, callback: Callable[..., object], args: tuple[Any, ...],
                 loop: asyncio.AbstractEventLoop,
                 context: contextvars.Context | None = None) -> None:
        super().__init__(callback, args, loop, context=context)
        self._qt_timer: _Timers | None = None
        self._qt_id = 0

    def cancel(self) -> None:
        timer, self._qt_timer = self._qt_timer, None
        if timer is not None and not self._cancelled:
            timer.forget(self._qt_id)
        super().cancel()


class _Timers(qasync._SimpleTimer):  # type: ignore[misc]  # qasync is untyped
    """qasync's timer object, which can forget a call (see the module docstring)."""

    def add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        handle = super().add_callback(handle, delay)
        if isinstance(handle, _DelayedCall):
            calls: dict[int, asyncio.Handle] = self._SimpleTimer__callbacks
            handle._qt_id = next(k for k in reversed(calls) if calls[k] is handle)
            handle._qt_timer = self
        return handle

    def forget(self, timer_id: int) -> None:
        """A call cancelled before its time: its Qt timer and its entry go now."""
        calls: dict[int, asyncio.Handle] = self._SimpleTimer__callbacks
        if calls.pop(timer_id, None) is not None:
            self.killTimer(timer_id)

    def timerEvent(self, event: QTimerEvent) -> None:
        handle = self._SimpleTimer__callbacks.get(event.timerId())
        if isinstance(handle, _DelayedCall):
            handle._qt_timer = None  # running (or due): qasync itself forgets it now
        super().timerEvent(event)


class EventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    """``qasync.QEventLoop`` whose cancelled delayed calls cost nothing once cancelled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer = _Timers()

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any,
                   context: contextvars.Context | None = None) -> asyncio.Handle:
        if delay <= 0 or asyncio.iscoroutinefunction(callback) or not callable(callback):
            # call_soon (due at once, nothing to cancel early), or qasync's own errors
            handle: asyncio.Handle = super().call_later(delay, callback, *args,
                                                        context=context)
        else:
            handle = self._add_callback(_DelayedCall(callback, args, self, context=context),
                                        delay)
        return handle
