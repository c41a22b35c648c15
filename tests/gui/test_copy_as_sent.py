"""Copy as curl / httpx gives the request as sent (issue 14.8): the Accept and Cache-Control
headers the app adds to an SSE request, the automatic Content-Type of a JSON body."""

from __future__ import annotations

import shlex
from pathlib import Path

from pytestqt.qtbot import QtBot

from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import pick, send, wait_ended


def curl_headers(curl: str) -> list[str]:
    argv = shlex.split(curl)
    return [argv[i + 1] for i, a in enumerate(argv) if a == "-H"]


def test_copy_as_curl_on_an_sse_tab_has_the_accept_header_sent(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    wait_ended(qtbot, controller)
    curl = window.captures.copy_as("curl")
    assert curl is not None
    headers = curl_headers(curl)
    assert "Accept: text/event-stream" in headers and "Cache-Control: no-cache" in headers
    assert not any(h.lower().startswith(("host:", "user-agent: python-httpx")) for h in headers)
    code = window.captures.copy_as("httpx")
    assert code is not None and "('Accept', 'text/event-stream')" in code


def test_copy_as_curl_has_the_automatic_content_type(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    pick(window, "POST", "/v1/chat/completions")
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    wait_ended(qtbot, blocker.args[0])
    curl = window.captures.copy_as("curl")
    assert curl is not None
    assert "Content-Type: application/json" in curl_headers(curl)
    assert shlex.split(curl)[-1].startswith(f"{demo_server}/v1/chat/completions")


def test_copy_as_curl_from_a_masked_capture_keeps_the_auth_scheme(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    """Issue 23.19: ``Authorization: Bearer ***``, not ``***``: the scheme is no secret."""
    window.editor.headers.add_row("Authorization", "Bearer sk-test-0123456789")
    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    wait_ended(qtbot, controller)
    masked = window.captures.copy_as("curl", secrets=False)
    assert masked is not None and "Authorization: Bearer ***" in curl_headers(masked)
    saved = tmp_path / "masked.sicap"
    assert window.save_capture(str(saved))  # secrets masked by default
    assert "sk-test" not in saved.read_text()
    assert window.open_capture(str(saved)) is not None
    curl = window.captures.copy_as("curl")
    assert curl is not None and "Authorization: Bearer ***" in curl_headers(curl)
    assert "sk-test" not in curl
