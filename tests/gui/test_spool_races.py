"""A background Save against what the GUI thread does meanwhile: Resume, closing the tab.

The window saves a finished tab on a worker thread. The tab's recording (its spool) keeps
being written by the GUI thread when a download is resumed, and is deleted when the tab is
closed. The worker is held at its start by a gate (an event injected around the thread
hand-off) while the GUI thread does those things, so the interleaving is the same every run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from gui.stream import capture_spool
from gui.stream.controller import State
from gui.window.main_window import MainWindow
from stream_core.capture.reader import read_capture
from stream_core.capture.records_file import record_line
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import Chunk, End, Request
from tests.gui.test_window import send, wait_ended

MiB = 1024 * 1024


def lines(records: list[Any]) -> list[dict[str, Any]]:
    return [record_line(r, save_secrets=True) for r in records]


class Gate:
    """Holds the next ``asyncio.to_thread`` call's worker until ``release()``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    g = Gate()
    real = asyncio.to_thread

    async def gated(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            g.entered.set()
            assert g.released.wait(20)
            return func(*args, **kwargs)
        return await real(run)

    monkeypatch.setattr(asyncio, "to_thread", gated)
    yield g
    g.release()


@pytest.fixture
def spool_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread of every write into a spool file."""
    names: list[str] = []
    real = capture_spool.Spool.flush

    def flush(self: capture_spool.Spool) -> None:
        if self._batch:
            names.append(threading.current_thread().name)
        real(self)

    monkeypatch.setattr(capture_spool.Spool, "flush", flush)
    return names


def test_closing_the_tab_during_a_background_save(window: MainWindow, qtbot: QtBot,
                                                  demo_server: str, tmp_path: Path,
                                                  gate: Gate) -> None:
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    recorded = window.captures.recorders[controller].records()
    path = tmp_path / "closed.sicap"
    task = window.captures.spawn(window.captures.save_capture_async(str(path), controller))
    qtbot.waitUntil(gate.entered.is_set)
    window.close_tab(window.tabs.indexOf(window.current_tab()))
    assert controller not in window.captures.recorders  # its spool is gone from the disk
    gate.release()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() is True, window.captures.last_message
    assert read_capture(path).records == recorded


def test_resuming_a_download_during_a_background_save(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path, gate: Gate,
        spool_threads: list[str]) -> None:
    size = 4 * MiB
    target = tmp_path / "file.bin"
    controller = window.start(RequestSpec(f"{demo_server}/download?size={size}&rate={2 * MiB}",
                                          mode=Mode.DOWNLOAD, output=str(target)))
    qtbot.waitUntil(lambda: controller.progress is not None
                    and controller.progress.bytes >= MiB // 2, timeout=10000)
    tab = window.current_tab()
    assert tab is not None and tab.controller is controller
    tab.download.pause.click()
    wait_ended(qtbot, controller)
    assert controller.state == State.STOPPED and controller.can_resume
    before = window.captures.recorders[controller].records()
    assert isinstance(before[-1], End)

    path = tmp_path / "first-run.sicap"
    task = window.captures.spawn(window.captures.save_capture_async(str(path), controller))
    qtbot.waitUntil(gate.entered.is_set)
    chunks = controller.stats.chunks
    controller.resume()  # the GUI thread records the second run meanwhile
    qtbot.waitUntil(lambda: controller.stats.chunks > chunks + 2, timeout=10000)
    gate.release()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() is True, window.captures.last_message
    saved = read_capture(path)
    # exactly what there was when Save was chosen: the first run, ending in its End
    assert lines(saved.records) == lines(before)
    assert sum(isinstance(r, Request) for r in saved.records) == 1

    wait_ended(qtbot, controller, timeout=30000)
    assert controller.state == State.DONE, controller.error
    assert set(spool_threads) == {threading.main_thread().name}  # one writer, always
    everything = window.captures.recorders[controller].records()
    body = b"".join(r.data for r in everything if isinstance(r, Chunk))
    assert body == target.read_bytes()
    offsets = [r.offset for r in everything if isinstance(r, Chunk)]
    assert offsets == sorted(offsets)
