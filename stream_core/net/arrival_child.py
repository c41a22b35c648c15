"""The arrival reader: a small process that reads the app's sockets the moment bytes arrive.

Why a process: the times of a stream are only as true as its reader is prompt, and the app's
own loop is not (a window busy painting, a ``capture`` whose stdout is read late; PySide holds
the GIL through its C++ calls, so a thread of the window would wait too). This process does
nothing else: it waits in ``epoll`` on the sockets it is given, reads whatever arrives, stamps
each read with the time the kernel received its bytes (``SO_TIMESTAMPNS`` where Linux gives
it, else the clock when ``recv`` returned) and sends ``(connection, time, bytes)`` frames to
the app over a Unix socket. When the app does not take them, they wait here, up to
``BOUND`` bytes per connection; past that the socket is left unread (TCP back-pressure) and
the reads that follow are flagged *held*: their bytes may have waited in the kernel.

It is started as ``python -I -S arrival_child.py CONTROL_FD DATA_FD`` and imports the
standard library's small modules only, so it starts in ~20 ms. It exits when the app goes
away: end of file on the control socket, or a failed send on the data socket.

The protocol (``stream_core.net.arrival`` is the other side):
- control socket (SOCK_SEQPACKET, app -> here): ``CMD`` messages ``(conn id, op)``; an ``ADD``
  carries the connection's descriptor (SCM_RIGHTS); ``CLOSE`` forgets it; ``PAUSE``/``RESUME``
  stop and restart sending a connection's frames (the app holds enough of them).
- data socket (SOCK_STREAM, here -> app): ``HEADER`` ``(conn id, kind, flags, t, length)``
  then ``length`` bytes. Kinds: ``DATA`` (the bytes of one read), ``EOF``, ``ERROR`` (payload:
  the errno as ASCII digits), ``HELD`` (payload: seconds the connection was left unread, as
  a float), ``READY`` (conn id 0, once at start), ``ADDED`` (the connection is watched from
  now on: the app sends its request only then). ``t`` is ``time.monotonic()`` seconds:
  CLOCK_MONOTONIC is one clock for every process of the machine.

This file must keep to the standard library (it runs without site-packages) and must not
import the rest of ``stream_core``.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import sys
import time
from collections import deque

HEADER = struct.Struct("=IBBdI")
CMD = struct.Struct("=IB")
DATA, EOF, ERROR, HELD, READY, ADDED = 0, 1, 2, 3, 4, 5
FLAG_HELD = 1
OP_ADD, OP_CLOSE, OP_PAUSE, OP_RESUME = 1, 2, 3, 4
READ_SIZE = 256 * 1024  # one recv; a read that fills it is followed by another at once
BOUND = 32 * 1024 * 1024  # bytes of one connection kept here before it is left unread
MAX_IOV = 512  # buffers per sendmsg
#: Linux's SO_TIMESTAMPNS (the "old" one: a timespec of two longs), where its number is 35.
TIMESTAMPNS = 35
_TS = struct.Struct("=qq")
KERNEL_TS = sys.platform.startswith("linux") and os.uname().machine in (
    "x86_64", "aarch64", "arm64", "riscv64")


#: sched_setattr(2) by architecture, and the slice asked for: 0.1 ms, the shortest allowed.
_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274, "arm64": 274, "riscv64": 274}
SLICE_NS = 100_000


def short_slice() -> None:
    """Ask the scheduler for a short time slice (Linux 6.12+, EEVDF; no privilege needed):
    a task with a shorter slice preempts on wake-up, so this process reads the moment its
    sockets have data even when every core is busy, and two sends 10 ms apart are not read
    (and stamped) together. Older kernels ignore the request; failures are ignored."""
    number = _SCHED_SETATTR.get(os.uname().machine) if sys.platform.startswith("linux") \
        else None
    if number is None:
        return
    try:
        import ctypes

        attr = struct.pack("=IIQiIQQQ", 48, 0, 0, 0, 0, SLICE_NS, 0, 0)  # sched_attr v0
        ctypes.CDLL(None, use_errno=True).syscall(number, 0, ctypes.create_string_buffer(
            attr, len(attr)), 0)
    except (OSError, AttributeError):
        pass


def wall_minus_monotonic() -> float:
    """The wall clock minus the monotonic clock, read so that no preemption falls between
    the two (a preempted pair would shift every time converted with it)."""
    best_span, best = 1.0, 0.0
    for _ in range(4):
        before = time.monotonic()
        wall = time.time()
        span = time.monotonic() - before
        if span < best_span:
            best_span, best = span, wall - (before + span / 2)
            if span < 20e-6:
                break
    return best


class Conn:
    """One socket of the app's: its frames waiting to be sent, and whether it is read."""

    __slots__ = ("cid", "sock", "fd", "queue", "queued", "paused", "reading", "stopped_at",
                 "held", "last_t", "done")

    def __init__(self, cid: int, sock: socket.socket) -> None:
        self.cid = cid
        self.sock = sock
        self.fd = sock.fileno()
        self.queue: deque[bytes] = deque()  # header, payload, header, payload, ...
        self.queued = 0  # payload bytes in queue
        self.paused = False  # the app asked to hold its frames
        self.reading = True  # registered for EPOLLIN
        self.stopped_at = 0.0  # when it was left unread (BOUND reached)
        self.held = False  # reads since it is read again may carry bytes that waited
        self.last_t = 0.0
        self.done = False  # EOF or error sent: nothing more to read


