"""The Collections panel: ``.http`` files of a folder (or one file), their requests, and the
environment selector.

Requests are loaded into the editor with a click; *Save* writes the editor back, updating the
loaded request in place (``stream_core.requests.httpfile.update``: the rest of the file stays
byte for byte) or appending a new one; *Rename* and *Delete* edit the file the same way. Every
write goes to a temporary file that then replaces the original, so a crash never leaves half
a file. The environment combo (a small tool bar the window docks at the top) chooses the
variables ``resolve`` substitutes at send time.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.services.settings import HistoryEntry
from gui.window.request_editor import EndpointFill
from stream_core.net.spec import Mode
from stream_core.requests import httpfile
from stream_core.requests.environments import Environments, Variables, load_environments
from stream_core.requests.httpfile import HttpFile, HttpFileError, HttpRequest

log = logging.getLogger(__name__)

ROLE = Qt.ItemDataRole.UserRole
SUFFIXES = (".http", ".rest")
NO_ENVIRONMENT = "No environment"


@dataclass(slots=True)
class Loaded:
    """Which request the editor holds (and the body file's text it was shown with)."""

    path: Path
    name: str
    body_file_text: str | None = None


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CollectionsPanel(QWidget):
    """Files and requests of an opened folder or file.

    Signals:
        requestChosen(object): an ``EndpointFill`` for the editor (click on a request).
        message(str): a line for the status bar (saved, renamed, an error).
        environmentChanged(str): the selected environment ("" for none).
    """

    requestChosen = Signal(object)
    message = Signal(str)
    environmentChanged = Signal(str)

    def __init__(self, demo_url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.demo_url = demo_url
        self.root: Path | None = None  # the opened folder (or the opened file's folder)
        self.files: dict[Path, HttpFile] = {}
        self.environments = Environments()
        self.loaded: Loaded | None = None

        self.toolbar = QToolBar("Collections", self)
        self.toolbar.setObjectName("collectionsToolbar")
        self.open_folder_action = self._action("Open folder…", self._open_folder_dialog)
        self.open_file_action = self._action("Open file…", self._open_file_dialog)
        self.save_action = self._action("Save", lambda: None)  # the window connects it
        self.save_action.setToolTip("Save the editor's request to the collection (update the"
                                    " loaded request in place, or add a new one)")
        self.rename_action = self._action("Rename…", self._rename_dialog)
        self.delete_action = self._action("Delete", self._delete_selected)

        self.env_toolbar = QToolBar("Environment", self)
        self.env_toolbar.setObjectName("environmentToolbar")
        self.env_combo = QComboBox(self)
        self.env_combo.setObjectName("environmentCombo")
        self.env_combo.setMinimumWidth(140)
        self.env_combo.setToolTip("Variables for {{name}} in the URL, headers and body:"
                                  " http-client.env.json + http-client.private.env.json")
        self.env_combo.addItem(NO_ENVIRONMENT, "")
        self.env_combo.currentIndexChanged.connect(
            lambda _i: self.environmentChanged.emit(self.environment))
        self.env_toolbar.addWidget(QLabel(" Environment: ", self))
        self.env_toolbar.addWidget(self.env_combo)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("collectionsTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Request", "Method", "URL"])
        self.tree.setColumnWidth(0, 150)
        self.tree.setColumnWidth(1, 60)
        self.tree.setUniformRowHeights(True)
        self.tree.itemClicked.connect(self._item_clicked)
        self.tree.itemActivated.connect(self._item_clicked)
        self.status = QLabel("Open a folder of .http files (JetBrains HTTP Client / VS Code"
                             " REST Client format), or save a request to start one.", self)
        self.status.setObjectName("collectionsStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)

    def _action(self, text: str, slot: object) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        return action

    # -- opening -----------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Open a folder (its ``.http`` / ``.rest`` files, two levels deep) or one file."""
        path = Path(path).expanduser().resolve()
        if path.is_dir():
            self.root = path
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES
                           and len(p.relative_to(path).parts) <= 2)
        elif path.is_file():
            self.root = path.parent
            found = [path]
        else:
            self._say(f"{path} does not exist")
            return False
        self.files = {}
        for file in found:
            self._read(file)
        self._load_environments()
        self._rebuild()
        count = sum(len(doc.requests) for doc in self.files.values())
        self.status.setText(f"{path.name}: {len(self.files)} file(s), {count} request(s)")
        return True

    def _read(self, path: Path) -> HttpFile | None:
        try:
            doc = httpfile.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            self._say(f"cannot read {path.name}: {exc}")
            return None
        self.files[path] = doc
        return doc

    def _load_environments(self) -> None:
        current = self.environment
        self.environments = load_environments(self.root) if self.root else Environments()
        for error in self.environments.errors:
            self._say(error)
        self.env_combo.blockSignals(True)
        self.env_combo.clear()
        self.env_combo.addItem(NO_ENVIRONMENT, "")
        for name in self.environments.names:
            self.env_combo.addItem(name, name)
        index = self.env_combo.findData(current)
        self.env_combo.setCurrentIndex(max(index, 0))
        self.env_combo.blockSignals(False)
        if self.environment != current:
            self.environmentChanged.emit(self.environment)

    def _rebuild(self) -> None:
        self.tree.clear()
        for path, doc in self.files.items():
            label = str(path.relative_to(self.root)) if self.root else path.name
            top = QTreeWidgetItem(self.tree, [label])
            top.setFirstColumnSpanned(True)
            top.setData(0, ROLE, (path, None))
            top.setToolTip(0, str(path))
            for request in doc.requests:
                item = QTreeWidgetItem(top, [request.name, request.method, request.url])
                item.setData(0, ROLE, (path, request.name))
                item.setToolTip(2, request.url)
                if self.loaded and self.loaded.path == path and self.loaded.name == request.name:
                    self.tree.setCurrentItem(item)
            top.setExpanded(True)

    def _open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of .http files",
                                                  str(self.root or Path.home()))
        if folder:
            self.open_path(folder)

    def _open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a .http file", str(self.root or
                                              Path.home()), "HTTP requests (*.http *.rest)")
        if path:
            self.open_path(path)

    # -- choosing ----------------------------------------------------------------------------
    def find_item(self, name: str, path: Path | None = None) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is None:
                continue
            for j in range(top.childCount()):
                item = top.child(j)
                if item is None:
                    continue
                file, request = item.data(0, ROLE)
                if request == name and (path is None or file == path):
                    return item
        return None

    def choose(self, name: str, path: Path | None = None) -> bool:
        item = self.find_item(name, path)
        if item is None:
            return False
        self.tree.setCurrentItem(item)
        self._item_clicked(item)
        return True

    def _item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        path, name = item.data(0, ROLE)
        if name is None:
            return
        request = self.files[path].find(name)
        body = request.body or ""
        loaded = Loaded(path, name)
        if request.body_file is not None:
            try:
                body = (path.parent / request.body_file).read_text(encoding="utf-8")
                loaded.body_file_text = body
            except (OSError, UnicodeDecodeError) as exc:
                self._say(f"cannot read the body file {request.body_file}: {exc}")
        self.loaded = loaded
        self.requestChosen.emit(EndpointFill(request.method, request.url, body, Mode.AUTO,
                                             list(request.headers)))
        self._say(f"{name} from {path.name}: press Ctrl+Enter to send")

    # -- variables ---------------------------------------------------------------------------
    @property
    def environment(self) -> str:
        return str(self.env_combo.currentData() or "")

    def set_environment(self, name: str) -> bool:
        index = self.env_combo.findData(name)
        if index < 0:
            return False
        self.env_combo.setCurrentIndex(index)
        return True

    def variables(self) -> Variables:
        """What ``{{name}}`` means now: the loaded file's variables, the environment, demo."""
        doc = self.files.get(self.loaded.path) if self.loaded else None
        if doc is None and len(self.files) == 1:
            doc = next(iter(self.files.values()))
        return Variables.for_file(doc, self.environments, self.environment or None,
                                  self.demo_url)

    def resolve(self, text: str, where: str) -> str:
        return self.variables().resolve(text, where)

    # -- editing -----------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        log.info("%s", text)
        self.message.emit(text)

    def _write(self, path: Path, text: str) -> bool:
        try:
            atomic_write(path, text)
        except OSError as exc:
            self._say(f"cannot write {path}: {exc.strerror or exc}")
            return False
        self._read(path)
        self._rebuild()
        return True

    def save(self, entry: HistoryEntry, name: str | None = None,
             path: Path | None = None) -> bool:
        """Save the editor's request: over the loaded one (``name`` None), or as ``name`` in
        ``path`` (default: the loaded request's file), updating a request of that name."""
        target = path or (self.loaded.path if self.loaded else None)
        if target is None:
            self._say("Open a folder or a .http file first (or give a file to save to)")
            return False
        target = Path(target)
        doc = self.files.get(target) or (self._read(target) if target.exists()
                                         else httpfile.parse(""))
        if doc is None:
            return False
        if name is None:
            if self.loaded is None or self.loaded.path != target:
                self._say("No request loaded from this file: save it under a name")
                return False
            name = self.loaded.name
        new = HttpRequest(name=name, method=entry.method, url=entry.url,
                          headers=list(entry.headers), body=entry.body or None)
        try:
            old = doc.find(name) if any(r.name == name for r in doc.requests) else None
            if old is not None:
                new.http_version, new.handlers = old.http_version, old.handlers
                new.directives = old.directives
                keeps_file = (self.loaded is not None and self.loaded.path == target
                              and self.loaded.name == name
                              and self.loaded.body_file_text == entry.body)
                if old.body_file is not None and keeps_file:
                    new.body, new.body_file = None, old.body_file
                    new.body_file_variables = old.body_file_variables
                text = httpfile.update(doc, name, new)
            else:
                text = httpfile.append(doc, new)
        except HttpFileError as exc:
            self._say(str(exc))
            return False
        if not self._write(target, text):
            return False
        if target not in self.files or self.root is None:
            self.root = self.root or target.parent
        self.loaded = Loaded(target, name, self.loaded.body_file_text if (
            self.loaded and self.loaded.name == name) else None)
        self._rebuild()
        self._say(f"Saved {name} to {target.name}")
        return True

    def rename(self, path: Path, name: str, new_name: str) -> bool:
        try:
            text = httpfile.rename(self.files[path], name, new_name)
        except HttpFileError as exc:
            self._say(str(exc))
            return False
        if self.loaded and self.loaded.path == path and self.loaded.name == name:
            self.loaded.name = new_name.strip()
        return self._write(path, text)

    def delete(self, path: Path, name: str) -> bool:
        text = httpfile.delete(self.files[path], name)
        if self.loaded and self.loaded.path == path and self.loaded.name == name:
            self.loaded = None
        return self._write(path, text)

    def _selected(self) -> tuple[Path, str] | None:
        item = self.tree.currentItem()
        data = item.data(0, ROLE) if item is not None else None
        return data if data and data[1] is not None else None

    def _rename_dialog(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        new, ok = QInputDialog.getText(self, "Rename request", "Name:", QLineEdit.EchoMode.Normal,
                                       selected[1])
        if ok and new.strip() and new.strip() != selected[1]:
            self.rename(selected[0], selected[1], new)

    def _delete_selected(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.delete(*selected)

    def ask_name(self, suggestion: str) -> tuple[str | None, Path | None]:
        """Ask a name (and, with nothing open, a file) for Save as new."""
        name, ok = QInputDialog.getText(self, "Save to collection", "Request name:",
                                        QLineEdit.EchoMode.Normal, suggestion)
        if not ok or not name.strip():
            return None, None
        path = self.loaded.path if self.loaded else (
            next(iter(self.files)) if self.files else None)
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "New .http file", str(
                (self.root or Path.home()) / "requests.http"), "HTTP requests (*.http)")
            path = Path(chosen) if chosen else None
        return name.strip(), path


__all__ = ["CollectionsPanel", "atomic_write"]
