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
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from stream_core.net.filenames import download_name, free_path, name_max
from stream_core.net.spec import Mode, RequestSpec

if TYPE_CHECKING:
    from gui.stream.controller import StreamController
    from gui.window.main_window import MainWindow

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


class DownloadFolder(QObject):
    """The window's download folder, its menu actions and the output of each download.

    Attributes for tests: ``last_dialog`` (the file dialog opened last).
    """

    def __init__(self, window: MainWindow, folder: str | None = None) -> None:
        super().__init__(window)
        self.window = window
        self._fixed = folder  # given by the caller (tests, demos): not the user's setting
        self.last_dialog: QFileDialog | None = None
        self.choose_action = QAction("Download &folder…", window)
        self.choose_action.triggered.connect(self.choose_dialog)
        self.save_as_action = QAction("Send and save &as…", window)
        self.save_as_action.setShortcut(QKeySequence("Ctrl+Shift+Return"))
        self.save_as_action.setToolTip("Send the request as a download to a file you choose")
        self.save_as_action.triggered.connect(self.save_as_dialog)
        self._update_tip()

    @property
    def folder(self) -> str:
        return self._fixed or self.window.settings.download_dir() or platform_folder()

    def set_folder(self, folder: str) -> None:
        self._fixed = None
        self.window.settings.set_download_dir(folder)
        self._update_tip()
        self.window.statusBar().showMessage(f"Downloads now go to {folder}", 6000)

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
        self.last_dialog = dialog
        return dialog

    def choose_dialog(self) -> None:
        dialog = self._dialog("Download folder", QFileDialog.FileMode.Directory, self.folder)
        dialog.fileSelected.connect(self.set_folder)
        dialog.open()

    def save_as_dialog(self) -> None:
        """Ask where to save, then send the edited request as a download to that file."""
        spec = self.window.editor.build_spec()
        if spec is None:
            return
        start = os.path.join(self.folder, download_name(spec.url, limit=name_max(self.folder)))
        dialog = self._dialog("Save the download as", QFileDialog.FileMode.AnyFile, start)
        dialog.fileSelected.connect(lambda path: self.send_to(path))
        dialog.open()

    def send_to(self, path: str) -> StreamController | None:
        """Send the edited request as a download saved exactly to ``path``."""
        spec = self.window.editor.build_spec()
        if spec is None:
            return None
        self.window.remember(self.window.editor.history_entry())
        spec.mode, spec.output = Mode.DOWNLOAD, path
        return self.window.start(spec)

    def prepare(self, spec: RequestSpec) -> str | None:
        """Give a download with no output a file in the folder (renamed by the response:
        Content-Disposition, Content-Type); None, or why the folder cannot be used."""
        if spec.mode != Mode.DOWNLOAD or spec.output is not None:
            return None
        folder = self.folder
        problem = ensure_folder(folder)  # if it stays, the tab fails with an ``io`` error
        if problem is not None:
            log.warning("%s", problem)
        spec.output = str(free_path(Path(folder) / download_name(spec.url,
                                                                   limit=name_max(folder))))
        spec.name_from_response = True
        return problem
