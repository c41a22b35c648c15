"""Heavy work off the GUI thread (issue 22.2): a worker with the collector paused and a short
switch interval, the loop turning meanwhile; exports and comparisons made that way."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from gui.services import background, steps
from gui.services.background import SWITCH_INTERVAL_S, BusyIndicator, off_loop, release
from gui.views.compare_view import MAX_POINTS, thinned
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # (what a job froze: the next tests start as they would)


@pytest.fixture
def run(arun: Any) -> Any:
    return lambda work: arun(work, timeout=20000)


def test_a_job_runs_in_a_worker_while_the_loop_turns(run: Any) -> None:
    main = threading.current_thread()
    interval = sys.getswitchinterval()
    turned = threading.Event()  # set by the loop: the job waits for it, so the loop turned
    seen: dict[str, Any] = {}

    def job() -> str:
        seen.update(thread=threading.current_thread(), gc=gc.isenabled(),
                    interval=sys.getswitchinterval())
        assert turned.wait(10)
        return "done"

    QTimer.singleShot(50, turned.set)
    assert gc.isenabled()
    assert run(off_loop(job)) == "done"
    assert seen == {"thread": seen["thread"], "gc": False, "interval": SWITCH_INTERVAL_S}
    assert seen["thread"] is not main
    assert gc.isenabled() and sys.getswitchinterval() == interval  # put back


def test_what_a_job_made_is_not_left_for_a_collection_on_the_gui_thread(run: Any) -> None:
    """Made while the collector was paused, a job's objects all sit in the youngest
    generation: the first collection after would walk them all on the GUI thread."""
    gc.collect()

    def job() -> list[list[int]]:
        return [[i] for i in range(50_000)]

    made = run(off_loop(job))
    assert gc.get_count()[0] < 10_000  # not in the youngest generation...
    assert gc.get_freeze_count() >= len(made)  # ... frozen out of the collector's walks
    run(release(made))
    assert made == []


def test_the_busy_indicator_shows_while_a_long_job_runs(qtbot: QtBot, aloop: Any,
                                                       monkeypatch: Any) -> None:
    monkeypatch.setattr(background, "SHOW_AFTER_S", 0.0)  # (half a second in the window)
    bar = BusyIndicator()
    qtbot.addWidget(bar)
    bar.show()  # (its parent is shown in the window)
    bar.hide()
    go = threading.Event()
    task = asyncio.ensure_future(off_loop(go.wait, 10))
    qtbot.waitUntil(lambda: not bar.isHidden())
    go.set()
    qtbot.waitUntil(task.done)
    assert bar.isHidden()
    assert background.jobs().running == 0


def test_thinned_curves_keep_their_shape_and_last_point() -> None:
    xs = [i * 0.001 for i in range(100_000)]
    ys = list(range(1, 100_001))
    tx, ty = thinned(xs, ys)
    assert len(tx) == len(ty) <= MAX_POINTS
    assert (tx[0], ty[0]) == (0.0, 1) and (tx[-1], ty[-1]) == (xs[-1], ys[-1])
    assert ty == sorted(ty)
    assert thinned(xs[:10], ys[:10]) == (xs[:10], ys[:10])


def test_export_from_the_menu_is_written_by_a_worker(window: MainWindow, qtbot: QtBot,
                                                     demo_server: str, tmp_path: Path,
                                                     monkeypatch: Any, run: Any) -> None:
    from gui.window import capture_jobs

    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=30", Mode.SSE)
    wait_ended(qtbot, controller)
    threads: list[threading.Thread] = []
    real = capture_jobs.export_pieces
    monkeypatch.setattr(capture_jobs, "export_pieces",
                        lambda *a, **k: (threads.append(threading.current_thread()),
                                         real(*a, **k))[1])
    for kind in ("har", "events", "body"):
        path = tmp_path / f"out.{kind}"
        assert run(window.captures.export_async(kind, str(path), controller))
        assert window.captures.last_message.startswith("Exported")
        assert path.read_bytes() == window.captures.export_bytes(kind, controller)
    assert len(threads) == 3
    assert all(t is not threading.main_thread() for t in threads)  # the menu's: a worker
    failed = run(window.captures.export_async("body", str(tmp_path / "no" / "b.bin"),
                                              controller))
    assert failed is False and "Could not export" in window.captures.last_message


def test_stepper_progress_bar_waits_half_a_second(qtbot: QtBot) -> None:
    """A quick job shows no bar at all (only one that runs longer than SHOW_AFTER_S)."""
    stepper = steps.Stepper(budget=0.0)
    bar = steps.WorkProgress(stepper)
    qtbot.addWidget(bar)

    def job() -> steps.Job:
        for i in range(3):
            yield i + 1, 3

    stepper.start(job())
    qtbot.waitUntil(lambda: not stepper.busy)
    assert bar.isHidden()


def test_exports_in_pieces_are_the_exports_in_one_go(monkeypatch: Any) -> None:
    """A worker writes exports a piece at a time (one call over a 100 MB body holds the GIL
    for seconds); joined, the pieces are the bytes of the export made at once."""
    import json

    from gui.window import capture_jobs
    from stream_core.capture import har

    monkeypatch.setattr(har, "_PIECE", 3 * 7)
    monkeypatch.setattr(capture_jobs, "PIECE_CHARS", 100)
    text = "".join(f"data: é{i}\u2028\"x\\\n\n" for i in range(300)).encode()
    for body in (text, text[:99] + b"\xff" + text[99:]):  # text, and base64 (not UTF-8)
        _same_in_pieces(body)
    obj = {"a": ["x" * 100, {"b": "é\u2028\"\\" * 40}, 1.5, None], "c": "short"}
    assert "".join(capture_jobs.json_pieces(obj, indent=1, piece=7)) == json.dumps(
        obj, ensure_ascii=False, indent=1)
    ok = "é€𝄞".encode() * 50
    assert har._utf8(ok) == ok.decode()  # a character across two pieces


def _same_in_pieces(body: bytes) -> None:
    from gui.window import capture_jobs
    from stream_core.records import Chunk, End, Event, Request, Response

    records = [Request(0.0, "GET", "http://127.0.0.1/x?token=s3cret",
                       [("Authorization", "Bearer s3cret")]),
               Response(0.1, 200, "OK", "HTTP/1.1", [("Content-Type", "text/event-stream")],
                        "sse"),
               *[Chunk(i, 0.2 + i / 100, 50 * i, body[50 * i:50 * i + 50])
                 for i in range(-(-len(body) // 50))],
               *[Event(i, 0.5, "", f"é{i}", str(i)) for i in range(9000)],
               End(1.0, len(body), 10, 9000, 1.0, True)]
    for kind in ("har", "events", "body"):
        for secrets in (True, False):
            whole = capture_jobs.export_data(kind, records, secrets=secrets, started=1e9,
                                             request_body=b"{}")
            pieces = list(capture_jobs.export_pieces(kind, records, secrets=secrets,
                                                     started=1e9, request_body=b"{}"))
            assert b"".join(pieces) == whole, (kind, secrets)
            assert len(pieces) > 1, kind


def test_a_replayed_capture_lets_go_of_its_records_as_it_reports_them(run: Any) -> None:
    """Opened, a capture's records become the tab's rows (columns): the replay holds none
    after it reported them, so closing the tab frees no million objects at once."""
    from gui.stream.capture_spool import replay_source
    from stream_core.records import End, Event

    records: list[Any] = [Event(i, i / 10, "", f"d{i}", "") for i in range(5000)]
    records.append(End(600.0, 0, 0, 5000, 600.0, True))
    probe = records[1234]
    source = replay_source(records)
    records = []
    seen: list[int] = []
    end = run(source(lambda r: seen.append(getattr(r, "seq", -1))))
    assert isinstance(end, End) and seen[:3] == [0, 1, 2] and len(seen) == 5001
    assert sys.getrefcount(probe) == 2  # this test's name and the call's argument only
