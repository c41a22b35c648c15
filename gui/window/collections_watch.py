"""Watching an opened collection folder for edits made elsewhere (an IDE, ``git pull``).

Why a watch and not a check at write time only: the list must show the requests as they are
(a request renamed in the IDE, a new file), and a request loaded into the editor must come
from the file as it is. ``QFileSystemWatcher`` (inotify on Linux) reports a file's change and
a folder's (a file added, removed, renamed). An editor that saves atomically replaces the
file: the watched inode is gone and Qt drops the path, so each report re-adds the paths that
exist again. Reports come in bursts (an editor's save is several events); they are gathered
for ``DELAY_MS`` and handed on once, as one set of paths.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from stream_core.requests.environments import ENV_FILE, PRIVATE_ENV_FILE
from stream_core.requests.httpfile import HttpFile

__all__ = ["DELAY_MS", "SUFFIXES", "FolderWatch", "env_signature", "request_files", "watched"]

log = logging.getLogger(__name__)

#: How long reports are gathered before they are handed on.
DELAY_MS = 150
#: Request files.
SUFFIXES = (".http", ".rest")


def request_files(opened: Path | None, extra: set[Path]) -> list[Path]:
    """The request files of what was opened (a folder: two levels deep, hidden files aside;
    or one file) and of ``extra`` (saved to elsewhere), as they are on disk now."""
    found = [p for p in extra if p.exists()]
    if opened is not None and not opened.is_dir():
        found += [opened] if opened.exists() else []
    elif opened is not None:  # two levels only (never a walk of a whole home folder)
        for entry in _entries(opened):
            if entry.is_dir():
                found += [p for p in _entries(entry) if p.suffix in SUFFIXES and p.is_file()]
            elif entry.suffix in SUFFIXES:
                found.append(entry)
    return sorted(set(found))


def _entries(folder: Path) -> list[Path]:
    """The entries of ``folder`` that are not hidden ([] when it cannot be listed)."""
    try:
        return [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return []


def watched(root: Path | None, opened: Path | None, files: dict[Path, HttpFile],
            extra: set[Path]) -> list[Path]:
    """What to watch: the folders (a new file shows there), the files, the environments."""
    if root is None:
        return []
    folders = {root} | {p.parent for p in extra}
    if opened is not None and opened.is_dir():
        folders |= {p for p in _entries(root) if p.is_dir()}
    return sorted(folders) + list(files) + [root / ENV_FILE, root / PRIVATE_ENV_FILE]


def env_signature(root: Path | None) -> list[tuple[int, int, int] | None]:
    """What tells a version of each environment file from the next (None: absent), so that
    the app's own write is not reported back as a change made elsewhere."""
    out: list[tuple[int, int, int] | None] = []
    for name in (ENV_FILE, PRIVATE_ENV_FILE):
        try:
            info = (root / name).stat() if root else None
        except OSError:
            info = None
        out.append((info.st_ino, info.st_size, info.st_mtime_ns) if info else None)
    return out


class FolderWatch(QObject):
    """Watches a set of files and folders.

    Signals:
        changed(object): a ``set[Path]`` of the files and folders that were reported.
    """

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._reported)
        self._watcher.directoryChanged.connect(self._reported)
        self._wanted: set[str] = set()
        self._pending: set[Path] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self._flush)

    def watch(self, paths: list[Path]) -> None:
        """Watch exactly ``paths`` (files and folders) from now on."""
        wanted = {str(p) for p in paths}
        gone = [p for p in self._watcher.files() + self._watcher.directories()
                if p not in wanted]
        if gone:
            self._watcher.removePaths(gone)
        self._wanted = wanted
        self._add_missing()

    def stop(self) -> None:
        self.watch([])
        self._timer.stop()
        self._pending.clear()

    def _add_missing(self) -> None:
        present = set(self._watcher.files()) | set(self._watcher.directories())
        missing = [p for p in self._wanted if p not in present and Path(p).exists()]
        if missing:
            failed = self._watcher.addPaths(missing)
            if failed:  # the inotify limit, or gone again already
                log.info("cannot watch %s", ", ".join(failed))

    def _reported(self, path: str) -> None:
        self._pending.add(Path(path))
        self._timer.start()

    def _flush(self) -> None:
        self._add_missing()  # an atomic replace took the file out of the watch
        pending, self._pending = self._pending, set()
        if pending:
            self.changed.emit(pending)
