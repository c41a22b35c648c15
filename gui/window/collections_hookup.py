"""Collections in the window: the panel's tab and environment tool bar, ``{{variables}}`` at
send time and on hover, a pasted curl command, and History that records what was sent.

Kept apart from ``MainWindow`` and ``RequestEditor`` (others change those): ``install`` hooks
everything in with signals, event filters and the editor's ``resolve`` callable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QHelpEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QInputDialog,
    QScrollArea,
    QToolTip,
    QWidget,
)

from gui.services.settings import HistoryEntry, RequestOptions
from gui.window.auth_panel import AuthPanel
from gui.window.collections_edits import CollectionEdits
from gui.window.collections_panel import CollectionsPanel, atomic_write
from gui.window.collections_state import BodyFileGate, EnvironmentRecheck, remember, restore
from gui.window.network_panel import NetworkOptions, NetworkPanel
from gui.window.request_editor import EndpointFill, RequestEditor
from stream_core.capture.masking import mask_headers, mask_url
from stream_core.net.spec import Mode, RequestSpec
from stream_core.requests.auth import Auth, apply_auth, encode_basic
from stream_core.requests.curl_import import CurlError, looks_like_curl, parse_curl
from stream_core.requests.environments import PATTERN, Variables
from stream_core.requests.postman import CollectionImportError, import_file

if TYPE_CHECKING:
    from gui.window.main_window import MainWindow

log = logging.getLogger(__name__)


#: A collection of requests against the demo server: File > Open sample collection, and the
#: ``collections`` demo. Written to a temporary folder each time (the user may save it away).
SAMPLE: dict[str, str] = {
    "demo.http": """\
# Requests against the embedded demo server, in the JetBrains HTTP Client / VS Code REST
# Client format: this file opens in either. {{demo}} is the demo server's address.
@interval = 0.05

### events
GET {{demo}}/events?count=5&interval={{interval}}
Accept: text/event-stream

### chat
POST {{demo}}/v1/chat/completions?delay=0.02
Content-Type: application/json
Authorization: Bearer {{token}}

{"model": "{{model}}", "stream": true, "messages": [{"role": "user", "content": "Say hello"}]}

### ndjson
GET {{demo}}/ndjson?count=10&interval=0.02

### download
GET {{demo}}/download?size=1048576
""",
    "http-client.env.json": json.dumps({"local": {"model": "demo-model"},
                                        "staging": {"model": "staging-model"}}, indent=2),
    "http-client.private.env.json": json.dumps({"local": {"token": "sk-local-demo"},
                                                "staging": {"token": "sk-staging-demo"}},
                                               indent=2),
}


def hover_text(text: str, position: int | None, variables: Variables) -> str | None:
    """The tooltip for ``text``: the variable at ``position`` (a character index), or every
    variable in ``text`` when ``position`` is None or on none of them; None without any."""
    found = list(PATTERN.finditer(text))
    if not found:
        return None
    if position is not None:
        for match in found:
            if match.start() <= position <= match.end():
                return variables.describe(match.group(1))
    names = dict.fromkeys(m.group(1) for m in found)
    return "\n".join(variables.describe(n) for n in names)


def history_as_sent(entry: HistoryEntry, spec: RequestSpec) -> HistoryEntry:
    """What History keeps of a request that used ``{{variables}}``: the request as sent, its
    secrets (headers, query, user info) masked, so no environment secret lands in the
    settings file in clear. A request without variables is kept as typed."""
    typed = [entry.url, entry.body, *(v for h in entry.headers for v in h)]
    if not any("{{" in t for t in typed):
        return entry
    body = spec.body.decode("utf-8", "replace") if spec.body else ""
    return HistoryEntry(spec.method, mask_url(spec.url), mask_headers(spec.headers), body,
                        entry.mode)


def import_curl(editor: RequestEditor, command: str) -> str:
    """Fill the editor from a curl command; returns a line for the status bar. Raises
    CurlError (naming the option) when the command cannot be carried over."""
    imported = parse_curl(command)
    spec = imported.spec
    body = spec.body.decode("utf-8", "replace") if spec.body else ""
    editor.fill(EndpointFill(spec.method, spec.url, body, Mode.AUTO, list(spec.headers)))
    for auth in editor.findChildren(AuthPanel):  # the command carries its own credentials
        auth.set_auth(Auth())
    opts: RequestOptions = editor.options()
    opts.verify_tls = spec.verify is not False
    if spec.timeouts.connect is not None:
        opts.connect_timeout = spec.timeouts.connect
    editor.set_options(opts)
    note = f"Imported curl: {spec.method} {spec.url}"
    if imported.ignored:
        note += f" (ignored, they only change curl's output: {' '.join(imported.ignored)})"
    return note


class _Hover(QObject):
    """Shows what ``{{name}}`` resolves to when the pointer rests on a field that has one."""

    def __init__(self, panel: CollectionsPanel, editor: RequestEditor) -> None:
        super().__init__(editor)
        self.panel = panel
        self.editor = editor
        editor.url.installEventFilter(self)
        editor.body.viewport().installEventFilter(self)
        editor.headers.table.viewport().installEventFilter(self)

    def tip_for(self, watched: QObject, pos: QPoint) -> str | None:
        variables = self.panel.variables()
        if watched is self.editor.url:
            return hover_text(self.editor.url.text(), self.editor.url.cursorPositionAt(pos),
                              variables)
        if watched is self.editor.body.viewport():
            cursor = self.editor.body.cursorForPosition(pos)
            block = cursor.block()
            return hover_text(block.text(), cursor.positionInBlock(), variables)
        index = self.editor.headers.table.indexAt(pos)
        item = self.editor.headers.table.item(index.row(), index.column())
        return hover_text(item.text(), None, variables) if item is not None else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tip_for(watched, event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, watched if isinstance(
                    watched, QWidget) else None)
                return True
        return False


class _CurlPaste(QObject):
    """A curl command pasted (or typed) into the URL field fills the whole editor."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        window.editor.url.installEventFilter(self)
        window.editor.url.textChanged.connect(self._text_changed)

    def take(self, text: str) -> bool:
        if not looks_like_curl(text):
            return False
        try:
            note = import_curl(self.window.editor, text)
        except CurlError as exc:
            self.window.editor.show_error(f"curl command not imported: {exc}")
            return True
        self.window.statusBar().showMessage(note, 8000)
        return True

    def _text_changed(self, text: str) -> None:
        if looks_like_curl(text):
            self.take(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Paste)):
            # QLineEdit would keep only the first line of a multi-line command
            return self.take(QGuiApplication.clipboard().text())
        return False


