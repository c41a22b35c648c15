"""Request references in the window (issue 24.2): ``{{login.response.body.$.access_token}}``
runs ``login`` first (in a tab of its own that says why) or reads its latest response of this
session; never sends literal braces; every failure names the file, the line and the request.
Over real sockets: an echo server that keeps every request as it arrived."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gui.stream.controller import State, StreamController
from gui.views.stream_tab import StreamTab
from gui.views.strips import NoteStrip
from gui.window.main_window import MainWindow
from tests.compat.echo import EchoServer, Seen
from tests.gui.dialogs import answer
from tests.gui.test_window import wait_ended

API = """\
@token = {{login.response.body.$.access_token}}

# @name login
POST {{host}}/login
Content-Type: application/json

{"n": 1}

###
# @name me
GET {{host}}/me?id={{login.response.body.$.user.id}}
Authorization: Bearer {{token}}
X-Trace: {{login.response.headers.X-Request-Id}}
X-Sent: {{login.request.body.$.n}}

###
# @name missing
GET {{host}}/missing?x={{login.response.body.$.nope}}

###
# @name ping
GET {{host}}/ping?pong={{pong.response.body.$.user.id}}

###
# @name pong
GET {{host}}/pong?ping={{ping.response.body.$.user.id}}

###
# @name upload
POST {{host}}/upload
Content-Type: application/json

< ./body.json

###
# @name after-upload
GET {{host}}/after?token={{upload.response.body.$.access_token}}
"""


@pytest.fixture()
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


@pytest.fixture()
def folder(tmp_path: Path, echo: EchoServer) -> Path:
    root = tmp_path / "api"
    root.mkdir()
    (root / "api.http").write_text(f"@host = {echo.url}\n" + API)
    (root / "body.json").write_text('{"file": true}')
    return root.resolve()


def notes(window: MainWindow, controller: StreamController) -> list[str]:
    """The note strips of ``controller``'s tab."""
    for i in range(window.tabs.count()):
        tab = window.tabs.widget(i)
        if isinstance(tab, StreamTab) and tab.controller is controller:
            return [s.text() for s in tab.strips if isinstance(s, NoteStrip)]
    raise AssertionError("no such tab")


def targets(seen: list[Seen]) -> list[tuple[str, str]]:
    return [(s.method, s.target) for s in seen]


def open_and_choose(window: MainWindow, folder: Path, name: str) -> None:
    panel = window.collections.panel
    if panel.root != folder:
        assert panel.open_path(folder)
    assert panel.choose(name)


def test_the_referenced_request_runs_first_in_its_own_tab(
        window: MainWindow, qtbot: QtBot, folder: Path, echo: EchoServer) -> None:
    open_and_choose(window, folder, "me")
    runs: list[StreamController] = []
    window.streamStarted.connect(runs.append)
    assert window.send() is None  # not yet: 'login' runs first
    qtbot.waitUntil(lambda: len(runs) == 1, timeout=15000)
    login = runs[0]
    assert (login.spec.method, login.spec.url) == ("POST", f"{echo.url}/login")
    assert notes(window, login) == ["Sent first: api.http:12: request 'me' reads a response of"
                                    " this request ('login', line 5)"]
    qtbot.waitUntil(lambda: len(runs) == 2, timeout=15000)  # then the request itself
    me = runs[1]
    wait_ended(qtbot, me)
    assert login.state == State.DONE and me.state == State.DONE
    first, second = echo.take()
    assert targets([first, second]) == [("POST", "/login"), ("GET", "/me?id=7")]
    assert second.header("Authorization") == ["Bearer tok-123"]
    assert second.header("X-Trace") == ["r-42"]
    assert second.header("X-Sent") == ["1"]
    assert "{{" not in second.target and not any("{{" in v for _k, v in second.headers)
    assert notes(window, me) == ["Request references read this session's latest response of"
                                 " 'login'"]
    assert window.history_entries()[1].url.endswith("/login")  # it was sent: in History

    # Its latest response is read again, nothing runs first.
    controller = window.send()
    assert controller is not None
    wait_ended(qtbot, controller)
    assert targets(echo.take()) == [("GET", "/me?id=7")]

    # A send of 'login' itself, edited, is its latest exchange from then on.
    open_and_choose(window, folder, "login")
    window.editor.body.setPlainText('{"n": 2}')
    controller = window.send()
    assert controller is not None
    wait_ended(qtbot, controller)
    open_and_choose(window, folder, "me")
    controller = window.send()
    assert controller is not None
    wait_ended(qtbot, controller)
    sent = echo.take()
    assert targets(sent) == [("POST", "/login"), ("GET", "/me?id=7")]
    assert sent[1].header("X-Sent") == ["2"]


