"""Collections in the window: the panel's tab and environment tool bar, ``{{variables}}`` on
hover (the editor resolves them at send time through the window), a pasted curl command
(``curl_paste``), and the File menu's collection actions.

Why a feature of its own: it plugs into the window through ``CollectionsHost`` (what it needs
of the window, nothing more) and never imports the window; the request editor owns its Auth
and Network tabs itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QHelpEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QMenu,
    QMenuBar,
    QStatusBar,
    QToolTip,
    QWidget,
)

from gui.window.collections_edits import CollectionEdits
from gui.window.collections_panel import CollectionsPanel, atomic_write
from gui.window.collections_state import BodyFileGate, EnvironmentRecheck, remember, restore
from gui.window.curl_paste import CurlPaste
from gui.window.request_editor import RequestEditor
from gui.window.request_refs import References
from stream_core.requests.auth import Auth, apply_auth
from stream_core.requests.environments import PATTERN, Variables
from stream_core.requests.postman import CollectionImportError, import_file

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from gui.services.settings import Settings
    from gui.window.endpoint_picker import EndpointPicker

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


class CollectionsHost(Protocol):
    """What the collections need of the window (the main window has all of it); this module
    never imports the window."""

    @property
    def settings(self) -> Settings: ...
    @property
    def server_url(self) -> str | None: ...
    @property
    def picker(self) -> EndpointPicker: ...
    @property
    def editor(self) -> RequestEditor: ...
    @property
    def file_menu(self) -> QMenu: ...
    @property
    def closed(self) -> SignalInstance: ...

    def window(self) -> QWidget: ...  # parents the panel, the actions and the dialogs

    def menuBar(self) -> QMenuBar: ...

    def statusBar(self) -> QStatusBar: ...

    def send(self) -> object: ...  # sends the editor's request (after a body file is confirmed)


class Collections:
    """The Collections tab, the environment selector, ``{{variable}}`` tooltips, curl paste
    and the File menu's collection actions, in the window ``CollectionsHost`` describes.

    ``resolve`` is what the window's editor resolves ``{{variables}}`` with at send time.
    """

    def __init__(self, window: CollectionsHost) -> None:
        self.window = window
        parent = window.window()
        self.panel = CollectionsPanel(window.server_url, parent)
        window.picker.tabs.addTab(self.panel, "Collections")
        # In the menu bar's corner, not a tool bar row: the window must fit 640 px in height.
        window.menuBar().setCornerWidget(self.panel.env_toolbar, Qt.Corner.TopRightCorner)
        self.panel.env_toolbar.show()  # (built once the window shows: a new child is hidden)
        self.panel.requestChosen.connect(window.editor.fill)
        self.panel.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
        self.panel.save_action.triggered.connect(lambda: self.save())
        self.panel.save_as_action.triggered.connect(lambda: self.save(as_new=True))
        self.edits = CollectionEdits(self.panel, parent)
        self.references = References(self.panel)  # {{login.response...}}: this session's
        window.editor.filled.connect(self.panel.editor_filled)
        self.auth = window.editor.auth  # Save writes its credentials as the headers they are
        self.panel.requestChosen.connect(lambda _fill: self.auth.set_auth(Auth()))
        self.hover = _Hover(self.panel, window.editor)
        self.paste = CurlPaste(window)
        menu = window.file_menu
        first = menu.actions()[0] if menu.actions() else menu.addSeparator()
        self.open_action = QAction("Open &collection…", parent)
        self.open_action.triggered.connect(self.panel._open_folder_dialog)
        self.import_action = QAction("Import c&url…", parent)
        self.import_action.triggered.connect(self._import_dialog)
        self.save_action = QAction("Save request to co&llection", parent)
        self.save_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_action.triggered.connect(lambda: self.save())
        self.sample_action = QAction("Open sa&mple collection", parent)
        self.sample_action.triggered.connect(lambda: self.open_sample())
        self._sample: tuple[Path, weakref.finalize[..., object]] | None = None  # folder, removal
        window.closed.connect(self.cleanup)
        self.import_collection_action = QAction("Import &HAR or Postman collection…", parent)
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

    def resolve(self, text: str, where: str) -> str:
        """``{{variables}}`` in ``text`` (``where`` it is, for the message) -> their values
        in the loaded file and the chosen environment, request references from this
        session's responses; ValueError naming an undefined one."""
        return self.references.resolve(text, where)

    def allow_send(self, then: Callable[[], object] | None = None) -> bool:
        """Whether the editor's request may be sent now: a body read from a file of a folder
        opened in this session is confirmed first (asked once per file; on agreement
        ``then`` is called, the window's send by default)."""
        return self.body_files.allow(then)

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
                                     path=path if name is not None else None,
                                     expectations=self.window.editor.expect.lines())

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
        """Stop the pending edits and the folder watch; remove the sample's temporary folder
        (the window closed)."""
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
            self.window.window(), "Import a HAR file or a Postman collection", str(Path.home()),
            "HAR or Postman (*.har *.json);;All files (*)")
        if not source:
            return
        suggestion = Path(source).with_suffix(".http")
        target, _ = QFileDialog.getSaveFileName(self.window.window(), "Save the requests as",
                                                str(suggestion), "HTTP requests (*.http)")
        if target:
            self.import_collection(Path(source), Path(target))

    def _import_dialog(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self.window.window(), "Import curl",
                                                 "Paste a curl command:")
        if ok and text.strip():
            if not self.paste.take(text):
                self.window.editor.show_error("not a curl command (it should start with curl)")


__all__ = ["Collections", "CollectionsHost", "hover_text"]
