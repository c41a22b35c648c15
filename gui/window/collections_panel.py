"""The Collections panel: ``.http`` files of a folder (or one file), their requests, and the
environment selector.

Requests are loaded into the editor with a click. The panel keeps each file as it was read
(``Snapshot``: text, size, hash) and watches the folder, so an edit made elsewhere (an IDE,
``git pull``) shows at once and a write is never made from a stale copy; the writes
themselves (Save, Save as new, Rename, Delete) are ``collections_edits``'. The environment
combo (a small tool bar the window docks at the top) chooses the variables ``resolve``
substitutes at send time.

``loaded`` says which request the editor was opened from, and ``showing`` whether it still
shows that request: a demo endpoint, a History entry or a pasted curl command put in the
editor afterwards make Save a *Save as new*, never an overwrite of the loaded request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.window.collections_watch import FolderWatch, env_signature, request_files, watched
from gui.window.request_editor import EndpointFill
from stream_core.net.spec import Mode
from stream_core.requests import httpfile
from stream_core.requests.environments import (
    Environments,
    Variables,
    load_environments,
)
from stream_core.requests.files import MAX_FILE, Snapshot, read_text, write_text
from stream_core.requests.httpfile import HttpFile
from stream_core.userfiles import read_user_text

log = logging.getLogger(__name__)

ROLE = Qt.ItemDataRole.UserRole
NO_ENVIRONMENT = "No environment"


@dataclass(slots=True)
class Loaded:
    """Which request the editor was opened from, and whether it still shows it."""

    path: Path
    name: str
    body_file_text: str | None = None  # the body file's text it was shown with
    body_path: Path | None = None  # that file (``< path`` resolved)
    fill: EndpointFill | None = None  # what was put in the editor
    showing: bool = True
    base: Snapshot | None = None  # the file as it was when the request was loaded


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` over ``path`` (asked for: an import's target) keeping its mode, via a
    temporary file and ``os.replace``."""
    write_text(path, text, read_text(path))


