"""Recording a tab: the spool every stream writes while it runs, and opened captures as sources.

Why: Save, Export, Compare and Replay work on any tab, running or finished, without keeping a
second copy of the stream in memory (the models keep only what the views need): each stream
is spooled to a private temporary file (``Spool``) through an observer tee (``Recorder``).
Opening a capture gives the controller a record source (``replay_source``) with the same
contract as ``stream_core.net.session.run``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pickle
import re
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gui.stream.controller import Source
from gui.stream.spool_dir import create_private
from stream_core.capture.reader import Capture, CaptureError
from stream_core.capture.records_file import CaptureWriter
from stream_core.net.download import body_start, part_path
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import AnyRecord, Chunk, End, Event, Observer, Record, Request, Response

__all__ = ["Recorder", "Spool", "replay_records", "replay_source", "slug", "spec_of"]


class BodyRef:
    """A download's chunk spooled without its bytes: they are in the downloaded file at ``pos``.

    Why: a download's body is on disk already; spooling it too wrote every byte twice (and
    needed twice the disk), which cost a quarter of a window download's speed.
    """

    __slots__ = ("offset", "pos", "seq", "size", "t")

    def __init__(self, seq: int, t: float, offset: int, size: int, pos: int) -> None:
        self.seq, self.t, self.offset, self.size, self.pos = seq, t, offset, size, pos


class DownloadBody:
    """Turns a download's chunks into ``BodyRef``s, and back (reading the file) for a save.

    A chunk is kept as a reference only while the file holds the body as received (no
    Content-Encoding; see ``stream_core.net.download.body_start``), else it is spooled whole.
    """

    def __init__(self, spec: RequestSpec) -> None:
        self.spec = spec  # its ``output``: the response may rename it (Content-Disposition)
        self.path: str | None = None  # the final name once complete, else the ``.part``
        self._base: int | None = None  # file position of this response's first body byte
        self._first = -1  # the chunk offset of that byte (-1: no chunk of it yet)

    def spooled(self, record: AnyRecord) -> AnyRecord | BodyRef:
        if type(record) is Chunk:
            if self._base is None:
                return record
            if self._first < 0:
                self._first = record.offset
            return BodyRef(record.seq, record.t, record.offset, len(record.data),
                           self._base + record.offset - self._first)
        if type(record) is Response:
            # Auto writes a file only for a response it found to be a download.
            self._base = body_start(record.status, record.headers) \
                if record.mode == Mode.DOWNLOAD.value else None
            self._first = -1
        elif type(record) is End:
            self.path = record.path if record.complete else None
        return record

    def open(self) -> tuple[str, Any]:
        """The body file's path now and a handle on it (None if it is gone): taken on the
        GUI thread, so that a rename (.part -> final) or a delete meanwhile cannot matter."""
        path = self.path or part_path(self.spec.output or "")
        try:
            return path, open(path, "rb")
        except FileNotFoundError:
            return path, None

    @staticmethod
    def resolve(items: list[AnyRecord | BodyRef], path: str, f: Any) -> list[AnyRecord]:
        """``items`` with every ``BodyRef`` read back from ``f`` (CaptureError if gone)."""
        if not any(type(x) is BodyRef for x in items):
            return items  # type: ignore[return-value]  # no BodyRef in it: all records
        if f is None:
            raise CaptureError(f"the downloaded body is no longer at {path} (deleted or "
                               "moved?): it cannot be saved with the capture")
        out: list[AnyRecord] = []
        for x in items:
            if type(x) is not BodyRef:
                out.append(x)  # type: ignore[arg-type]  # not a BodyRef: a record (type() is does not narrow)
                continue
            f.seek(x.pos)
            data = f.read(x.size)
            if len(data) != x.size:
                raise CaptureError(f"{path} is shorter than what was downloaded "
                                   "(changed since?): its body cannot be saved")
            out.append(Chunk(x.seq, x.t, x.offset, data))
        return out


def _flat(r: AnyRecord | BodyRef) -> Any:
    """Events, records, chunks and body references as plain tuples, told apart by their
    length: pickled 8-20x faster than slotted objects."""
    if type(r) is Event:
        return (r.seq, r.t, r.event, r.data, r.id, r.first_chunk, r.last_chunk)
    if type(r) is Record:
        return (r.seq, r.t, r.text, r.value, r.error, r.parsed, r.first_chunk, r.last_chunk)
    if type(r) is Chunk:
        return (r.seq, r.t, r.offset, r.data)
    if type(r) is BodyRef:
        return (r.seq, r.t, r.offset, r.size, r.pos)
    return r


#: The record each tuple length stands for (``_flat`` made it).
_UNFLAT: dict[int, Callable[..., Any]] = {4: Chunk, 5: BodyRef, 7: Event, 8: Record}


def _unflat(x: Any) -> Any:
    return _UNFLAT[len(x)](*x) if type(x) is tuple else x


class Spool:
    """A tab's records, pickled in batches to a private temporary file.

    Why not the capture format itself: JSON and base64 cost ~10 µs a record on the GUI
    thread, which a flood of 100k events/s cannot afford; a pickled batch costs well under
    1 µs a record. The spool is converted to a capture file only when the user saves or exports.
    It never leaves this process, so loading it back (``pickle``) trusts nothing foreign.
    """

    BATCH_RECORDS = 2000
    BATCH_BYTES = 4 * 1024 * 1024
    FLUSH_SECONDS = 0.1

    def __init__(self, path: str, cap: int | None = None,
                 on_capped: Callable[[], None] | None = None) -> None:
        self.path = path
        self.error: OSError | None = None
        #: At most this many bytes are written; the first batch beyond them, and every
        #: later one, is dropped (``capped``), so the recording is the stream's beginning.
        self.cap = cap
        self.capped = False
        self.on_capped = on_capped
        self._file: Any = os.fdopen(create_private(path), "wb")  # 0600: it holds secrets
        self._batch: list[AnyRecord | BodyRef] = []
        self._bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, record: AnyRecord | BodyRef) -> None:
        self._batch.append(record)
        if isinstance(record, Chunk):
            self._bytes += len(record.data)
        if len(self._batch) >= self.BATCH_RECORDS or self._bytes >= self.BATCH_BYTES:
            self.flush()
        elif self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(self.FLUSH_SECONDS,
                                                                    self.flush)
            except RuntimeError:  # no loop: flushed when read
                pass

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._batch, self._bytes = self._batch, [], 0
        if not batch or self.error is not None or self._file.closed or self.capped:
            return
        blob = pickle.dumps([_flat(r) for r in batch], protocol=pickle.HIGHEST_PROTOCOL)
        if self.cap is not None and self._file.tell() + 8 + len(blob) > self.cap:
            self.capped = True
            if self.on_capped is not None:
                self.on_capped()
            return
        try:
            self._file.write(len(blob).to_bytes(8, "little"))
            self._file.write(blob)
            self._file.flush()
        except OSError as exc:
            self.error = exc

    def snapshot(self) -> SpoolSnapshot:
        """What was recorded so far, readable from any thread (``SpoolSnapshot.read``).

        Called on the thread that adds (the GUI's): it flushes, then opens the file for
        reading and notes where it ends. The reader never touches this object, so later
        records, a resumed download or closing the tab (the spool deleted) cannot interleave
        with it: they were ``Spool.flush`` on two threads, writing into each other.
        """
        self.flush()
        if self.error is not None:
            raise CaptureError(f"recording failed: {self.error.strerror or self.error}")
        if self._file.closed:
            raise CaptureError("the recording was discarded (its tab was closed)")
        return SpoolSnapshot(open(self.path, "rb"), self._file.tell())

    def read(self) -> list[Any]:
        """Every record so far, in order (with ``BodyRef``s as they were added)."""
        return self.snapshot().read()

    def close(self) -> None:
        self.flush()
        self._file.close()


class SpoolSnapshot:
    """A spool's records up to one point, from a handle of its own (see ``Spool.snapshot``)."""

    def __init__(self, f: Any, end: int) -> None:
        self._f, self.end = f, end

    def close(self) -> None:
        self._f.close()

    def read(self) -> list[Any]:
        records: list[Any] = []
        with self._f as f:
            while f.tell() < self.end:
                size = int.from_bytes(f.read(8), "little")
                records.extend(_unflat(x) for x in pickle.loads(f.read(size)))
        return records


class Recording:
    """What a tab recorded up to one point (``Recorder.snapshot``), to be read on any thread."""

    def __init__(self, spool: SpoolSnapshot, body: tuple[str, Any] | None) -> None:
        self.spool, self.body = spool, body

    def close(self) -> None:
        """Let go of the files without reading them (reading closes them too)."""
        self.spool.close()
        if self.body is not None and self.body[1] is not None:
            self.body[1].close()

    def records(self) -> list[AnyRecord]:
        items = self.spool.read()
        if self.body is None:
            return items
        path, f = self.body
        try:
            return DownloadBody.resolve(items, path, f)
        finally:
            if f is not None:
                f.close()


class Recorder:
    """Spools one tab's records as they arrive (an observer tee); saves and exports them.

    The spool keeps secrets (it never leaves its private folder, see ``spool_dir``); saved
    files and exports mask them unless the user asks otherwise. Writers added by ``save``
    while the stream runs get every later record and are closed when it ends. Beyond ``cap``
    bytes the spool stops (``capped``): a save then holds the stream's beginning only.
    """

    def __init__(self, path: str | None, spec: RequestSpec, cap: int | None = None,
                 on_capped: Callable[[], None] | None = None, *, error: str = "") -> None:
        self.spec = spec
        self.error: str | None = None
        self.followers: list[CaptureWriter] = []
        self.on_follower_closed: Callable[[CaptureWriter], None] | None = None
        self._body = DownloadBody(spec) \
            if spec.mode in (Mode.DOWNLOAD, Mode.AUTO) and spec.output else None
        self._spool: Spool | None = None
        if path is None:
            self.error = error or "nothing was recorded"
            return
        try:
            self._spool = Spool(path, cap, on_capped)
        except OSError as exc:
            self._spool, self.error = None, f"cannot record to {path}: {exc.strerror or exc}"

    def wrap(self, source: Source) -> Source:
        """``source`` with every record also going through this recorder."""
        async def recorded(observer: Observer) -> End:
            def tee(record: AnyRecord) -> None:
                observer(record)
                self.add(record)
            try:
                return await source(tee)
            finally:
                self.finish()
        return recorded

    def add(self, record: AnyRecord) -> None:
        if self._spool is not None:
            body = self._body
            if body is None:
                self._spool.add(record)
            else:
                self._spool.add(body.spooled(record))
        for writer in self.followers:
            writer(record)

    def finish(self) -> None:
        """The stream ended (any way): close the files saved while it ran."""
        if self._spool is not None:
            self._spool.flush()
        done, self.followers = self.followers, []
        for writer in done:
            writer.close()
            if self.on_follower_closed is not None:
                self.on_follower_closed(writer)

    @property
    def capped(self) -> bool:
        return self._spool is not None and self._spool.capped

    def snapshot(self) -> Recording:
        """What was recorded so far, to read on any thread (CaptureError / OSError when
        nothing could be). Call it on the thread that records (the GUI's)."""
        if self._spool is None:
            raise CaptureError(self.error or "nothing was recorded")
        return Recording(self._spool.snapshot(),
                         None if self._body is None else self._body.open())

    def records(self) -> list[AnyRecord]:
        """What was recorded so far (CaptureError / OSError when nothing could be)."""
        return self.snapshot().records()

    def complete_records(self) -> list[AnyRecord]:
        """The records, ending in an ``End`` (an incomplete one for a running stream)."""
        return Capture("", "", self.records()).complete_records()

    def save(self, path: str, *, save_secrets: bool, started: float, running: bool,
             recording: Recording | None = None) -> CaptureWriter:
        """Write what is there to ``path``; a running stream keeps appending. OSError if not.

        A worker thread passes the ``recording`` the GUI thread took (``snapshot``) and
        ``running=False``: it then touches nothing the recording thread changes.
        """
        records = (recording or self.snapshot()).records()
        if self.capped:  # the beginning only, said so in its end; nothing more will follow
            running = False
            records = Capture("", "", records).complete_records()
            end = records[-1]
            if isinstance(end, End) and not end.complete:
                records[-1] = dataclasses.replace(end, stopped="recording-cap")
        request = next((r for r in records if isinstance(r, Request)), None)
        writer = CaptureWriter(path, save_secrets=save_secrets, request_body=self.spec.body,
                               request=request, mode=self.spec.mode.value, started=started,
                               live=False)
        try:  # ``path`` is replaced only once the records so far are on disk
            writer.extend(records)
        except BaseException:
            writer.discard()
            raise
        while records:  # (saved by a worker: a million records freed in one go hold the
            del records[-10_000:]  # GIL, and so the window, for ~0.3 s)
        if running:
            writer.publish()
            self.followers.append(writer)
        else:
            writer.close()
        if writer.error is not None:
            writer.close()
            if writer in self.followers:
                self.followers.remove(writer)
            raise writer.error
        return writer

    def discard(self) -> None:
        for writer in self.followers:
            writer.close()
        self.followers = []
        if self._spool is not None:
            self._spool.close()
            try:
                os.unlink(self._spool.path)
            except OSError:
                pass


def replay_records(capture: Capture) -> list[AnyRecord]:
    """What ``replay_source`` reports of a capture (its records, ending in an ``End``; the
    reader gave parsed records their texts): to make off the GUI thread for a big capture."""
    return capture.complete_records()


def replay_source(capture: Capture | list[AnyRecord]) -> Source:
    """A record source that reports a capture's records at once (what Open shows); given
    ``replay_records(capture)`` (a list that ends in an ``End``), it reports that list."""
    records = capture if isinstance(capture, list) else replay_records(capture)
    last = records[-1]
    assert isinstance(last, End)
    # Consumed as reported: a record is then held by the tab's models only (as columns),
    # and a closed tab does not free a million records at once (0.6 s of the GUI thread).
    pending = deque(records)

    async def source(observer: Observer) -> End:
        n = 0
        while pending:
            observer(pending.popleft())
            n += 1
            if n % 2000 == 0:
                await asyncio.sleep(0)  # a huge capture must not freeze the window
        return last
    return source


def spec_of(capture: Capture) -> RequestSpec:
    """The request a capture recorded, as the editor and Copy as curl know requests."""
    request = capture.request
    mode_text = str(capture.header.get("mode", "auto"))
    mode = Mode(mode_text) if mode_text in Mode._value2member_map_ else Mode.AUTO
    if request is None:
        return RequestSpec(f"capture:{Path(capture.path).name}", mode=mode)
    spec = RequestSpec(request.url, method=request.method, headers=list(request.headers),
                       body=capture.request_body, mode=mode)
    end = capture.end
    if mode is Mode.DOWNLOAD and end is not None:
        spec.output = end.path
    return spec


def slug(url: str) -> str:
    path = url.split("://", 1)[-1].split("?", 1)[0]
    last = path.rstrip("/").rsplit("/", 1)[-1] if "/" in path else ""
    return re.sub(r"[^A-Za-z0-9]+", "-", last).strip("-")[:40] or "stream"
