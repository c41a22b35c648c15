"""The window names the proxy that failed, and the variable that set it (issue 25.17): sent
from the editor, whose Network options trust the environment's proxies by default."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from gui.window.main_window import MainWindow

VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
             "ALL_PROXY", "NO_PROXY")


def send(window: MainWindow, qtbot: QtBot, url: str) -> str:
    """Send ``url`` from the editor; the tab's error banner once the stream has ended."""
    window.editor.url.setText(url)
    with qtbot.waitSignal(window.streamStarted, timeout=5000) as started:
        window.send_action.trigger()
    controller = started.args[0]
    qtbot.waitUntil(lambda: controller.ended, timeout=15000)
    tab = window.current_tab()
    assert tab is not None and tab.controller is controller
    qtbot.waitUntil(tab.banner.isVisible, timeout=5000)
    return str(tab.banner.label.text())


@pytest.mark.parametrize(("value", "expected"), [
    ("http://127.0.0.1:1", "could not connect to the proxy 127.0.0.1:1 (from HTTP_PROXY):"
                           " connection refused"),
    ("http://[::1", "HTTP_PROXY &#x27;http://[::1&#x27; is not a proxy URL: Invalid port"),
])
def test_the_window_blames_the_proxy(window: MainWindow, qtbot: QtBot, demo_server: str,
                                     monkeypatch: pytest.MonkeyPatch, value: str,
                                     expected: str) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", value)
    text = send(window, qtbot, f"{demo_server}/events?count=1&interval=0")
    assert expected in text
    assert demo_server.removeprefix("http://") not in text and "internal error" not in text
