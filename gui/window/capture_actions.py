"""The window's capture actions: Save, Open, Export, Copy as curl / httpx, Replay, Compare.

Every tab is recorded while it runs (``gui.stream.capture_spool``), so Save, Export, Compare and
Replay work on any tab, running or finished. Saving converts the recording to a capture file
and, for a running stream, keeps appending to it until the stream ends.

File dialogs are opened non-modally (``QFileDialog.open()`` with a callback); the methods they
call (``save_capture``, ``open_capture``, ``export``) are public for tests and scripts. Every
failure is a status-bar message: the window never blocks and no stream is lost.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import weakref
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QTabWidget
from qasync import asyncSlot

from gui.services.background import BusyIndicator, off_loop
from gui.stream.capture_spool import Recorder, Recording, replay_source, slug, spec_of
from gui.stream.controller import StreamController
from gui.stream.spool_dir import SpoolDir
from gui.views.stream_tab import StreamTab
from gui.window import capture_jobs
from stream_core.capture.codegen import curl_command, httpx_code
from stream_core.capture.reader import SUFFIX, Capture, CaptureError, read_capture
from stream_core.capture.records_file import CaptureWriter, atomic_write
from stream_core.net.spec import RequestSpec
from stream_core.records import AnyRecord

if TYPE_CHECKING:
    from gui.services.settings import Settings
    from gui.views.compare_view import CompareView  # pyqtgraph: imported at the first comparison
    from gui.window.endpoint_picker import EndpointPicker
    from stream_core.net.clients import ClientSource

CAPTURE_FILTER = f"Stream Inspector captures (*{SUFFIX});;All files (*)"
EXPORTS = {  # kind: (menu text, file filter, suffix)
    "har": ("&HAR 1.2 (DevTools, HAR viewers)…", "HTTP Archive (*.har)", "har"),
    "events": ("&Events as NDJSON…", "NDJSON (*.ndjson *.jsonl)", "ndjson"),
    "body": ("&Raw body…", "All files (*)", "bin"),
}
MESSAGE_MS = 12000

log = logging.getLogger(__name__)


class CaptureHost(Protocol):
    """What the capture actions need of the window. The main window has all of it; this
    module never imports the window (the dependency runs one way: window -> actions)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clients(self) -> ClientSource: ...
    @property
    def server_url(self) -> str | None: ...
    @property
    def picker(self) -> EndpointPicker: ...
    @property
    def tabs(self) -> QTabWidget: ...
    @property
    def file_menu(self) -> QMenu: ...
    @property
    def request_menu(self) -> QMenu: ...

    def current_tab(self) -> StreamTab | None: ...

    def add_stream_tab(self, controller: StreamController) -> StreamTab: ...