class CollectionsPanel(QWidget):
    """Files and requests of an opened folder or file.

    Signals:
        requestChosen(object): an ``EndpointFill`` for the editor (click on a request).
        message(str): a line for the status bar (saved, renamed, an error).
        environmentChanged(str): the selected environment ("" for none).
        variablesChanged(): what ``{{name}}`` means may have changed (environment chosen,
            environment or request files reloaded).
        opened(object): the folder or file (``Path``) just opened.
    """

    requestChosen = Signal(object)
    message = Signal(str)
    environmentChanged = Signal(str)
    variablesChanged = Signal()
    opened = Signal(object)

    def __init__(self, demo_url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.demo_url = demo_url
        self.root: Path | None = None  # the opened folder (or the opened file's folder)
        self.opened_path: Path | None = None  # the folder or file, as opened
        self.files: dict[Path, HttpFile] = {}
        self.snapshots: dict[Path, Snapshot] = {}  # each file as read (what a write checks)
        self.extra: set[Path] = set()  # files saved to outside what was opened
        self.environments = Environments()
        self._env_seen: list[tuple[int, int, int] | None] = []  # the files as last loaded
        self.loaded: Loaded | None = None
        self.watch = FolderWatch(self)
        self.watch.changed.connect(self.reload)

        # Two rows: one would hide the last actions behind its chevron in a 1024 px window.
        self.toolbar = QToolBar("Collections", self)
        self.toolbar.setObjectName("collectionsToolbar")
        self.edit_toolbar = QToolBar("Collection edits", self)
        self.edit_toolbar.setObjectName("collectionEditsToolbar")
        self.open_folder_action = self._action(self.toolbar, "Open folder…",
                                               self._open_folder_dialog)
        self.open_file_action = self._action(self.toolbar, "Open file…", self._open_file_dialog)
        bar = self.edit_toolbar
        self.save_action = self._action(bar, "Save", None)  # these the window connects
        self.save_action.setToolTip("Save the editor's request over the request it was"
                                    " loaded from, while it shows it (otherwise: Save as)")
        self.save_as_action = self._action(bar, "Save as…", None)
        self.save_as_action.setToolTip("Add the editor's request to a file under a new name")
        self.rename_action = self._action(bar, "Rename…", None)
        self.delete_action = self._action(bar, "Delete", None)

        self.env_toolbar = QToolBar("Environment", self)
        self.env_toolbar.setObjectName("environmentToolbar")
        self.env_combo = QComboBox(self)
        self.env_combo.setObjectName("environmentCombo")
        self.env_combo.setMinimumWidth(140)
        self.env_combo.setToolTip("Variables for {{name}} in the URL, headers and body:"
                                  " http-client.env.json + http-client.private.env.json")
        self.env_combo.addItem(NO_ENVIRONMENT, "")
        self.env_combo.currentIndexChanged.connect(self._environment_chosen)
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
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.tree.addActions([self.rename_action, self.delete_action])
        self.status = QLabel("Open a folder of .http files (JetBrains HTTP Client / VS Code"
                             " REST Client format), or save a request to start one.", self)
        self.status.setObjectName("collectionsStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.edit_toolbar)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)

    def _action(self, bar: QToolBar, text: str, slot: object) -> QAction:
        action = QAction(text, self)
        if slot is not None:
            action.triggered.connect(slot)
        bar.addAction(action)
        return action

    # -- opening -----------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Open a folder (its ``.http`` / ``.rest`` files, two levels deep) or one file."""
        path = Path(path).expanduser().resolve()
        if path.is_dir():
            self.root = path
        elif path.is_file():
            self.root = path.parent
        else:
            self.say(f"{path} does not exist")
            return False
        self.opened_path = path
        self.files, self.snapshots, self.extra = {}, {}, set()
        for file in request_files(self.opened_path, self.extra):
            self._read(file)
        self._load_environments()
        self._rebuild()
        self.watch.watch(watched(self.root, self.opened_path, self.files, self.extra))
        count = sum(len(doc.requests) for doc in self.files.values())
        self.status.setText(f"{path.name}: {len(self.files)} file(s), {count} request(s)")
        self.opened.emit(path)
        return True

    def _read(self, path: Path) -> HttpFile | None:
        try:
            snapshot = read_text(path)
        except (OSError, ValueError) as exc:
            self.say(f"cannot read {path.name}: {exc}")
            return None
        if not snapshot.exists:
            return None
        return self.take(snapshot)

    def take(self, snapshot: Snapshot) -> HttpFile:
        """Keep ``snapshot`` as the file's version (read, or just written) and its requests."""
        doc = httpfile.parse(snapshot.text)
        self.files[snapshot.path] = doc
        self.snapshots[snapshot.path] = snapshot
        return doc

    def reload(self, changed: set[Path]) -> None:
        """Take in what changed on disk (the watch's report): files edited, added, removed,
        environment files. The editor is left alone: a Save then checks against the file."""
        if self.root is None:
            return
        if env_signature(self.root) != self._env_seen:  # (not after this app's own write)
            self._load_environments()
            self.say("Environment files changed on disk: reloaded")
        found = request_files(self.opened_path, self.extra)
        notes = []
        for path in list(self.files):
            if path not in found:
                del self.files[path], self.snapshots[path]
                notes.append(f"{path.name} removed")
        for path in found:
            old = self.snapshots.get(path)
            try:
                now = read_text(path)
            except (OSError, ValueError) as exc:
                self.say(f"cannot read {path.name}: {exc}")
                continue
            if old is None or not now.same_file(old):
                self.take(now)
                notes.append(f"{path.name} {'added' if old is None else 'changed'}")
        if notes:
            self._rebuild()
            self.say("On disk: " + ", ".join(notes) + " (reloaded)")
            self.variablesChanged.emit()
        self.watch.watch(watched(self.root, self.opened_path, self.files, self.extra))

    def _load_environments(self) -> None:
        current = self.environment
        self._env_seen = env_signature(self.root)
        self.environments = load_environments(self.root) if self.root else Environments()
        for error in self.environments.errors:
            self.say(error)
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
        self.variablesChanged.emit()

    def _rebuild(self) -> None:
        self.tree.clear()
        for path, doc in sorted(self.files.items()):
            label = (str(path.relative_to(self.root)) if self.root and path.is_relative_to(
                self.root) else str(path))
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
        loaded = Loaded(path, name, base=self.snapshots.get(path))
        note = f"{name} from {path.name}: press Ctrl+Enter to send"
        if request.body_file is not None:
            try:
                where = self.variables_for(path).resolve(request.body_file, "the body file name")
                loaded.body_path = (path.parent / where).resolve()
                body = loaded.body_file_text = read_user_text(loaded.body_path, "body file",
                                                              MAX_FILE)
                note = f"{name} from {path.name}: its body is read from {loaded.body_path}"
            except (OSError, ValueError) as exc:  # UndefinedVariable, UserFileError too
                self.say(f"{name}: {exc}")
        loaded.fill = EndpointFill(request.method, request.url, body, Mode.AUTO,
                                   list(request.headers), list(request.expectations))
        self.loaded = loaded
        self.requestChosen.emit(loaded.fill)
        self.status.setText(note)
        self.say(note)

    def editor_filled(self, fill: EndpointFill) -> None:
        """The editor was filled: is it still the loaded request (or something else now)?"""
        if self.loaded is not None:
            self.loaded.showing = fill is self.loaded.fill

    def body_files(self, body: str) -> list[Path]:
        """The files the editor's request reads (its body shown as ``body``): the loaded
        request's ``< file`` while the editor still shows it with that file's text."""
        loaded = self.loaded
        if (loaded is None or not loaded.showing or loaded.body_path is None
                or loaded.body_file_text != body):
            return []
        return [loaded.body_path]

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

    def _environment_chosen(self, _index: int) -> None:
        self.environmentChanged.emit(self.environment)
        self.variablesChanged.emit()

    def reload_environments(self) -> None:
        """Read the environment files again (after this app added a variable to one)."""
        self._load_environments()

    def variables_for(self, path: Path | None) -> Variables:
        doc = self.files.get(path) if path is not None else None
        if doc is None and len(self.files) == 1:
            doc = next(iter(self.files.values()))
        return Variables.for_file(doc, self.environments, self.environment or None,
                                  self.demo_url)

    def variables(self) -> Variables:
        """What ``{{name}}`` means now: the loaded file's variables, the environment, demo."""
        return self.variables_for(self.loaded.path if self.loaded else None)

    def resolve(self, text: str, where: str) -> str:
        return self.variables().resolve(text, where)

    # -- for the edits -----------------------------------------------------------------------
    def say(self, text: str) -> None:
        """A line for the status bar (and the log)."""
        log.info("%s", text)
        self.message.emit(text)

    def written(self, snapshot: Snapshot) -> None:
        """``snapshot`` was just written by this app: keep it, show it, watch it."""
        if self.root is None:  # the first file of a collection
            self.root = snapshot.path.parent
            self._load_environments()
        if self.opened_path is None:
            self.opened_path = snapshot.path
            self.opened.emit(snapshot.path)
        elif snapshot.path not in request_files(self.opened_path, self.extra):
            self.extra.add(snapshot.path)
        self.take(snapshot)
        self._rebuild()
        self.watch.watch(watched(self.root, self.opened_path, self.files, self.extra))

    def forget(self, path: Path) -> None:
        """``path`` is gone (seen while writing it)."""
        self.files.pop(path, None)
        self.snapshots.pop(path, None)
        self._rebuild()

    def selected(self) -> tuple[Path, str] | None:
        item = self.tree.currentItem()
        data = item.data(0, ROLE) if item is not None else None
        return data if data and data[1] is not None else None


__all__ = ["CollectionsPanel", "Loaded", "atomic_write"]
