"""Where tabs are recorded: a private folder per window process in the user's cache folder.

Why not the system temp folder: it is often RAM (tmpfs), shared, and a recording holds the
request's secrets. So: ``$XDG_CACHE_HOME/stream-inspector/spool/<pid>-<random>/`` (the
platform's cache folder elsewhere), the folder 0700 and each file 0600, removed when the
window exits. A process that crashed leaves its folder behind; the next start sweeps the
folders whose owner is gone. The owner holds an exclusive ``flock`` on ``<folder>/lock`` for
its whole life (the kernel drops it when the process dies, whatever way), so a folder is
swept only when that lock can be taken: a reused pid cannot keep a stale folder alive, and
a live window's folder is never removed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QStandardPaths

__all__ = ["SpoolDir", "create_private", "spool_root", "sweep"]

log = logging.getLogger(__name__)

LOCK = "lock"
#: A folder this young whose pid is alive may be starting (no lock taken yet): kept.
YOUNG_S = 60.0


def spool_root() -> Path:
    """``$XDG_CACHE_HOME/stream-inspector/spool`` (``~/.cache/...`` when unset)."""
    cache = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericCacheLocation)
    return Path(cache or Path.home() / ".cache") / "stream-inspector" / "spool"


class SpoolDir:
    """This process's recording folder: created (and the stale ones swept) on construction,
    removed by ``cleanup()``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or spool_root()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.swept = sweep(self.root)
        self.path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=self.root))  # 0700
        self._lock = os.open(self.path / LOCK, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._count = 0

    def new_file(self, name: str) -> str:
        """A path for a new private file in the folder (the caller creates it 0600)."""
        self._count += 1
        return str(self.path / f"{self._count}-{name}")

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock >= 0:
            os.close(self._lock)  # the lock goes with it
            self._lock = -1


def create_private(path: str) -> int:
    """Create ``path`` for writing, 0600, refusing an existing file or a link."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                   0o600)


def sweep(root: Path) -> list[str]:
    """Remove the folders under ``root`` whose process is gone; their names."""
    removed = []
    for entry in root.iterdir():
        if not entry.is_dir() or entry.is_symlink() or not _abandoned(entry):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
        log.info("removed the recording folder %s left by a process that is gone", entry)
    return removed


def _abandoned(folder: Path) -> bool:
    """Whether no process holds ``folder``'s lock (or, without a lock file, its pid is gone)."""
    try:
        fd = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:  # died between mkdtemp and the lock: go by the pid
        return not _pid_alive(folder.name.partition("-")[0])
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: its window is running
    finally:
        os.close(fd)  # (releases the lock we may have taken)
    # Free. Only a process between creating the lock file and locking it (microseconds
    # after creating the folder) can be alive with its lock free: such a folder is young.
    young = time.time() - folder.stat().st_mtime < YOUNG_S
    return not (young and _pid_alive(folder.name.partition("-")[0]))


def _pid_alive(text: str) -> bool:
    if not text.isdigit():
        return True  # not one of ours: leave it
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True

