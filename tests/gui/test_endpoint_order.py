"""The endpoint list keeps one order, the OpenAPI document's: from the build's snapshot at
start, from the live server after a reload or a Replay; and it never slides sideways to hide
the Method column (issue 23.16)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from embedded_server.snapshot import NAME
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def listed(window: MainWindow) -> list[tuple[str, str, str]]:
    tree = window.picker.tree
    out = []
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        assert group is not None
        for j in range(group.childCount()):
            item = group.child(j)
            assert item is not None
            out.append((group.text(0), item.text(0), item.text(1)))
    return out


def test_the_snapshot_and_the_live_document_list_one_order(
        window: MainWindow, qtbot: QtBot, demo_server: str, arun: Any) -> None:
    # The fixture loaded the live /openapi.json; replays other tests of the session left on
    # the shared server are not in the build's snapshot.
    live = [row for row in listed(window) if row[0] != "replay"]
    seed = [path for group, _m, path in live if group == "seed"]
    assert seed == ["/logs_stream", "/download-large-file", "/events"]  # the document's
    snapshot = json.loads(resources.files("stream_inspector_resources").joinpath(NAME)
                          .read_text("utf-8"))
    window.picker.set_document(snapshot, demo_server + "/openapi.json")  # as at start
    assert [row for row in listed(window) if row[0] != "replay"] == live

    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    wait_ended(qtbot, controller)
    assert arun(window.captures.replay(controller)) is not None
    after = listed(window)
    assert [row for row in after if row[0] != "replay"] == live  # only the replay added
    assert any(row[0] == "replay" for row in after)


def test_choosing_an_endpoint_never_slides_the_tree_sideways(
        window: MainWindow, qtbot: QtBot) -> None:
    window.resize(1024, 640)
    window.main_split.setSizes([260, 764])  # the narrow pane: the Summary column overflows
    tree = window.picker.tree
    qtbot.waitUntil(lambda: tree.horizontalScrollBar().maximum() > 0)
    item = window.picker.find_endpoint("POST", "/v1/chat/completions")
    assert item is not None
    tree.setCurrentItem(item, 2)  # a click on its summary
    QApplication.processEvents()
    assert tree.horizontalScrollBar().value() == 0  # Method stays in sight