class Collections:
    """The pieces ``install`` adds to a window, kept for tests and later wiring."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.panel = CollectionsPanel(window.server_url, window)
        window.picker.tabs.addTab(self.panel, "Collections")
        # In the menu bar's corner, not a tool bar row: the window must fit 640 px in height.
        window.menuBar().setCornerWidget(self.panel.env_toolbar, Qt.Corner.TopRightCorner)
        self.panel.env_toolbar.show()  # (built once the window shows: a new child is hidden)
        window.editor.resolve = self.panel.resolve
        self.panel.requestChosen.connect(window.editor.fill)
        self.panel.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
        self.panel.save_action.triggered.connect(lambda: self.save())
        self.panel.save_as_action.triggered.connect(lambda: self.save(as_new=True))
        self.edits = CollectionEdits(self.panel, window)
        window.editor.filled.connect(self.panel.editor_filled)
        self.auth = AuthPanel(window.editor)
        self.network = NetworkPanel(window.editor)
        self.network.set_values(NetworkOptions.from_json(window.settings.network()))
        for page, title in ((self.auth, "Auth"), (self.network, "Network")):
            scroll = QScrollArea(window.editor)  # so the tabs do not make the editor taller
            scroll.setWidget(page)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            window.editor.tabs.addTab(scroll, title)
        self.panel.requestChosen.connect(lambda _fill: self.auth.set_auth(Auth()))
        self.hover = _Hover(self.panel, window.editor)
        self.paste = _CurlPaste(window)
        menu = window.file_menu
        first = menu.actions()[0] if menu.actions() else menu.addSeparator()
        self.open_action = QAction("Open &collection…", window)
        self.open_action.triggered.connect(self.panel._open_folder_dialog)
        self.import_action = QAction("Import c&url…", window)
        self.import_action.triggered.connect(self._import_dialog)
        self.save_action = QAction("Save request to co&llection", window)
        self.save_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_action.triggered.connect(lambda: self.save())
        self.sample_action = QAction("Open sa&mple collection", window)
        self.sample_action.triggered.connect(lambda: self.open_sample())
        self._sample: tuple[Path, weakref.finalize[..., object]] | None = None  # folder, removal
        window.closed.connect(self.cleanup)
        self.import_collection_action = QAction("Import &HAR or Postman collection…", window)
        self.import_collection_action.triggered.connect(self._import_collection_dialog)
        menu.insertActions(first, [self.open_action, self.sample_action, self.import_action,
                                   self.import_collection_action, self.save_action])
        menu.insertSeparator(first)
        self.recheck = EnvironmentRecheck(self.panel, window.editor, lambda url, headers: (
            apply_auth(self.auth.auth(), url, headers, self.panel.resolve)))
        self.body_files = BodyFileGate(self.panel, window.editor, self.edits, window.send)
        remember(self.panel, window.settings, self._is_sample)
        restore(self.panel, window.settings)

    def _is_sample(self, path: Path) -> bool:
        return self._sample is not None and path.is_relative_to(self._sample[0])

    def with_auth(self, spec: RequestSpec) -> bool:
        """Add the Auth tab's credentials (variables resolved; a ``Basic user password``
        header encoded) and the Network tab's options to ``spec``; False after showing why it
        cannot be sent (or, for a body read from a file, asks first)."""
        if not self.body_files.allow():
            return False
        try:
            url, headers = apply_auth(self.auth.auth(), spec.url, spec.headers,
                                      self.panel.resolve)
            self.network.values().apply(spec)
        except ValueError as exc:
            self.window.editor.show_error(str(exc))
            return False
        spec.url, spec.headers = url, encode_basic(headers)
        return True

    def save(self, name: str | None = None, *, as_new: bool = False) -> asyncio.Task[bool]:
        """Save the editor's request (``collections_edits``): over the request it was loaded
        from while it shows it, else as a new request (asking a name when not given)."""
        return self.edits.start_save(self._save(name, as_new))

    async def _save(self, name: str | None, as_new: bool) -> bool:
        entry = self.window.editor.history_entry()
        try:  # the Auth tab's credentials go in as the header / query parameter they are
            entry.url, entry.headers = apply_auth(self.auth.auth(), entry.url, entry.headers)
        except ValueError as exc:
            self.window.editor.show_error(str(exc))
            return False
        path = self.panel.loaded.path if self.panel.loaded else (
            next(iter(self.panel.files)) if self.panel.files else None)
        return await self.edits.save(entry, name=name, as_new=as_new,
                                     path=path if name is not None else None)

    def open_sample(self, request: str | None = None, environment: str = "local") -> bool:
        """Open ``SAMPLE`` (written to a temporary folder), select ``environment`` and load
        ``request`` into the editor; the Collections tab comes to the front."""
        if self._sample is None:  # removed on close, or at exit at the latest
            temp = tempfile.mkdtemp(prefix="stream-inspector-sample-")
            self._sample = (Path(temp), weakref.finalize(self, shutil.rmtree, temp,
                                                         ignore_errors=True))
        folder = self._sample[0] / "sample"
        folder.mkdir(exist_ok=True)
        for name, text in SAMPLE.items():
            (folder / name).write_text(text, encoding="utf-8")
        self.window.picker.tabs.setCurrentWidget(self.panel)
        if not self.panel.open_path(folder):
            return False
        self.panel.set_environment(environment)
        return request is None or self.panel.choose(request)

    def cleanup(self) -> None:
        """Remember the Network tab's values; remove the sample's temporary folder (the
        window closed)."""
        self.window.settings.set_network(self.network.to_json())
        self.window.settings.sync()
        self.edits.cancel()
        self.panel.watch.stop()
        if self._sample is not None:
            self._sample[1]()
            self._sample = None

    def import_collection(self, source: Path, target: Path) -> list[str] | None:
        """Write ``source`` (HAR or Postman v2.1) as the ``.http`` file ``target`` and open
        its folder; the report of what was not carried over (None when nothing was read)."""
        try:
            imported = import_file(source)
            atomic_write(target, imported.text())
        except (CollectionImportError, OSError) as exc:
            self.window.statusBar().showMessage(f"Not imported: {exc}", 10000)
            return None
        self.window.picker.tabs.setCurrentWidget(self.panel)
        self.panel.open_path(target.parent)
        summary = f"Imported {len(imported.requests)} request(s) into {target.name}"
        if imported.report:
            summary += "; not carried over:\n" + "\n".join(imported.report)
        self.panel.status.setText(summary)
        self.window.statusBar().showMessage(summary.split("\n", 1)[0], 10000)
        return imported.report

    def _import_collection_dialog(self) -> None:
        source, _ = QFileDialog.getOpenFileName(
            self.window, "Import a HAR file or a Postman collection", str(Path.home()),
            "HAR or Postman (*.har *.json);;All files (*)")
        if not source:
            return
        suggestion = Path(source).with_suffix(".http")
        target, _ = QFileDialog.getSaveFileName(self.window, "Save the requests as",
                                                str(suggestion), "HTTP requests (*.http)")
        if target:
            self.import_collection(Path(source), Path(target))

    def _import_dialog(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self.window, "Import curl",
                                                 "Paste a curl command:")
        if ok and text.strip():
            if not self.paste.take(text):
                self.window.editor.show_error("not a curl command (it should start with curl)")


def install(window: MainWindow) -> Collections:
    return Collections(window)


__all__ = ["Collections", "history_as_sent", "hover_text", "import_curl", "install"]
