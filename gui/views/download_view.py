"""The Download sub-tab: progress bar, figures, destination, Pause/Resume/Cancel, SHA-256.

Why a view of its own: a download is not read as events; what matters is how far it is, how
fast, where it goes and whether it arrived intact. The view only reads the controller after
its throttled ``updated`` signal (~10/s), never per chunk, so a download at full loopback
speed costs the GUI ten label updates a second.

Pause cancels the task (the engine keeps the ``.part``); Resume runs the same request again
with ``resume=True`` in the same tab; Cancel is two buttons (keep or delete the ``.part``) so
the choice needs no modal dialog inside a coroutine.
"""

from __future__ import annotations

import email.utils
import os
from email.message import Message
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from gui.stream.controller import State, StreamController
from gui.views.elided import scrolling
from gui.views.indicators import shown_state
from stream_core.analysis.formatting import fmt_eta, fmt_size
from stream_core.net.download import discard_partial, part_path, partial_size
from stream_core.net.spec import Mode
from stream_core.records import Headers, header_text

if TYPE_CHECKING:
    from gui.views.subviews import TabContext


def server_file_name(headers: Headers) -> str | None:
    """The file name the server gives in ``Content-Disposition`` (``filename*`` first, as
    RFC 6266 says), decoded: raw UTF-8 bytes or RFC 5987 ``UTF-8''...`` alike."""
    value = next((header_text(v) for k, v in headers if k.lower() == "content-disposition"),
                 None)
    if not value:
        return None
    parsed = Message()
    parsed["content-disposition"] = value
    names = [v for k, v in parsed.get_params([], header="content-disposition")
             if k == "filename" and v]
    for v in sorted(names, key=lambda v: not isinstance(v, tuple)):  # filename* first
        name = email.utils.collapse_rfc2231_value(v)
        if name:
            return name
    return None



