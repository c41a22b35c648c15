"""While the demo server starts, the window already lists its endpoints (from the build's
snapshot) and a Send to it waits for it, visibly, instead of failing."""

from __future__ import annotations

import asyncio
from typing import Any

from pytestqt.qtbot import QtBot

from gui.app.lifetime import _demo_openapi
from gui.stream.controller import State
from gui.window.main_window import MainWindow
from stream_core.net.spec import RequestSpec

WAITING = "Waiting for the demo server…"


def test_snapshot_lists_the_endpoints_without_the_server(window: MainWindow) -> None:
    snapshot = _demo_openapi()
    assert snapshot is not None
    window.picker.set_document(snapshot, "http://127.0.0.1:9/openapi.json")
    assert window.picker.find_endpoint("GET", "/health") is not None
    assert window.picker.base_url == "http://127.0.0.1:9"


def test_send_before_the_server_is_ready_waits_for_it(
        window: MainWindow, qtbot: QtBot, aloop: asyncio.AbstractEventLoop, arun: Any) -> None:
    ready: asyncio.Future[None] = aloop.create_future()
    window.server_starting(ready)
    assert window.server_label.text().endswith("(starting…)")

    assert window.server_url is not None
    controller = window.start(RequestSpec(window.server_url + "/health"))
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == WAITING)
    controller.drain()
    assert controller.state == State.CONNECTING and controller.request is None
    ready.set_result(None)
    arun(controller.wait())
    controller.drain()
    assert controller.state == State.DONE, controller.error
    assert controller.response is not None and controller.response.status == 200
    assert window.statusBar().currentMessage() != WAITING
    assert window.server_label.text() == f"Demo server: {window.server_url}"
    # Once the server serves, a Send goes out at once.
    later = window.start(RequestSpec(window.server_url + "/health"))
    arun(later.wait())
    assert later.state == State.DONE
