"""Quitting asks first while streams run or the recording proxy records (issue 23.18).

Why: closing the window stops every stream and the proxy at once, which a stray Ctrl+Q or a
click on the window's close button did without a word. The question is a non-modal message
box (``open()``, never ``exec()``: the streams go on while it is shown, and no coroutine
waits inside a nested event loop); Quit closes the window again, Cancel keeps it. Ctrl-C in
the terminal (``quit_now``) and a window with nothing running close at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

if TYPE_CHECKING:
    from gui.stream.controller import StreamController

__all__ = ["QuitGuard", "QuitHost"]


class _Proxy(Protocol):
    @property
    def running(self) -> bool: ...


class QuitHost(Protocol):
    """What the guard needs of the window (the main window has all of it)."""

    @property
    def controllers(self) -> list[StreamController]: ...
    @property
    def proxy(self) -> _Proxy: ...


def running_text(streams: int, proxy: bool) -> str:
    """What quitting would stop, as a sentence ("" when nothing)."""
    parts = []
    if streams:
        parts.append(f"{streams} stream{'s are' if streams > 1 else ' is'} still running")
    if proxy:
        parts.append("the recording proxy is on")
    return " and ".join(parts).capitalize()


class QuitGuard(QObject):
    """Decides whether the window may close now, and asks when it may not."""

    def __init__(self, window: QWidget, host: QuitHost) -> None:
        super().__init__(window)
        self.window, self.host = window, host
        self.confirmed = False
        self.dialog: QMessageBox | None = None

    def running(self) -> str:
        """What quitting would stop ("" when nothing)."""
        streams = sum(1 for c in self.host.controllers if c.running and c.live)
        return running_text(streams, self.host.proxy.running)

    def allow(self) -> bool:
        """True: close now. False: the question is shown (Quit closes the window again)."""
        if self.confirmed:
            return True
        what = self.running()
        if not what:
            return True
        self.ask(what)
        return False

    def ask(self, what: str) -> QMessageBox:
        """Show the question (once; a second close brings the same box to the front)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        box = QMessageBox(QMessageBox.Icon.Question, "Quit Stream Inspector?",
                          f"{what}. Quitting stops {'them' if 'and' in what else 'it'}; what "
                          "arrived stays only in the files you saved.", parent=self.window)
        box.setObjectName("quitQuestion")
        quit_button = box.addButton("Quit", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._answered(box, quit_button))
        self.dialog = box
        box.open()  # not exec(): the window and its streams go on meanwhile
        return box

    def _answered(self, box: QMessageBox, quit_button: QPushButton) -> None:
        self.dialog = None
        if box.clickedButton() is quit_button:
            self.quit_now()

    def quit_now(self) -> None:
        """Close the window without asking (Quit answered, or Ctrl-C in the terminal)."""
        self.confirmed = True
        self.window.close()
