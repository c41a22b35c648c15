"""Where tabs are recorded: the user's cache folder, private, removed at exit, swept after a
crash, and bounded (settings ``recording/spool_cap_mib``)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from gui.services.settings import Settings
from gui.stream.spool_dir import SpoolDir, spool_root
from gui.window.main_window import MainWindow
from stream_core.capture.reader import read_capture
from stream_core.net.spec import Mode
from stream_core.records import Chunk, Event
from tests.gui.test_window import send, wait_ended

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


def spool_path(window: MainWindow, controller: Any) -> Path:
    spool = window.captures.recorders[controller]._spool
    assert spool is not None
    return Path(spool.path)


def test_recordings_are_private_files_in_the_cache_folder_removed_at_exit(
        window: MainWindow, qtbot: QtBot, demo_server: str, arun: Any) -> None:
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    path = spool_path(window, controller)
    root = Path(os.environ["XDG_CACHE_HOME"]) / "stream-inspector" / "spool"
    assert spool_root() == root
    assert path.parent.parent == root and path.parent.name.startswith(f"{os.getpid()}-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the request's secrets
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.stat().st_size > 0
    arun(window.shutdown())  # what the app does when the window closes
    assert not path.parent.exists()


def _process(root: Path, crash: bool) -> subprocess.Popen[str]:
    """A process that makes its recording folder under ``root``, then either dies without
    cleaning up (a crash) or keeps running until its stdin closes."""
    code = ("import os, sys; from pathlib import Path; from gui.stream.spool_dir import SpoolDir;"
            f"d = SpoolDir(Path({str(root)!r})); open(d.new_file('tab.spool'), 'wb').write(b'x');"
            "print(d.path.name, flush=True);"
            + ("os._exit(0)" if crash else "sys.stdin.read(); d.cleanup()"))
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def test_the_next_start_sweeps_what_a_crashed_process_left(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    live = _process(root, crash=False)
    try:
        assert live.stdout is not None
        live_name = live.stdout.readline().strip()
        crashed = _process(root, crash=True)  # (its start sweeps nothing: the other is alive)
        crashed_name = crashed.communicate(timeout=30)[0].strip()
        assert (root / crashed_name).is_dir() and (root / live_name).is_dir()
        mine = SpoolDir(root)  # a new window starts
        assert mine.swept == [crashed_name]
        assert not (root / crashed_name).exists()
        assert (root / live_name / "1-tab.spool").exists()  # a running window's is kept
        mine.cleanup()
    finally:
        live.communicate("", timeout=30)
    assert sorted(p.name for p in root.iterdir()) == []


def test_a_capped_recording_says_what_save_will_hold(window: MainWindow, qtbot: QtBot,
                                                     demo_server: str, settings: Settings,
                                                     tmp_path: Path) -> None:
    settings.set_spool_cap_mib(1)
    count = 40_000
    controller = send(window, qtbot, f"{demo_server}/flood/sse?count={count}&size=100",
                      Mode.SSE)
    wait_ended(qtbot, controller, timeout=60000)
    assert controller.stats.events == count  # the tab shows everything
    tab = window.current_tab()
    assert tab is not None and tab.controller is controller
    assert tab.notice.isVisibleTo(tab)
    assert "capped at 1 MiB: Save and Export will hold the first 1 MiB" in tab.notice.text()
    assert spool_path(window, controller).stat().st_size <= MiB

    path = tmp_path / "capped.sicap"
    assert window.save_capture(str(path))
    assert "the beginning of the stream" in window.captures.last_message
    capture = read_capture(path)
    events = sum(isinstance(r, Event) for r in capture.records)
    assert 0 < events < count
    assert sum(r.size for r in capture.records if isinstance(r, Chunk)) < MiB
    assert capture.end is not None and not capture.end.complete
    assert capture.end.stopped == "recording-cap"


def test_the_cap_setting(settings: Settings) -> None:
    assert settings.spool_cap_mib() == 2048
    settings.set_spool_cap_mib(512)
    assert settings.spool_cap_mib() == 512
    settings._s.setValue("recording/spool_cap_mib", "lots")
    assert settings.spool_cap_mib() == 2048