def open_folder(path: str) -> str | None:
    """Open the folder holding ``path`` in the file manager; None, or why it cannot."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"Cannot open {folder}: it does not exist (moved or deleted?)."
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
        return f"Cannot open {folder}: no file manager answered; the file is there."
    return None

class DownloadView(QWidget):
    """Progress and control of one download (its controller's ``spec.output``)."""

    FIELDS = (("received", "Received"), ("speed", "Speed"), ("average", "Average"),
              ("eta", "Time left"), ("path", "Saving to"), ("server_name", "Server's name"),
              ("sha256", "SHA-256"))

    def __init__(self, controller: StreamController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.note = ""  # what the last user action did ("Paused", "Cancelled"...)
        self.folder_note = ""  # why Open folder could not open it
        self.paused = False  # stopped by Pause (shown as paused while it can resume)
        self._busy = False  # a Pause/Cancel is awaiting the task
        self.bar = QProgressBar(self)
        self.bar.setObjectName("downloadProgress")
        self.bar.setRange(0, 0)
        self.bar.setMinimumHeight(26)
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(14)
        for key, title in self.FIELDS:
            value = QLabel("—", self)
            value.setTextFormat(Qt.TextFormat.PlainText)  # names come from the server
            value.setObjectName(f"download_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(key in ("path", "server_name"))
            form.addRow(title + ":", value)
            self.values[key] = value
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # error messages quote the server
        self.status.setObjectName("downloadStatus")
        self.status.setWordWrap(True)
        self.open_folder = QPushButton("Open folder", self)
        self.pause = QPushButton("Pause", self)
        self.resume = QPushButton("Resume", self)
        self.cancel_keep = QPushButton("Cancel && keep .part", self)
        self.cancel_delete = QPushButton("Cancel && delete .part", self)
        buttons = QHBoxLayout()
        for b in (self.pause, self.resume, self.cancel_keep, self.cancel_delete):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.open_folder)
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(10)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(page, self))  # a small window scrolls the view
        self.open_folder.clicked.connect(self.show_folder)
        self.pause.clicked.connect(self.do_pause)
        self.resume.clicked.connect(self.do_resume)
        self.cancel_keep.clicked.connect(lambda: self.do_cancel(False))
        self.cancel_delete.clicked.connect(lambda: self.do_cancel(True))
        controller.finished.connect(self._finished)
        self.refresh()

    def _finished(self) -> None:
        self._busy = False  # the stop is over even if its coroutine has not resumed yet
        self.refresh()

    # -- actions -----------------------------------------------------------------------------
    @property
    def path(self) -> str | None:
        return self.controller.spec.output

    def show_folder(self) -> None:
        """Open the download's folder, or say (in the tab) why it cannot be opened."""
        if self.path:
            self.folder_note = open_folder(self.path) or ""
            self.refresh()

    @asyncSlot()
    async def do_pause(self) -> None:
        await self._stop("Paused: the .part is kept; Resume continues where it stopped.")

    async def _stop(self, note: str) -> None:
        self._busy = True
        self.paused = note.startswith("Paused")
        self.note = note  # shown once stopped (``finished`` refreshes before this resumes)
        self.refresh()
        try:
            await self.controller.stop()
        finally:
            self._busy = False
            self.refresh()

    def do_resume(self) -> None:
        if self.controller.can_resume:
            self.note = ""
            self.paused = False
            self.controller.resume()
            self.refresh()

    @asyncSlot()
    async def do_cancel(self, delete: bool) -> None:
        if self.controller.running:
            await self._stop("Cancelled.")
        self.paused = False  # cancelled, whatever Pause said: no longer "paused"
        if self.path is None:
            return
        if delete:
            discard_partial(self.path)
            self.note = "Cancelled; the .part file was deleted."
        else:
            self.note = f"Cancelled; {part_path(self.path)} is kept."
        self.refresh()
        self.controller.changed_outside()  # the tab's state and title, not only this view

    # -- a sub-view (gui.views.subviews) ---------------------------------------------------------
    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> DownloadView:
        return cls(controller, parent)

    def title(self) -> str:
        return "Download"

    def applies(self) -> bool:
        return self.wanted(self.controller)

    # -- refresh -------------------------------------------------------------------------------
    def refresh(self, final: bool = False) -> None:
        """The bar, figures and buttons (cheap labels: refreshed whichever sub-tab shows)."""
        c = self.controller
        p = c.progress
        running = c.state.running and not c.ended  # ``running`` is still True in ``finished``
        end = c.end
        done = end is not None and end.complete and c.state == State.DONE
        if done:
            assert end is not None
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.bar.setFormat(f"complete: {fmt_size(end.bytes if p is None else p.bytes)}"
                               + (f" → {end.path}" if end.path else ""))
        elif p is not None and p.total:
            self.bar.setRange(0, max(1, p.total // 1024))
            self.bar.setValue(min(p.bytes, p.total) // 1024)
            self.bar.setFormat(f"%p%  ·  {fmt_size(p.bytes)} of {fmt_size(p.total)}")
        elif running:
            self.bar.setRange(0, 0)  # busy indicator: no Content-Length
            self.bar.setFormat(fmt_size(p.bytes) if p is not None else "")
        else:  # ended without the whole file, size unknown: no busy animation any more
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
        if not running and not done:
            word = shown_state(c, self.paused).word
            got_text = fmt_size(p.bytes) if p is not None else "nothing"
            self.bar.setFormat(f"{word}: {got_text} received"
                               + (f" of {fmt_size(p.total)}" if p is not None and p.total
                                  else ""))
        self._color_bar("" if running or done else shown_state(c, self.paused).color)
        speed = c.stats.rate if running else 0.0
        total = p.total if p is not None else None
        got = p.bytes if p is not None else 0
        v = self.values
        v["received"].setText(fmt_size(got) + (f" of {fmt_size(total)}" if total else
                                               " (size unknown)" if p is not None else ""))
        v["speed"].setText(f"{fmt_size(int(speed))}/s" if running else "—")
        v["average"].setText(f"{fmt_size(int(p.rate))}/s" if p is not None and p.rate else "—")
        eta = (total - got) / speed if running and total and speed > 0 else None
        v["eta"].setText(fmt_eta(eta) if running else ("done" if done else "—"))
        shown = end.path if done and end is not None and end.path else (
            part_path(self.path) if self.path else "not saved to a file")
        v["path"].setText(shown)
        resp = c.response
        v["server_name"].setText((server_file_name(resp.headers) if resp is not None else None)
                                 or "—")
        v["sha256"].setText(end.sha256 if done and end is not None and end.sha256 else
                            "computed at the end" if running else "—")
        self._refresh_controls(running)

    def _color_bar(self, color: str) -> None:
        """The bar in the state's colour once it stopped short (paused, failed, stopped)."""
        if self.bar.property("stateColor") == color:
            return
        self.bar.setProperty("stateColor", color)
        parent = self.bar.parentWidget()
        palette = parent.palette() if parent is not None else QPalette()
        if color:
            palette.setColor(QPalette.ColorRole.Highlight, QColor(color))
        self.bar.setPalette(palette)

    def _refresh_controls(self, running: bool) -> None:
        c = self.controller
        path = self.path
        can_cancel = c.state != State.DONE and path is not None and (
            running or partial_size(path) > 0)
        self.pause.setEnabled(running and not self._busy and path is not None)
        self.resume.setEnabled(not self._busy and c.can_resume)
        self.cancel_keep.setEnabled(not self._busy and can_cancel)
        self.cancel_delete.setEnabled(self.cancel_keep.isEnabled())
        self.open_folder.setEnabled(path is not None)
        message = ("Stopping…" if self._busy else "") if running else self.note
        err = c.error
        if err is not None and err.kind != "cancelled" and path is not None:
            kept = partial_size(path)
            message = f"{err.message}" + (
                f"\nThe {fmt_size(kept)} already received are kept in {part_path(path)}; "
                "Resume continues from there." if kept else "")
        elif c.state == State.STOPPED and not message and path is not None:
            message = f"Stopped; {part_path(path)} is kept."
        elif c.runs > 1 and c.response is not None and not message:
            message = ("Resumed: only the missing bytes were requested (206)."
                       if c.response.status == 206 else
                       "The server ignored the range or the file changed: the download "
                       "restarted from the beginning.")
        if self.folder_note:
            message = f"{message}\n{self.folder_note}".strip()
        self.status.setText(message)
        self.status.setStyleSheet("color: #c53030;" if err is not None
                                  and err.kind != "cancelled" else "")

    @staticmethod
    def wanted(controller: StreamController) -> bool:
        """Whether the stream is a download (asked for, or detected from the response)."""
        resp = controller.response
        return controller.spec.mode == Mode.DOWNLOAD or (
            resp is not None and resp.mode == Mode.DOWNLOAD.value)
