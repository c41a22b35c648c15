"""Arrival times nothing in the app can delay: the app's side of the arrival reader.

Why: a chunk's time used to be taken when the app's loop got round to reading the socket, so
a busy window (or a ``capture`` whose stdout was read late) delayed and bunched the times it
recorded, and blamed the server for its own stalls. Neither kernel timestamps alone (a late
reader's segments are merged, all stamped with the newest) nor a reader thread (PySide holds
the GIL through C++ calls) fix that; a process of its own does (``arrival_child``, measured in
issue 22: error p99 0.2 ms with both cores busy and the app frozen for 1 s).

So each app (the window, ``capture``, the proxy) starts one :class:`ArrivalReader`: the child
process and two Unix sockets. The app still connects every socket itself (non-blocking, on its
own loop) and writes to it; it hands a duplicate of the descriptor to the child, which alone
reads it from then on and sends back frames of ``(time, bytes)``. :class:`ArrivalStream` is the
httpcore network stream fed by those frames: ``read()`` never returns bytes of two frames at
once, and ``last_t`` is the arrival time of the frame it last returned, which is what the
session stamps a chunk with (``stream_core.net.session``). httpx, h11, HTTP/2 and TLS stay in
the app (TLS through ``stream_core.net.tls``).

Off (``STREAM_INSPECTOR_ARRIVAL=read``), unavailable (no ``socket.send_fds``) or failed to
start: the buffered backend of ``netstream`` as before, and the streams say ``"clock":
"read"`` (``why_read`` tells why).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpcore

from stream_core.net import arrival_child as child
from stream_core.net.arrival_stream import ArrivalBackend, ArrivalStream
from stream_core.net.h2times import H2Times

__all__ = ["ENV", "ArrivalBackend", "ArrivalReader", "ArrivalStream", "Origin", "Timed",
           "clock_of", "disabled_reason", "read_reason"]

logger = logging.getLogger(__name__)

ENV = "STREAM_INSPECTOR_ARRIVAL"
"""``read`` (or ``off``, ``0``): no arrival reader, times are taken when the app reads."""
READY_TIMEOUT_S = 10.0  # the child's first word (it starts in ~20 ms; a loaded box is slower)
RECV_SIZE = 256 * 1024
RECV_BUDGET = 1024 * 1024  # bytes taken per wake-up before the loop has a turn
#: A frame's bytes go to its stream in pieces of at most this size (httpcore reads 64 KiB at a
#: time anyway). Measured: 256 KiB pieces left the window's heap fragmented, +20 % RSS after a
#: flood of 1,000,000 events (2.1-2.3x the raw bytes instead of 1.7-1.8x).
PIECE = 64 * 1024
_HEADER = child.HEADER
_HEAD = _HEADER.size


@dataclass(slots=True)
class Origin:
    """``t = 0`` of a stream: the monotonic and the wall clock, read back to back.

    Every record's ``t`` is monotonic seconds since ``mono``; ``wall`` is what a capture file
    calls ``started``, so ``wall + t`` is the wall-clock time of any record. ``Origin()`` is
    not taken yet: the stream it is given to takes it (``take()``) when it starts, and the
    caller reads it from then on; ``Origin.now()`` is taken, and fixes the stream's ``t = 0``.
    """

    mono: float = 0.0
    wall: float = 0.0
    taken: bool = False

    @classmethod
    def now(cls) -> Origin:
        return cls().take()

    def take(self) -> Origin:
        """Read both clocks now: the wall clock between two monotonic reads, retried when
        something (a preemption) came between them."""
        best_span = 1.0
        for _ in range(4):
            before = time.monotonic()
            wall = time.time()
            span = time.monotonic() - before
            if span < best_span:
                best_span, self.mono, self.wall = span, before + span / 2, wall
                if span < 20e-6:
                    break
        self.taken = True
        return self


def disabled_reason() -> str | None:
    """Why this platform or this environment has no arrival reader, or None."""
    if os.environ.get(ENV, "").strip().lower() in ("read", "off", "0", "no", "false"):
        return f"turned off ({ENV}={os.environ[ENV]})"
    if not hasattr(socket, "send_fds") or not hasattr(socket, "AF_UNIX") \
            or not hasattr(select, "poll"):
        return "this platform cannot hand sockets to another process"
    return None


class Timed(Protocol):
    """What a stream read by the arrival reader tells (``ArrivalStream``, ``TLSStream``)."""

    clock: str
    last_t: float  # monotonic arrival time of the bytes ``read()`` last returned
    held: bool  # some reads may carry bytes that waited: the app left them unread too long
    held_s: float  # for how long, in all
    h2: H2Times | None  # each HTTP/2 DATA frame's arrival, per stream (None: not HTTP/2)


def clock_of(network_stream: Any) -> Timed | None:
    """The arrival-timed stream under httpcore's ``network_stream`` extension, or None when
    the response was read by the app itself (its times are read times)."""
    if network_stream is None:
        return None
    timed = network_stream.get_extra_info("arrival")
    return timed if getattr(timed, "clock", None) == "arrival" else None


def read_reason(network_stream: Any) -> str:
    """Why a response's times are read times (its stream was not read by the reader)."""
    why = network_stream.get_extra_info("clock_reason") if network_stream is not None else None
    return str(why or "no arrival reader")


