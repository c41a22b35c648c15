"""Where downloads go: the download folder (a setting) and *Save as…* for one request.

Why a module: the folder is the platform's download location (``QStandardPaths``) unless the
user chose another, it is created when missing (a fresh account has no ``~/Downloads``), and
a file's name comes from the response (``stream_core.net.filenames``), so the window only says
which folder, or which exact file when the user chose one with *Save as…*.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QStatusBar, QWidget

from stream_core.net.filenames import download_name, free_path, name_max
from stream_core.net.spec import Mode, RequestSpec

if TYPE_CHECKING:
    from gui.services.settings import Settings
    from gui.stream.controller import StreamController
    from gui.window.request_editor import RequestEditor

log = logging.getLogger(__name__)


def platform_folder() -> str:
    """The platform's download location (``~/Downloads`` and the like)."""
    return (QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
            or os.path.join(os.path.expanduser("~"), "Downloads"))


def ensure_folder(folder: str) -> str | None:
    """Create ``folder`` when missing; None when it exists (or was made), else why not."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        return f"cannot create the download folder {folder}: {exc.strerror or exc}"
    if not os.path.isdir(folder):
        return f"the download folder {folder} is not a folder"
    return None


class DownloadHost(Protocol):
    """What the download folder needs of the window (the main window has all of it); this
    module never imports the window."""

    @property
    def settings(self) -> Settings: ...
    @property
    def editor(self) -> RequestEditor: ...

    def statusBar(self) -> QStatusBar: ...

    def send(self, output: str | None = None) -> StreamController | None: ...


class DownloadFolder(QObject):
    """The window's download folder, its menu actions and the output of each download."""

    def __init__(self, window: QWidget, host: DownloadHost, folder: str | None = None) -> None:
        """``window`` parents the actions and dialogs; ``host`` (the same window) gives the
        settings, the editor and the way to start a request."""
        super().__init__(window)
        self.window = window
        self.host = host
        self._fixed = folder  # given by the caller (tests, demos): not the user's setting
        self.choose_action = QAction("Download &folder…", window)
        self.choose_action.triggered.connect(self.choose_dialog)
        self.save_as_action = QAction("Send and save &as…", window)
        self.save_as_action.setShortcut(QKeySequence("Ctrl+Shift+Return"))
        self.save_as_action.setToolTip("Send the request as a download to a file you choose")
        self.save_as_action.triggered.connect(self.save_as_dialog)
        self._update_tip()

    @property
    def folder(self) -> str:
        return self._fixed or self.host.settings.download_dir() or platform_folder()

    def set_folder(self, folder: str) -> None:
        self._fixed = None
        self.host.settings.set_download_dir(folder)
        self._update_tip()
        self.host.statusBar().showMessage(f"Downloads now go to {folder}", 6000)

    def _update_tip(self) -> None:
        self.choose_action.setStatusTip(f"Downloads go to {self.folder}")

    def _dialog(self, title: str, mode: QFileDialog.FileMode, start: str) -> QFileDialog:
        dialog = QFileDialog(self.window, title, start)
        dialog.setFileMode(mode)
        if mode == QFileDialog.FileMode.Directory:
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return dialog

    def choose_dialog(self) -> QFileDialog:
        """Ask for the download folder (non-modal); the dialog, open."""
        dialog = self._dialog("Download folder", QFileDialog.FileMode.Directory, self.folder)
        dialog.fileSelected.connect(self.set_folder)
        dialog.open()
        return dialog

    def save_as_dialog(self) -> QFileDialog | None:
        """Ask where to save, then send the edited request as a download to that file; the
        dialog, open (None without a URL). The file name suggested comes from the URL; the
        request is checked when it is sent (``send_to``), as Send checks it: a URL that
        needs another request's response is known only once that request has run."""
        editor = self.host.editor
        url = editor.url.text().strip()
        if not url:
            editor.show_error("enter a URL to send the request to")
            return None
        try:
            url = editor.resolve(url, "the URL")
        except ValueError:
            pass  # (said when it is sent)
        start = os.path.join(self.folder, download_name(url, limit=name_max(self.folder)))
        dialog = self._dialog("Save the download as", QFileDialog.FileMode.AnyFile, start)
        dialog.fileSelected.connect(lambda path: self.send_to(path))
        dialog.open()
        return dialog

    def send_to(self, path: str) -> StreamController | None:
        """Send the edited request as a download saved exactly to ``path``, the way Send
        sends it (the window's one send path: a body file confirmed first, requests its
        references need run first, the Auth and Network tabs applied); None when it is not
        sent now."""
        return self.host.send(output=path)

    def prepare(self, spec: RequestSpec) -> str | None:
        """Give a download with no output a file in the folder (renamed by the response:
        Content-Disposition, Content-Type); None, or why the folder cannot be used.

        An Auto request gets one too: the engine writes it only if the response is a
        download (an attachment, a binary type, a large binary body), which then has its
        file, Pause/Resume and SHA-256 as if Download had been chosen, and never goes
        through the tab's memory and recording.
        """
        if spec.mode not in (Mode.DOWNLOAD, Mode.AUTO) or spec.output is not None:
            return None
        folder = self.folder
        problem = ensure_folder(folder)  # if it stays, the tab fails with an ``io`` error
        if problem is not None:
            log.warning("%s", problem)
        spec.output = str(free_path(Path(folder) / download_name(spec.url,
                                                                   limit=name_max(folder))))
        spec.name_from_response = True
        # (Auto: a download would fail on the folder, with an ``io`` error; say so then only.)
        return problem if spec.mode is Mode.DOWNLOAD else None