class Reader:
    """The loop: poll, read, stamp, queue, send."""

    def __init__(self, ctl: socket.socket, out: socket.socket) -> None:
        self.ctl = ctl
        self.out = out
        self.poll = select.epoll() if hasattr(select, "epoll") else select.poll()
        self.IN = getattr(select, "EPOLLIN", select.POLLIN)
        self.OUT = getattr(select, "EPOLLOUT", select.POLLOUT)
        self.GONE = getattr(select, "EPOLLHUP", select.POLLHUP) | getattr(
            select, "EPOLLERR", select.POLLERR)
        self.by_fd: dict[int, Conn] = {}
        self.by_id: dict[int, Conn] = {}
        self.sending: deque[Conn] = deque()  # connections with frames to send (not paused)
        self.pending: list[memoryview] = []  # the part of a frame a short send left over
        self.want_out = False
        self.poll.register(ctl.fileno(), self.IN)
        self.poll.register(out.fileno(), 0)

    def run(self) -> None:
        self.out.sendall(HEADER.pack(0, READY, 0, time.monotonic(), 0))
        ctl_fd, out_fd = self.ctl.fileno(), self.out.fileno()
        by_fd = self.by_fd
        while True:
            for fd, ev in self.poll.poll():
                if fd == ctl_fd:
                    if not self.commands():
                        return
                elif fd == out_fd:
                    if ev & self.GONE:
                        return  # the app closed its end
                else:
                    conn = by_fd.get(fd)
                    if conn is not None:
                        self.read(conn)
            if not self.flush():
                return

    # -- the app's commands ------------------------------------------------------------------
    def commands(self) -> bool:
        """Handle every waiting command; False when the app has gone."""
        while True:
            try:
                msg, fds, _flags, _addr = socket.recv_fds(self.ctl, CMD.size, 4,
                                                          socket.MSG_DONTWAIT)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not msg:
                for fd in fds:
                    os.close(fd)
                return False
            cid, op = CMD.unpack(msg)
            if op == OP_ADD:
                for fd in fds[1:]:
                    os.close(fd)
                if fds:
                    self.add(cid, fds[0])
            else:
                for fd in fds:
                    os.close(fd)
                conn = self.by_id.get(cid)
                if conn is None:
                    continue
                if op == OP_CLOSE:
                    self.drop(conn)
                elif op == OP_PAUSE:
                    conn.paused = True
                elif op == OP_RESUME:
                    conn.paused = False
                    if conn.queue:
                        self.sending.append(conn)

    def add(self, cid: int, fd: int) -> None:
        sock = socket.socket(fileno=fd)
        sock.setblocking(False)
        conn = Conn(cid, sock)
        self.by_fd[conn.fd] = conn
        self.by_id[cid] = conn
        self.poll.register(conn.fd, self.IN)
        self.queue(conn, ADDED, 0, time.monotonic(), b"")

    def drop(self, conn: Conn) -> None:
        del self.by_id[conn.cid]
        if self.by_fd.pop(conn.fd, None) is not None and conn.reading and not conn.done:
            self.poll.unregister(conn.fd)
        conn.queue.clear()
        conn.queued = 0
        conn.sock.close()

    # -- reading -----------------------------------------------------------------------------
    def read(self, conn: Conn) -> None:
        """Read what ``conn`` has (each read stamped), until it runs dry or is bounded."""
        sock = conn.sock
        while True:
            try:
                if KERNEL_TS:
                    data, anc, _flags, _addr = sock.recvmsg(READ_SIZE, 64)
                else:
                    data, anc = sock.recv(READ_SIZE), []
            except (BlockingIOError, InterruptedError):
                conn.held = False  # caught up: what arrives now is read as it arrives
                return
            except OSError as exc:
                self.finish(conn, ERROR, time.monotonic(), str(exc.errno or 0).encode())
                return
            now = time.monotonic()
            t = now
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == TIMESTAMPNS and len(value) >= 16:
                    sec, nsec = _TS.unpack_from(value)
                    t = sec + nsec * 1e-9 - wall_minus_monotonic()
            t = min(max(t, conn.last_t), now)
            conn.last_t = t
            if not data:
                self.finish(conn, EOF, t, b"")
                return
            self.queue(conn, DATA, FLAG_HELD if conn.held else 0, t, data)
            if len(data) < READ_SIZE:
                conn.held = False
            if conn.queued >= BOUND:
                self.stop_reading(conn)
                return
            if len(data) < READ_SIZE:
                return  # probably dry; epoll says so if not

    def finish(self, conn: Conn, kind: int, t: float, payload: bytes) -> None:
        """The connection's last frame (end of file or an error): it is not read again."""
        conn.done = True
        if conn.reading:
            self.poll.unregister(conn.fd)
            conn.reading = False
        self.queue(conn, kind, 0, t, payload)

    def stop_reading(self, conn: Conn) -> None:
        conn.reading = False
        conn.stopped_at = time.monotonic()
        self.poll.unregister(conn.fd)

    def queue(self, conn: Conn, kind: int, flags: int, t: float, payload: bytes) -> None:
        if not conn.queue and not conn.paused:
            self.sending.append(conn)
        conn.queue.append(HEADER.pack(conn.cid, kind, flags, t, len(payload)))
        conn.queue.append(payload)
        conn.queued += len(payload)

    # -- sending -----------------------------------------------------------------------------
    def flush(self) -> bool:
        """Send what can be sent without waiting; False when the app has gone."""
        while self.pending or self.sending:
            bufs: list[bytes | memoryview] = list(self.pending)
            taken: list[tuple[Conn, int]] = []  # (conn, payload bytes) of each whole frame
            while self.sending and len(bufs) < MAX_IOV:
                conn = self.sending.popleft()
                if conn.paused or conn.cid not in self.by_id:
                    continue
                q = conn.queue
                while q and len(bufs) < MAX_IOV:
                    header, payload = q.popleft(), q.popleft()
                    bufs.append(header)
                    bufs.append(payload)
                    taken.append((conn, len(payload)))
                if q:
                    self.sending.append(conn)
            if not bufs:
                break
            try:
                sent = self.out.sendmsg(bufs)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                return False
            for conn, size in taken:
                conn.queued -= size
                if not conn.reading and not conn.done and conn.queued < BOUND // 2 \
                        and conn.cid in self.by_id:
                    self.resume_reading(conn)
            rest = _after(bufs, sent)
            self.pending = rest
            if rest:
                self.want(True)
                return True
        self.want(False)
        return True

    def resume_reading(self, conn: Conn) -> None:
        conn.reading = True
        conn.held = True
        waited = time.monotonic() - conn.stopped_at
        self.queue(conn, HELD, 0, conn.stopped_at, repr(waited).encode())
        self.poll.register(conn.fd, self.IN)

    def want(self, out: bool) -> None:
        if out != self.want_out:
            self.want_out = out
            self.poll.modify(self.out.fileno(), self.OUT if out else 0)


def _after(bufs: list[bytes | memoryview], sent: int) -> list[memoryview]:
    """What of ``bufs`` is left once their first ``sent`` bytes went out."""
    for i, buf in enumerate(bufs):
        size = len(buf)
        if sent < size:
            return [memoryview(buf)[sent:], *(memoryview(b) for b in bufs[i + 1:])]
        sent -= size
    return []


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the app's to handle
    short_slice()
    ctl = socket.socket(fileno=int(argv[1]))
    out = socket.socket(fileno=int(argv[2]))
    ctl.setblocking(False)
    out.setblocking(False)
    try:
        out.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    except OSError:
        pass
    try:
        Reader(ctl, out).run()
    except (BrokenPipeError, ConnectionResetError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