class ArrivalReader:
    """The child process of one app and the frames it sends, dispatched to the streams.

    ``start()`` spawns it (once; cheap and synchronous), ``await ready()`` waits for its first
    frame and binds it to the running loop. ``failed`` says why it cannot be used (then the
    backend reads by itself). ``aclose()`` (or ``close()``) ends it: the child exits at the end
    of file on its control socket, and is waited for.
    """

    def __init__(self) -> None:
        self.failed: str | None = disabled_reason()
        self.proc: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._data: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[None] | None = None
        self._streams: dict[int, ArrivalStream] = {}
        self._ids = itertools.count(1)
        self._buf = bytearray(2 * RECV_SIZE)  # frames as received; ``_filled`` bytes of it
        self._filled = 0
        self._closed = False

    # -- lifetime --------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn the child if it is not running (and has not failed)."""
        if self.proc is not None or self.failed is not None or self._closed:
            return
        try:
            ctl, ctl_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            data, data_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        except OSError as exc:
            self._fail(f"no Unix socket pair: {exc}")
            return
        try:
            with contextlib.suppress(OSError):
                data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", child.__file__, str(ctl_child.fileno()),
                 str(data_child.fileno())],
                pass_fds=(ctl_child.fileno(), data_child.fileno()),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True)
        except OSError as exc:
            ctl.close()
            data.close()
            self._fail(f"the arrival reader did not start: {exc}")
            return
        finally:
            ctl_child.close()
            data_child.close()
        ctl.settimeout(2.0)  # commands are tiny and the child reads them at once
        data.setblocking(False)
        self._ctl, self._data = ctl, data
        logger.debug("arrival reader started (pid %s)", self.proc.pid)

    async def ready(self) -> bool:
        """Wait until the child reads for this loop; False when it cannot (see ``failed``)."""
        self.start()
        if self.failed is not None or self._data is None:
            return False
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._ready = loop.create_future()
            loop.add_reader(self._data.fileno(), self._readable)
        elif self._loop is not loop:
            return False  # another loop's reader: this one reads by itself
        assert self._ready is not None
        if not self._ready.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._ready), READY_TIMEOUT_S)
            except TimeoutError:
                self._fail(f"the arrival reader said nothing for {READY_TIMEOUT_S:g} s")
                return False
        return self.failed is None

    def _fail(self, why: str) -> None:
        if self.failed is None:
            self.failed = why
            logger.warning("arrival times are off, read times instead: %s", why)
        self._teardown()
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)
        for stream in list(self._streams.values()):
            stream._lost(why)
        self._streams.clear()

    def _teardown(self) -> None:
        if self._loop is not None and self._data is not None and not self._loop.is_closed():
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._data.fileno())
        for sock in (self._ctl, self._data):
            if sock is not None:
                sock.close()
        self._ctl = self._data = None

    def _close_streams(self) -> None:
        """Close the connections still served (their owner did not: a connection whose setup
        failed half-way, a client never closed), so that none is left to the garbage
        collector, which warns of an unclosed socket in whatever runs then."""
        streams = list(self._streams.values())
        self._streams.clear()
        for stream in streams:
            stream.close_now()

    def close(self) -> None:
        """End the child and wait for it (it exits at once on the end of file); the
        connections it still served are closed."""
        self._closed = True
        self._close_streams()
        self._teardown()
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.wait(2.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    async def aclose(self) -> None:
        """``close()`` without blocking the loop while the child exits."""
        self._closed = True
        self._close_streams()
        self._teardown()
        proc = self.proc
        if proc is None:
            return
        deadline = time.monotonic() + 2.0
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        self.close()

    # -- connections -----------------------------------------------------------------------
    def attach(self, sock: socket.socket) -> ArrivalStream:
        """Hand ``sock`` (connected, non-blocking) to the child; the stream that reads it."""
        ctl = self._ctl
        if ctl is None:
            raise httpcore.ConnectError(f"the arrival reader is gone: {self.failed}")
        cid = next(self._ids)
        stream = ArrivalStream(self, cid, sock)
        self._streams[cid] = stream
        try:
            socket.send_fds(ctl, [child.CMD.pack(cid, child.OP_ADD)], [sock.fileno()])
        except OSError as exc:
            self._fail(f"cannot hand a socket to the arrival reader: {exc}")
            raise httpcore.ConnectError(str(exc)) from exc
        return stream

    def command(self, cid: int, op: int) -> None:
        ctl = self._ctl
        if ctl is None:
            return
        try:
            ctl.send(child.CMD.pack(cid, op))
        except OSError as exc:
            self._fail(f"the arrival reader stopped taking commands: {exc}")

    def forget(self, cid: int) -> None:
        if self._streams.pop(cid, None) is not None:
            self.command(cid, child.OP_CLOSE)

    # -- frames ----------------------------------------------------------------------------
    def _readable(self) -> None:
        """Take what the child sent (at most ``RECV_BUDGET`` bytes: then the loop has a turn),
        straight into one buffer, and hand each whole frame to its stream."""
        data = self._data
        if data is None:
            return
        got = 0
        try:
            while got < RECV_BUDGET:
                buf = self._buf
                if len(buf) - self._filled < RECV_SIZE:
                    buf.extend(bytes(RECV_SIZE))  # (a frame larger than the buffer)
                with memoryview(buf) as free:
                    n = data.recv_into(free[self._filled:])
                if not n:
                    self._dispatch()
                    self._fail("the arrival reader exited")
                    return
                self._filled += n
                got += n
                self._dispatch()
                if self._data is None or n < RECV_SIZE:
                    break
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            self._fail(f"the arrival reader's socket failed: {exc}")

    def _dispatch(self) -> None:
        """Every whole frame of the buffer to its stream; the rest moved to the front. One copy
        per payload (the bytes a stream hands out), none for the buffer itself."""
        buf = self._buf
        end, pos, need = self._filled, 0, 0
        unpack, streams = _HEADER.unpack_from, self._streams
        with memoryview(buf) as view:
            while end - pos >= _HEAD:
                cid, kind, flags, t, size = unpack(view, pos)
                stop = pos + _HEAD + size
                if stop > end:
                    need = stop - pos  # the whole frame, at the front, next time
                    break
                stream = streams.get(cid)
                if stream is not None:
                    start = pos + _HEAD
                    while stop - start > PIECE:  # (see PIECE)
                        stream._frame(kind, flags, t, bytes(view[start:start + PIECE]))
                        start += PIECE
                    stream._frame(kind, flags, t, bytes(view[start:stop]))
                elif kind == child.READY and self._ready is not None \
                        and not self._ready.done():
                    self._ready.set_result(None)
                pos = stop
            if pos:
                view[:end - pos] = view[pos:end]
        self._filled = end - pos
        if need > len(buf):
            buf.extend(bytes(need - len(buf)))
