"""The window's one way to send the editor's request: Send (Ctrl+Enter) and *Send and save
as…* (a download to a file the user chose) alike.

Why one path: what must happen before a request leaves happens for both (issue 25.19: a body
read from a file of a folder opened in this session is confirmed first; 24.2: a request
reference whose request has not run in this session runs that request first; the
expectations are parsed), and so does what follows a send (History, the exchange kept for
later references, the expectations' strip).

A request that reads another one's response (``{{login.response.body.$.access_token}}``)
and finds none in this session runs ``login`` first, as the ``.http`` file has it, with the
window's shared clients, in a tab of its own that says what it was sent for; once it has
ended well the editor's request is sent (if the editor still shows what was sent for). A
failure is said in the editor's message line, naming the file, the line and the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gui.services.settings import HistoryEntry
from gui.views.strips import NoteStrip
from stream_core.net.spec import Mode, RequestSpec

if TYPE_CHECKING:  # the window imports this module at once; the engine's parts come later
    from PySide6.QtWidgets import QStatusBar

    from gui.services.settings import Settings
    from gui.stream.controller import Source, StreamController
    from gui.views.stream_tab import StreamTab
    from gui.window.collections_hookup import Collections
    from gui.window.endpoint_picker import EndpointPicker
    from gui.window.request_editor import RequestEditor
    from gui.window.request_refs import Keeper
    from stream_core.expect.syntax import Expectation
    from stream_core.requests.environments import Variables
    from stream_core.requests.httpfile import HttpFile, HttpRequest
    from stream_core.requests.references import Exchange, NeedsResponse

__all__ = ["SendHost", "SendPath"]

log = logging.getLogger(__name__)


class SendHost(Protocol):
    """What sending needs of the window (the main window has all of it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def server_url(self) -> str | None: ...
    @property
    def editor(self) -> RequestEditor: ...
    @property
    def picker(self) -> EndpointPicker: ...
    @property
    def collections(self) -> Collections: ...

    def statusBar(self) -> QStatusBar: ...

    def remember(self, entry: HistoryEntry) -> HistoryEntry: ...

    def start(self, spec: RequestSpec, expectations: list[Expectation] | None = None, *,
              wrap: Callable[[Source], Source] | None = None) -> StreamController: ...

    def current_tab(self) -> StreamTab | None: ...


class SendPath:
    """Sends the editor's request; runs first the requests its references need."""

    def __init__(self, host: SendHost) -> None:
        self.host = host
        self._first: dict[tuple[Path, str], asyncio.Task[None]] = {}  # running first

    def send(self, output: str | None = None) -> StreamController | None:
        """Send the editor's request in a new tab (as a download to ``output`` when given);
        None when it is not sent now: invalid (the editor says why), a body file to confirm
        or a request to run first (sent once that is done)."""
        from gui.window.request_refs import first_missing

        host, editor = self.host, self.host.editor
        collections = host.collections
        if not collections.allow_send(lambda: self.send(output)):
            return None  # a body file to confirm first: it asks, and sends on agreement
        refs = collections.references
        need = first_missing(editor, refs.variables())
        if need is not None:
            self._run_first(need, lambda: self.send(output))
            return None
        read: set[str] = set()
        refs.reading = read
        try:
            outgoing = editor.outgoing()
        finally:
            refs.reading = None
        if outgoing is None:
            return None
        expectations = self._expectations()
        if expectations is None:
            return None
        spec = outgoing.spec
        if output is not None:
            spec.mode, spec.output = Mode.DOWNLOAD, output
        path, request = refs.path(), refs.loaded_request()
        keeper = refs.exchanges.keeper(path, request.name, spec.body) \
            if path is not None and request is not None else None
        controller = self._start(spec, outgoing.history, expectations, keeper)
        if read:
            names = ", ".join(repr(n) for n in sorted(read))
            self._note(controller, f"Request references read this session's latest response"
                                   f" of {names}")
        return controller

    def start_spec(self, spec: RequestSpec, history: HistoryEntry) -> StreamController:
        """Start ``spec`` as it is (no editor, no references), kept in History with its
        response's status."""
        return self._start(spec, history, None, None)

    def _start(self, spec: RequestSpec, history: HistoryEntry,
               expectations: list[Expectation] | None, keeper: Keeper | None) -> StreamController:
        entry = self.host.remember(history)
        controller = self.host.start(spec, expectations,
                                     wrap=keeper.wrap if keeper is not None else None)
        controller.responseReceived.connect(lambda: self._response_status(entry, controller))
        return controller

    def _note(self, controller: StreamController, text: str) -> None:
        tab = self.host.current_tab()  # ``start`` makes the new tab current
        if tab is not None and tab.controller is controller:
            tab.add_strip(NoteStrip(text, tab))

    def _response_status(self, entry: HistoryEntry, controller: StreamController) -> None:
        if controller.response is not None and entry.status is None:
            entry.status = controller.response.status
            self.host.picker.set_history(
                self.host.settings.set_history_status(entry, entry.status),
                self.host.server_url)

    def _expectations(self) -> list[Expectation] | None:
        """The editor's expectations, parsed (``matches FILE`` beside the loaded collection
        file); None after showing the first mistake."""
        from stream_core.expect.syntax import ExpectationError

        editor = self.host.editor
        loaded = self.host.collections.panel.loaded
        try:
            return editor.expect.expectations(loaded.path.parent if loaded else None)
        except ExpectationError as exc:
            editor.tabs.setCurrentWidget(editor.expect)
            editor.show_error(str(exc))
            return None

    # -- requests run first ----------------------------------------------------------------
    def _snapshot(self) -> tuple[Any, ...]:
        """What the editor would send (to check it is still that once the first one ran)."""
        editor = self.host.editor
        return (editor.history_entry(), editor.expect.lines(), editor.auth.auth(),
                self.host.collections.references.loaded_request())

    def _run_first(self, need: NeedsResponse, then: Callable[[], object]) -> None:
        refs = self.host.collections.references
        path, doc = refs.path(), refs.doc()
        if path is None or doc is None:  # (a reference names a request of the file)
            return
        key = (path, need.name)
        if key in self._first:
            self.host.statusBar().showMessage(f"Request {need.name!r} is still running first;"
                                              " the request is sent when it ends", 8000)
            return
        task = asyncio.ensure_future(self._first_then(path, doc, need, refs.where(),
                                                      self._snapshot(), then))
        self._first[key] = task
        task.add_done_callback(_log_failure)

    async def _first_then(self, path: Path, doc: HttpFile, need: NeedsResponse, where: str,
                          snapshot: tuple[Any, ...], then: Callable[[], object]) -> None:
        from stream_core.requests.build import SavedRequestError, spec_with_references
        from stream_core.requests.environments import Variables
        from stream_core.requests.references import BadReference

        host = self.host
        refs = host.collections.references
        exchanges = refs.exchanges.of(path)
        panel = host.collections.panel
        source = refs.shown(path)

        def variables(request: HttpRequest) -> Variables:
            found = Variables.for_file(doc, panel.environments, panel.environment or None,
                                       panel.demo_url, request)
            found.exchanges = exchanges
            return found

        async def fetch(spec: RequestSpec, request: HttpRequest) -> Exchange:
            return await self._fetch(spec, request, path, variables(request), where)

        host.statusBar().showMessage(f"Running request {need.name!r} first: {where} reads"
                                     " its response", 8000)
        try:
            first = doc.find(need.name)
            spec = await spec_with_references(doc, first, variables, path.parent, fetch,
                                              exchanges, source)
            exchanges[need.name] = await fetch(spec, first)
        except SavedRequestError as exc:  # it names the request it is about
            text = str(exc)
            host.editor.show_error(text if text.startswith(where) else
                                   f"{text} (run first for {where})")
            return
        except (BadReference, OSError, ValueError) as exc:
            host.editor.show_error(f"{where}: request {need.name!r}, run first for its"
                                   f" response, failed: {exc}")
            return
        finally:
            self._first.pop((path, need.name), None)  # (before a Send can come again)
        if self._snapshot() != snapshot:
            host.statusBar().showMessage(f"Request {need.name!r} ran first; the editor's"
                                         " request changed meanwhile: not sent (press Send)",
                                         10000)
            return
        then()

    async def _fetch(self, spec: RequestSpec, request: HttpRequest, path: Path,
                     variables: Variables, where: str) -> Exchange:
        """Run ``request`` of the file ``path`` (built as ``spec``) in a tab of its own,
        once its body files are confirmed; its exchange (BadReference when it failed)."""
        from stream_core.capture.masking import mask_headers, mask_url
        from stream_core.requests.build import body_files
        from stream_core.requests.references import BadReference

        host = self.host
        files = [p.resolve() for p in body_files(request, variables, path.parent)]
        if not await host.collections.body_files.confirm(files):
            raise BadReference("its body file was not confirmed")
        host.editor.network.values().apply(spec)  # the window's network settings
        keeper = host.collections.references.exchanges.keeper(path, request.name, spec.body)
        body = spec.body.decode("utf-8", "replace") if spec.body else ""
        history = HistoryEntry(spec.method, mask_url(spec.url), mask_headers(spec.headers),
                               body, spec.mode.value)
        controller = self._start(spec, history, None, keeper)
        self._note(controller, f"Sent first: {where} reads a response of this request"
                               f" ({request.label}, line {request.line})")
        await controller.wait()
        return keeper.recorder.result()

    def cancel(self) -> None:
        """The window closes: requests still running first are given up."""
        for task in list(self._first.values()):
            task.cancel()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("running a request first failed", exc_info=task.exception())
