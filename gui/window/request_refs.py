"""Request references in the window: ``{{login.response.body.$.access_token}}`` and
``{{login.response.headers.X}}`` read the latest response of request ``login`` of the same
file, as ``capture --from`` reads them (``stream_core.requests.references``).

Why the window keeps its own exchanges: a reference reads *this session's* latest response of
the request it names. ``Exchanges`` keeps one per named request of a collection that the
window sent (status, headers and body as the engine recorded them, by file: two files may
both have a ``login``), filled when such a send ends without an error, whether the user sent
it or ``gui.window.send_path`` ran it first for another request. ``References`` resolves the
editor's ``{{...}}`` with them and names the file, the line and the request in any error
about one; ``first_missing`` finds, before a send, a reference whose request has not run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from stream_core.requests.auth import apply_auth
from stream_core.requests.build import ExchangeRecorder
from stream_core.requests.environments import Variables
from stream_core.requests.httpfile import HttpFile, HttpFileError, HttpRequest
from stream_core.requests.references import BadReference, Exchange, NeedsResponse

if TYPE_CHECKING:
    from gui.stream.controller import Source
    from gui.window.collections_panel import CollectionsPanel
    from gui.window.request_editor import RequestEditor
    from stream_core.records import AnyRecord, End, Observer

__all__ = ["Exchanges", "Keeper", "References", "first_missing"]

log = logging.getLogger(__name__)


class Exchanges:
    """The latest exchange of each named request sent in this window session, by file."""

    def __init__(self) -> None:
        self._files: dict[Path, dict[str, Exchange]] = {}

    def of(self, path: Path) -> dict[str, Exchange]:
        """Those of the file ``path`` by request name (the dict itself: callers add to it)."""
        return self._files.setdefault(path, {})

    def keeper(self, path: Path, name: str, request_body: bytes | None) -> Keeper:
        return Keeper(self.of(path), name, request_body)


class Keeper:
    """Keeps a run's exchange as request ``name``'s latest once the run ends without an error
    (a failed or stopped run leaves the previous one). ``wrap`` goes around a controller's
    record source (``StreamController.wrap_source``): it only looks at the records."""

    def __init__(self, store: dict[str, Exchange], name: str,
                 request_body: bytes | None) -> None:
        self.store = store
        self.name = name
        self.recorder = ExchangeRecorder(request_body)

    def wrap(self, source: Source) -> Source:
        recorder = self.recorder

        async def keeping(observer: Observer) -> End:
            def observe(record: AnyRecord) -> None:
                observer(record)
                recorder(record)

            end = await source(observe)
            try:
                self.store[self.name] = recorder.result()
            except BadReference as exc:
                log.info("response of %r not kept for references: %s", self.name, exc)
            return end

        return keeping


class _Reading(Mapping[str, Exchange]):
    """A file's exchanges that note which ones a resolution read (``References.reading``)."""

    def __init__(self, store: dict[str, Exchange], read: set[str]) -> None:
        self.store = store
        self.read = read

    def __getitem__(self, name: str) -> Exchange:
        exchange = self.store[name]
        self.read.add(name)
        return exchange

    def __iter__(self) -> Iterator[str]:
        return iter(self.store)

    def __len__(self) -> int:
        return len(self.store)


class References:
    """What ``{{...}}`` means for the editor's request, request references included: the
    Collections panel's variables (the loaded file, or the only one; the environment) with
    this session's exchanges of that file."""

    def __init__(self, panel: CollectionsPanel) -> None:
        self.panel = panel
        self.exchanges = Exchanges()
        #: While set, the names of the requests whose exchanges a resolution read go in it
        #: (the send path says in the tab which responses the request read).
        self.reading: set[str] | None = None

    def path(self) -> Path | None:
        """The file whose requests the editor's references name (as ``panel.variables``)."""
        panel = self.panel
        if panel.loaded is not None:
            return panel.loaded.path
        return next(iter(panel.files)) if len(panel.files) == 1 else None

    def doc(self) -> HttpFile | None:
        path = self.path()
        return self.panel.files.get(path) if path is not None else None

    def variables(self) -> Variables:
        variables = self.panel.variables()
        path = self.path()
        if path is not None:
            store = self.exchanges.of(path)
            variables.exchanges = store if self.reading is None else _Reading(store,
                                                                               self.reading)
        return variables

    def loaded_request(self) -> HttpRequest | None:
        """The collection's request the editor shows (loaded and not replaced since)."""
        loaded = self.panel.loaded
        doc = self.panel.files.get(loaded.path) if loaded is not None else None
        if loaded is None or not loaded.showing or doc is None:
            return None
        try:
            return doc.find(loaded.name)
        except HttpFileError:  # renamed or removed on disk since it was loaded
            return None

    def shown(self, path: Path) -> str:
        """``path`` as messages show it: relative to the opened folder when inside it."""
        root = self.panel.root
        return str(path.relative_to(root)) if root is not None and path.is_relative_to(
            root) else str(path)

    def where(self) -> str:
        """``api.http:12: request 'me'``: the editor's request, for messages."""
        path, request = self.path(), self.loaded_request()
        place = self.shown(path) if path is not None else "the collection"
        if request is None:
            return f"{place}: the editor's request"
        return f"{place}:{request.line}: request {request.label}"

    def resolve(self, text: str, where: str) -> str:
        """``text`` with its ``{{...}}`` resolved; a ValueError naming the file, the line
        and the request for a reference that cannot be read."""
        try:
            return self.variables().resolve(text, where)
        except BadReference as exc:
            raise ValueError(f"{self.where()}: {exc}") from None


def first_missing(editor: RequestEditor, variables: Variables) -> NeedsResponse | None:
    """The first request reference of the editor's request (URL, headers, body, Auth tab)
    whose request has not run in this session (``variables``: ``References.variables()``);
    None when every one can be read. Other problems are left for the send to report."""
    def probe(text: str, where: str) -> str:
        try:
            return variables.resolve(text, where)
        except NeedsResponse:
            raise
        except ValueError:
            return text

    try:
        probe(editor.url.text(), "the URL")
        for name, value in editor.headers.headers() + editor.headers.automatic_headers():
            probe(value, f"header {name!r}")
        probe(editor.body.toPlainText(), "the body")
        apply_auth(editor.auth.auth(), "http://host/", [], probe)
    except NeedsResponse as need:
        return need
    except ValueError:  # the Auth tab's own problem: the send says it
        pass
    return None
