"""Another host is another request: what the editor keeps and drops when a URL of another
host is typed over the request it holds (issue 23.13).

Why: a URL typed by hand kept the previous request's method and body, so a GET went out with
a chat request's JSON body and ``python -m http.server`` reset the connection. Here, once
the URL is typed (the field is left, or Send), a URL of another origin (scheme, host, port)
than the request's starts as GET without the body the user never touched (the body can be
brought back with Ctrl+Z), and a mode that came with the endpoint goes back to Auto. What the
user changed stays theirs; a GET or HEAD that still carries a body is said at Send.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit

__all__ = ["RequestOrigin", "body_warning", "origin_of"]


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL as typed ("" while it has no host yet)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port being typed ("host:8a")
        return ""
    if not parts.hostname:
        return ""
    scheme = parts.scheme.lower()
    port = port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{parts.hostname}:{port}"


def body_warning(method: str, body: bytes | None) -> str:
    """What to say when a request without a body by nature carries one ("" otherwise)."""
    if body and method.upper() in ("GET", "HEAD"):
        return (f"Sent a {method.upper()} with a {len(body):,}-byte body: some servers refuse "
                "it or reset the connection; clear the Body tab if it is not meant to go.")
    return ""


class RequestOrigin(QObject):
    """Watches the editor's URL against the request it holds (``loaded``).

    Signals:
        noticed(str): what was changed for another host (a sentence for the status bar).
    """

    noticed = Signal(str)

    def __init__(self, url: QLineEdit, method: QComboBox, body: QPlainTextEdit,
                 set_auto: Callable[[], None], parent: QObject | None = None) -> None:
        """``set_auto``: gives the editor's mode back to Auto."""
        super().__init__(parent)
        self._url, self._method, self._body, self._set_auto = url, method, body, set_auto
        self._origin = ""
        self._loaded_method = ""
        self._loaded_body = ""
        self.mode_kept = False  # the mode came with the request (the user did not choose it)
        url.editingFinished.connect(self.check)

    def _method_now(self) -> str:
        return self._method.currentText().strip().upper()

    def loaded(self, mode_kept: bool) -> None:
        """The editor was filled with a whole request (an endpoint, History, a capture)."""
        self._origin = origin_of(self._url.text())
        self._loaded_method = self._method_now()
        self._loaded_body = self._body.toPlainText()
        self.mode_kept = mode_kept

    def check(self) -> None:
        """Compare the URL's origin with the request's (the URL field left, or Send)."""
        origin = origin_of(self._url.text())
        if not origin or origin == self._origin:
            return
        another = bool(self._origin)
        self._origin = origin
        notes = []
        if another and self.mode_kept:
            self._set_auto()
            notes.append("Mode back to Auto")
        if another and self._body.toPlainText() == self._loaded_body:  # the user's is kept
            if self._method_now() == self._loaded_method and self._method_now() != "GET":
                self._method.setCurrentText("GET")
                notes.append("method GET")
            if self._loaded_body:
                cursor = self._body.textCursor()
                cursor.select(QTextCursor.SelectionType.Document)
                cursor.removeSelectedText()  # on the undo stack: Ctrl+Z brings it back
                notes.append("the previous request's body cleared (Ctrl+Z in the Body tab "
                             "brings it back)")
        self.mode_kept = False
        self._loaded_method, self._loaded_body = self._method_now(), self._body.toPlainText()
        if notes:
            self.noticed.emit(f"Another host: {'; '.join(notes)}.")