def test_failures_name_the_file_the_line_and_the_request(
        window: MainWindow, qtbot: QtBot, folder: Path, echo: EchoServer,
        tmp_path: Path) -> None:
    # A value the response does not have: the request is not sent (no literal braces).
    open_and_choose(window, folder, "missing")
    runs: list[StreamController] = []
    window.streamStarted.connect(runs.append)
    with qtbot.waitSignal(window.editor.validationFailed, timeout=15000) as failed:
        assert window.send() is None
    assert failed.args[0] == ("api.http:19: request 'missing': {{login.response.body.$.nope}}:"
                              " the body has no '$.nope'")
    assert targets(echo.take()) == [("POST", "/login")]  # run first; 'missing' never sent
    assert len(runs) == 1

    # Requests that refer to each other: the chain is named, nothing is sent.
    open_and_choose(window, folder, "ping")
    with qtbot.waitSignal(window.editor.validationFailed, timeout=15000) as failed:
        assert window.send() is None
    assert failed.args[0] == ("api.http:23: request 'ping': requests refer to each other in a"
                              " cycle: 'pong' -> 'ping' -> 'pong'")
    assert echo.take() == [] and len(runs) == 1

    # The request run first fails: its tab shows why, the editor names who needed it.
    with EchoServer() as gone:
        url = gone.url  # nothing listens there any more
    down = tmp_path / "down"
    down.mkdir()
    (down / "api.http").write_text(f"@host = {url}\n" + API)  # another file: no exchanges
    open_and_choose(window, down.resolve(), "me")
    with qtbot.waitSignal(window.editor.validationFailed, timeout=15000) as failed:
        assert window.send() is None
    assert failed.args[0].startswith("api.http:12: request 'me': request 'login', run first"
                                     " for its response, failed: ")
    assert len(runs) == 2 and runs[1].state == State.FAILED  # login's own tab
    assert window.editor.message.isVisible()


def test_a_body_file_of_a_request_run_first_is_confirmed(
        window: MainWindow, qtbot: QtBot, folder: Path, echo: EchoServer) -> None:
    open_and_choose(window, folder, "after-upload")
    runs: list[StreamController] = []
    window.streamStarted.connect(runs.append)
    with qtbot.waitSignal(window.editor.validationFailed, timeout=15000) as failed:
        assert window.send() is None
        assert str(folder / "body.json") in answer(qtbot, window, "Cancel")
    assert "request 'upload', run first for its response, failed: its body file was not" \
           " confirmed" in failed.args[0]
    assert runs == [] and echo.take() == []
    assert window.send() is None
    answer(qtbot, window, "Send")
    qtbot.waitUntil(lambda: len(runs) == 2, timeout=15000)
    wait_ended(qtbot, runs[1])
    sent = echo.take()
    assert targets(sent) == [("POST", "/upload"), ("GET", "/after?token=tok-123")]
    assert sent[0].body == b'{"file": true}'


def test_send_and_save_as_takes_the_same_path(
        window: MainWindow, qtbot: QtBot, folder: Path, echo: EchoServer,
        tmp_path: Path) -> None:
    """Issue item 3: *Send and save as* asked nothing about a body file and could not run a
    referenced request first; it is Send's path with a file at the end."""
    open_and_choose(window, folder, "upload")
    target = tmp_path / "saved.json"
    assert window.downloads.send_to(str(target)) is None  # the body file is asked about
    with qtbot.waitSignal(window.streamStarted, timeout=15000) as blocker:
        answer(qtbot, window, "Send")
    wait_ended(qtbot, blocker.args[0])
    assert target.read_bytes().startswith(b'{"access_token": "tok-123"')
    assert targets(echo.take()) == [("POST", "/upload")]

    open_and_choose(window, folder, "me")
    runs: list[StreamController] = []
    window.streamStarted.connect(runs.append)
    assert window.downloads.send_to(str(tmp_path / "me.json")) is None  # login first
    qtbot.waitUntil(lambda: len(runs) == 2, timeout=15000)
    wait_ended(qtbot, runs[1])
    assert runs[1].spec.output == str(tmp_path / "me.json")
    assert targets(echo.take()) == [("POST", "/login"), ("GET", "/me?id=7")]
