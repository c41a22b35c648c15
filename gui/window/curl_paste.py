"""A curl command pasted into the request editor's URL field fills the whole editor
(method, URL, headers, body, TLS and timeout options), as File > Import curl… does.

Why its own module: the field is one line long and limited to 32,767 characters, and a
command is neither, so every way a paste reaches the field is intercepted (``CurlPaste``;
the collections feature installs it on the window's editor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import (
    QAction,
    QClipboard,
    QContextMenuEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
)
from PySide6.QtWidgets import QMenu, QStatusBar, QWidget

from gui.window.request_editor import EndpointFill, RequestEditor
from stream_core.net.spec import Mode
from stream_core.requests.auth import Auth
from stream_core.requests.curl_import import CurlError, looks_like_curl, parse_curl

if TYPE_CHECKING:
    from gui.services.settings import RequestOptions

__all__ = ["CurlPaste", "PasteHost", "import_curl"]


class PasteHost(Protocol):
    """What the paste needs of the window."""

    @property
    def editor(self) -> RequestEditor: ...

    def window(self) -> QWidget: ...  # parents the filter

    def statusBar(self) -> QStatusBar: ...


def import_curl(editor: RequestEditor, command: str) -> str:
    """Fill the editor from a curl command; returns a line for the status bar. Raises
    CurlError (naming the option) when the command cannot be carried over."""
    imported = parse_curl(command)
    spec = imported.spec
    body = spec.body.decode("utf-8", "replace") if spec.body else ""
    editor.fill(EndpointFill(spec.method, spec.url, body, Mode.AUTO, list(spec.headers)))
    editor.auth.set_auth(Auth())  # the command carries its own credentials
    opts: RequestOptions = editor.options()
    opts.verify_tls = spec.verify is not False
    if spec.timeouts.connect is not None:
        opts.connect_timeout = spec.timeouts.connect
    editor.set_options(opts)
    note = f"Imported curl: {spec.method} {spec.url}"
    if imported.ignored:
        note += f" (ignored, they only change curl's output: {' '.join(imported.ignored)})"
    return note


class CurlPaste(QObject):
    """A curl command pasted (or typed) into the URL field fills the whole editor.

    Every way a paste reaches the field is intercepted and its text handed to the importer
    whole: the Paste keys (Ctrl+V, Shift+Insert), the context menu's Paste, the X11
    selection's middle click and a drop. Why not raise the field's length limit (32,767
    characters, past which a command was cut and reported as "No closing quotation"): the
    field lays out all it holds before the importer replaces it with the URL, measured here
    at 37 ms for a 100 KB command, 413 ms for 1 MB and 2.3 s for 10 MB, with the loop
    blocked; the importer reads 1 MB in about a millisecond. A command that still arrives
    cut (typed into the field by other means) is said to be cut, not misread.
    """

    def __init__(self, window: PasteHost) -> None:
        super().__init__(window.window())
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
        if not looks_like_curl(text):
            return
        limit = self.window.editor.url.maxLength()
        if len(text) >= limit:
            self.window.editor.show_error(
                f"curl command not imported: the URL field cut it at {limit:,} characters;"
                " paste it with Ctrl+V or the field's menu, or use File > Import curl…")
            return
        self.take(text)

    def _paste(self, mode: QClipboard.Mode = QClipboard.Mode.Clipboard) -> bool:
        """The clipboard's text (or the X11 selection's) imported when it is a command."""
        return self.take(QGuiApplication.clipboard().text(mode))

    def _menu(self, pos: QPoint) -> QMenu:
        """The field's own context menu, its Paste importing a command whole."""
        url = self.window.editor.url
        menu = url.createStandardContextMenu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in menu.actions():
            if action.objectName() == "edit-paste":
                ours = QAction(action.text(), menu)
                ours.setObjectName("edit-paste")
                ours.setEnabled(action.isEnabled())
                ours.triggered.connect(self._menu_paste)
                menu.insertAction(action, ours)
                menu.removeAction(action)
        menu.popup(pos)
        return menu

    def _menu_paste(self) -> None:
        if not self._paste():
            self.window.editor.url.paste()  # not a command: the field's own paste

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            # QLineEdit would keep only the first line of a multi-line command
            return event.matches(QKeySequence.StandardKey.Paste) and self._paste()
        if kind == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            self._menu(event.globalPos())
            return True
        if (kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.MiddleButton):
            clipboard = QGuiApplication.clipboard()
            return clipboard.supportsSelection() and self._paste(QClipboard.Mode.Selection)
        if kind == QEvent.Type.Drop and isinstance(event, QDropEvent) \
                and event.mimeData().hasText() and self.take(event.mimeData().text()):
            event.acceptProposedAction()
            return True
        return False