class CaptureActions(QObject):
    """Adds the capture menus to the window and carries them out.

    ``last_message`` is what the status bar was last told (a screenshot run that cannot open
    its capture reports it).
    """

    def __init__(self, window: QMainWindow, host: CaptureHost) -> None:
        """``window`` parents the menus, dialogs and messages; ``host`` (the same window)
        gives the tabs, menus, clients and demo server."""
        super().__init__(window)
        self.window = window
        self.host = host
        self.spool_dir: SpoolDir | None = None
        self.spool_error = ""
        try:
            self.spool_dir = SpoolDir()
        except OSError as exc:
            self.spool_error = f"cannot record tabs: {exc.strerror or exc} ({exc.filename})"
            log.warning("%s", self.spool_error)
        self.recorders: dict[StreamController, Recorder] = {}
        self.last_message = ""
        self._replays = 0
        self._tasks: set[asyncio.Task[Any]] = set()  # background saves and opens, referenced
        self._build()

    # -- menus -------------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], Any], shortcut: Any = None) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build(self) -> None:
        w, host = self.window, self.host
        self.open_action = self._action("&Open capture…", self.open_dialog,
                                        QKeySequence.StandardKey.Open)
        self.save_action = self._action("&Save capture…", self.save_dialog,
                                        QKeySequence.StandardKey.Save)
        self.secrets_action = QAction("Keep &secrets in saved files", w)
        self.secrets_action.setCheckable(True)
        self.secrets_action.setToolTip("Secret-looking headers, query parameters and URL user"
                                       " info (and their values in error messages) are masked"
                                       " in saved captures and HAR unless this is checked")
        self.export_menu = QMenu("&Export", w)
        for kind, (text, _filter, _suffix) in EXPORTS.items():
            self.export_menu.addAction(self._action(text, functools.partial(self.export_dialog,
                                                                            kind)))
        self.compare_menu = QMenu("Co&mpare", w)
        self.compare_menu.addAction(self._action("With the &previous tab",
                                                 self.compare_previous))
        self.compare_menu.addAction(self._action("With a capture &file…",
                                                 self.compare_file_dialog))
        menu = host.file_menu
        first = menu.actions()[0] if menu.actions() else menu.addSeparator()
        for item in (self.open_action, self.save_action):
            menu.insertAction(first, item)
        menu.insertMenu(first, self.export_menu)
        menu.insertMenu(first, self.compare_menu)
        menu.insertAction(first, self.secrets_action)
        menu.insertSeparator(first)

        self.curl_action = self._action("Copy as &curl", lambda: self.copy_as("curl"))
        self.httpx_action = self._action("Copy as Python &httpx", lambda: self.copy_as("httpx"))
        self.curl_masked_action = self._action(
            "Copy as curl &without secrets", lambda: self.copy_as("curl", secrets=False))
        self.httpx_masked_action = self._action(
            "Copy as httpx with&out secrets", lambda: self.copy_as("httpx", secrets=False))
        self.replay_action = QAction("&Replay on the demo server", w)
        self.replay_action.setEnabled(host.server_url is not None)
        self.replay_action.triggered.connect(self._replay_clicked)
        host.request_menu.addSeparator()
        for item in (self.curl_action, self.httpx_action, self.curl_masked_action,
                     self.httpx_masked_action, self.replay_action):
            host.request_menu.addAction(item)
        # Saves, exports, opens and comparisons run off the GUI thread: shown while they do.
        self.busy = BusyIndicator(w)
        w.statusBar().addPermanentWidget(self.busy)

    # -- messages ----------------------------------------------------------------------------
    def notify(self, message: str, ms: int = MESSAGE_MS) -> None:
        """A non-blocking message in the status bar."""
        self.last_message = message
        self.window.statusBar().showMessage(message, ms)

    def _ask(self, title: str, filters: str, callback: Callable[[str], Any], *,
             save: bool = False, suffix: str = "", name: str = "") -> QFileDialog:
        """A non-modal file dialog calling ``callback(path)`` once a file is chosen."""
        dialog = QFileDialog(self.window, title, name, filters)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save
                             else QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile if save
                           else QFileDialog.FileMode.ExistingFile)
        if suffix:
            dialog.setDefaultSuffix(suffix)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: callback(path))
        dialog.open()
        return dialog

    def _current(self) -> StreamController | None:
        tab = self.host.current_tab()
        if tab is None:
            self.notify("No stream tab: send a request or open a capture first.")
            return None
        return tab.controller

    # -- recording ---------------------------------------------------------------------------
    def record(self, controller: StreamController) -> None:
        """Record ``controller``'s stream (call before it starts)."""
        path = self.spool_dir.new_file("tab.spool") if self.spool_dir else None
        cap_mib = self.host.settings.spool_cap_mib()
        # The controller weakly: it holds the recorder (its source), and a strong reference
        # back made a cycle that kept a closed tab's memory until a full collection.
        tab_of = weakref.ref(controller)
        recorder = Recorder(path, controller.spec, cap_mib * 1024 * 1024,
                            lambda: self._capped(tab_of(), cap_mib), error=self.spool_error)
        recorder.on_follower_closed = self._follower_closed
        self.recorders[controller] = recorder
        # Wrapping the controller's own source (not passing ``source=``) keeps a live stream
        # "live" (downloads can be resumed), and a resumed run is recorded as well.
        controller.wrap_source(recorder.wrap)

    def forget(self, controller: StreamController, *, now: bool = False) -> None:
        """Drop a closed tab's recording: by a worker (unlinking a flood's spool of ~100 MB
        took 47 ms of the GUI thread), or ``now``."""
        recorder = self.recorders.pop(controller, None)
        if recorder is None:
            return
        if now:
            recorder.discard()
        else:
            self.spawn(asyncio.to_thread(recorder.discard))

    def cleanup(self) -> None:
        for controller in list(self.recorders):
            self.forget(controller, now=True)
        if self.spool_dir is not None:
            self.spool_dir.cleanup()

    def _capped(self, controller: StreamController | None, cap_mib: int) -> None:
        """The tab's recording reached its cap: say in the tab what a Save will hold."""
        if controller is None:
            return
        text = (f"Recording capped at {cap_mib:,} MiB: Save and Export will hold the first"
                f" {cap_mib:,} MiB of this stream (the tab keeps showing all of it).")
        tabs = self.host.tabs
        for i in range(tabs.count()):
            tab = tabs.widget(i)
            if isinstance(tab, StreamTab) and tab.controller is controller:
                tab.show_notice(text)
        self.notify(text)

    def _follower_closed(self, writer: CaptureWriter) -> None:
        if writer.error is not None:
            self.notify(f"Saving {writer.path} failed: {writer.error.strerror or writer.error};"
                        " the stream is still in its tab.")
        else:
            self.notify(f"Saved {writer.path} ({writer.count:,} records, stream ended).")

    def recording(self, controller: StreamController) -> Recording | None:
        """What a tab recorded so far, to read off the GUI thread (``capture_jobs``), or
        None (and a message)."""
        recorder = self.recorders.get(controller)
        if recorder is None:
            self.notify("This tab was not recorded.")
            return None
        try:
            return recorder.snapshot()
        except (CaptureError, OSError) as exc:
            self.notify(f"Cannot read this tab's recording: {exc}")
            return None

    def records(self, controller: StreamController) -> list[AnyRecord] | None:
        """The recorded records of a tab (an incomplete End for a running one), or None;
        read here, on the GUI thread (scripts, tests, small tabs)."""
        recording = self.recording(controller)
        if recording is None:
            return None
        try:
            return capture_jobs.complete(recording)
        except (CaptureError, OSError) as exc:
            self.notify(f"Cannot read this tab's recording: {exc}")
            return None

    # -- save / open -------------------------------------------------------------------------
    def save_dialog(self) -> None:
        controller = self._current()
        if controller is not None:
            self._ask("Save capture", CAPTURE_FILTER,
                      lambda path: self.spawn(self.save_capture_async(path, controller)),
                      save=True,
                      suffix=SUFFIX[1:], name=slug(controller.spec.url) + SUFFIX)

    def save_capture(self, path: str, controller: StreamController | None = None) -> bool:
        """Save a tab (the current one by default); False (and a message) when it fails."""
        controller = controller or self._current()
        recorder = self._recorder(controller)
        if controller is None or recorder is None:
            return False
        try:
            writer = recorder.save(path, save_secrets=self.secrets_action.isChecked(),
                                   started=controller.start_wall, running=controller.running)
        except (OSError, CaptureError) as exc:
            return self._save_failed(path, exc)
        return self._saved(path, writer, recorder)

    async def save_capture_async(self, path: str,
                                 controller: StreamController | None = None) -> bool:
        """``save_capture`` for the window's Save: a finished tab is written by a worker
        thread (a million events take seconds of JSON and base64: the window must not
        freeze meanwhile); a running one, which keeps appending, as ``save_capture``."""
        controller = controller or self._current()
        recorder = self._recorder(controller)
        if controller is None or recorder is None:
            return False
        if controller.running:
            return self.save_capture(path, controller)
        self.notify(f"Saving {path}…")
        try:
            # Taken here, on the GUI thread: a Resume or closing the tab meanwhile cannot
            # change what the worker reads.
            recording = recorder.snapshot()
            writer = await off_loop(
                recorder.save, path, save_secrets=self.secrets_action.isChecked(),
                started=controller.start_wall, running=False, recording=recording)
        except (OSError, CaptureError) as exc:
            return self._save_failed(path, exc)
        return self._saved(path, writer, recorder)

    def _recorder(self, controller: StreamController | None) -> Recorder | None:
        if controller is None:
            return None
        recorder = self.recorders.get(controller)
        if recorder is None:
            self.notify("This tab was not recorded: nothing to save.")
        return recorder

    def _save_failed(self, path: str, exc: OSError | CaptureError) -> bool:
        reason = getattr(exc, "strerror", None) or str(exc)
        self.notify(f"Could not save {path}: {reason}. The stream stays in its tab;"
                    " choose another place.")
        return False

    def _saved(self, path: str, writer: CaptureWriter, recorder: Recorder) -> bool:
        if recorder.capped:
            self.notify(f"Saved {path} ({writer.count:,} records): the beginning of the"
                        " stream, where its recording was capped.")
        elif writer in recorder.followers:
            self.notify(f"Saving to {path}: {writer.count:,} records so far, more as they"
                        " arrive.")
        else:
            self.notify(f"Saved {path} ({writer.count:,} records).")
        return True

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` on the loop, referenced until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def open_dialog(self) -> None:
        self._ask("Open capture", CAPTURE_FILTER,
                  lambda path: self.spawn(self.open_capture_async(path)))

    def open_capture(self, path: str) -> StreamController | None:
        """Open a capture file in a new tab, showing what the live stream showed."""
        try:
            capture = read_capture(path)
        except (CaptureError, OSError) as exc:
            self._open_failed(path, exc)
            return None
        return self._show_capture(path, capture)

    async def open_capture_async(self, path: str) -> StreamController | None:
        """``open_capture`` for the window's Open and drops: the file is parsed by a worker
        thread (seconds for a million events), the window stays live meanwhile."""
        self.notify(f"Opening {Path(path).name}…")
        try:
            capture, records = await off_loop(capture_jobs.read_for_replay, path)
        except (CaptureError, OSError) as exc:
            self._open_failed(path, exc)
            return None
        return self._show_capture(path, capture, records)

    def _open_failed(self, path: str, exc: CaptureError | OSError) -> None:
        reason = exc.strerror or exc if isinstance(exc, OSError) else exc
        self.notify(f"Cannot open {Path(path).name}: {reason}")
        return None

    def _show_capture(self, path: str, capture: Capture,
                      records: list[AnyRecord] | None = None) -> StreamController:
        """A tab replaying ``capture`` (``records``: its ``replay_records``, made by a
        worker for a big one)."""
        name = Path(path).name
        spec = spec_of(capture)
        host = self.host
        controller = StreamController(host.clients, spec, self.window,
                                      source=replay_source(records or capture))
        host.add_stream_tab(controller)
        if capture.started is not None:
            controller.start_wall = capture.started
            controller.events.start_wall = controller.chunks.start_wall = capture.started
        if capture.warnings:
            self.notify(f"Opened {name} with warnings: " + "; ".join(capture.warnings[:3]))
        else:
            self.notify(f"Opened {name}: {len(capture.records):,} records.")
        return controller

    # -- exports -----------------------------------------------------------------------------
    def export_dialog(self, kind: str) -> None:
        controller = self._current()
        if controller is not None:
            _text, filters, suffix = EXPORTS[kind]
            self._ask("Export", filters,
                      lambda path: self.spawn(self.export_async(kind, path, controller)),
                      save=True, suffix=suffix, name=f"{slug(controller.spec.url)}.{suffix}")

    def export_bytes(self, kind: str, controller: StreamController) -> bytes | None:
        records = self.records(controller)
        if records is None:
            return None
        return capture_jobs.export_data(kind, records, secrets=self.secrets_action.isChecked(),
                                        started=controller.start_wall,
                                        request_body=controller.spec.body)

    def export(self, kind: str, path: str, controller: StreamController | None = None) -> bool:
        controller = controller or self._current()
        if controller is None:
            return False
        data = self.export_bytes(kind, controller)
        if data is None:
            return False
        try:
            with atomic_write(path) as out:  # a failure leaves the previous file as it was
                out.write(data)
        except OSError as exc:
            self.notify(f"Could not export to {path}: {exc.strerror or exc}")
            return False
        self.notify(f"Exported {len(data):,} bytes to {path}.")
        return True

    async def export_async(self, kind: str, path: str,
                           controller: StreamController | None = None) -> bool:
        """``export`` for the window's Export menu: the records are read, converted and
        written by a worker (a million events: seconds of JSON), the window stays live."""
        controller = controller or self._current()
        recording = self.recording(controller) if controller is not None else None
        if controller is None or recording is None:
            return False
        self.notify(f"Exporting to {path}…")
        try:
            size = await off_loop(capture_jobs.export_file, kind, recording, path,
                                  secrets=self.secrets_action.isChecked(),
                                  started=controller.start_wall,
                                  request_body=controller.spec.body)
        except CaptureError as exc:
            self.notify(f"Cannot read this tab's recording: {exc}")
            return False
        except OSError as exc:
            self.notify(f"Could not export to {path}: {exc.strerror or exc}")
            return False
        self.notify(f"Exported {size:,} bytes to {path}.")
        return True

    # -- copy as -----------------------------------------------------------------------------
    def copy_as(self, kind: str, *, secrets: bool = True) -> str | None:
        """Put the current tab's request on the clipboard as a curl command or httpx code:
        the request as sent (the headers the app added, such as ``Accept:
        text/event-stream``, included), or as edited when none was sent (``secrets=False``:
        masked as in saved files, for a bug report)."""
        controller = self._current()
        if controller is None:
            return None
        spec = controller.spec
        sent = controller.request
        method, url, headers = ((sent.method, sent.url, sent.headers) if sent is not None
                                else (spec.method, spec.url, spec.headers))
        if kind == "curl":
            text = curl_command(method, url, headers, spec.body, secrets=secrets)
        else:
            response = controller.response
            mode = response.mode if response is not None else spec.mode.value
            text = httpx_code(method, url, headers, spec.body, mode, secrets=secrets)
        QGuiApplication.clipboard().setText(text)
        what = "curl" if kind == "curl" else "Python httpx"
        self.notify(f"Copied as {what}{'' if secrets else ' without secrets'}.", 4000)
        return text

    # -- replay ------------------------------------------------------------------------------
    @asyncSlot()
    async def _replay_clicked(self) -> None:
        controller = self._current()
        if controller is not None:
            await self.replay(controller)

    async def replay(self, controller: StreamController) -> str | None:
        """Serve the tab's stream at ``/replay/NAME`` on the demo server; its URL (or None).

        The replay is then listed in the picker and put in the editor, ready to send.
        """
        w = self.host
        if w.server_url is None:
            self.notify("Replay needs the demo server (started without --no-server).")
            return None
        records = self.records(controller)
        if records is None:
            return None
        buf = io.BytesIO()
        writer = CaptureWriter(buf, save_secrets=True, request_body=controller.spec.body,
                               mode=controller.spec.mode.value, started=controller.start_wall)
        writer.extend(records)
        writer.close()
        self._replays += 1
        name = f"{slug(controller.spec.url)}-{self._replays}"
        url = f"{w.server_url}/replay/{name}"
        client = w.clients.for_spec(RequestSpec(url))
        try:
            reply = await client.put(url, content=buf.getvalue())
        except httpx.HTTPError as exc:
            self.notify(f"Replay failed: {exc}")
            return None
        if reply.status_code != 200:
            self.notify(f"Replay refused ({reply.status_code}): {reply.text[:200]}")
            return None
        await w.picker.load(w.server_url + "/openapi.json")
        item = w.picker.find_endpoint("GET", f"/replay/{name}")
        if item is not None:
            w.picker.choose(item)
        self.notify(f"Replaying at {url}: press Ctrl+Enter to play it (speed=N, cut_at,"
                    " split, stall for faults).")
        return url

    # -- compare -----------------------------------------------------------------------------
    def compare_previous(self) -> asyncio.Task[CompareView | None] | None:
        """Compare the current tab with the tab on its left (the comparison is made by a
        worker: the task gives the Compare window, or None and a message)."""
        tabs = self.host.tabs
        index = tabs.currentIndex()
        current = self._current()
        previous = tabs.widget(index - 1) if index > 0 else None
        other = getattr(previous, "controller", None)
        if current is None or not isinstance(other, StreamController):
            self.notify("Compare needs two stream tabs: the current one and one on its left.")
            return None
        return self.compare_controllers(other, current)

    def compare_controllers(self, a: StreamController, b: StreamController
                            ) -> asyncio.Task[CompareView | None] | None:
        ra, rb = self.recording(a), self.recording(b)
        if ra is None or rb is None:
            return None
        return self.spawn(self.compare(ra, rb, f"{a.spec.method} {a.spec.url}",
                                       f"{b.spec.method} {b.spec.url}"))

    def compare_file_dialog(self) -> None:
        if self._current() is not None:
            self._ask("Compare with a capture", CAPTURE_FILTER, self.compare_with_file)

    def compare_with_file(self, path: str) -> asyncio.Task[CompareView | None] | None:
        controller = self._current()
        recording = self.recording(controller) if controller is not None else None
        if controller is None or recording is None:
            return None
        return self.spawn(self.compare(path, recording, Path(path).name,
                                       f"{controller.spec.method} {controller.spec.url}"))

    async def compare(self, a: capture_jobs.Source, b: capture_jobs.Source, a_name: str,
                      b_name: str) -> CompareView | None:
        """A Compare window of two streams (a tab's recording or a capture file's path
        each), read and compared by a worker (seconds for a million events each)."""
        from gui.views.compare_view import CompareView

        self.notify("Comparing…")
        try:
            data = await off_loop(capture_jobs.compare_records, a, b)
        except (CaptureError, OSError) as exc:
            reason = exc.strerror or exc if isinstance(exc, OSError) else exc
            self.notify(f"Cannot compare {a_name} with {b_name}: {reason}")
            return None
        view = CompareView(data, a_name, b_name, self.window)  # the window keeps it
        view.show()
        self.notify(f"Compared: {len(data.aligned):,} events side by side, "
                    f"{data.differing:,} differ.")
        return view
