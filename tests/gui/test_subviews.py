"""One registry of sub-views (issue 26.2): the stream tab, ``--view``, the demos and the
warm-up all read ``gui.views.subviews.SUBVIEWS``; a new view is one module and one line;
views talk upward only through signals."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from gui.app import demos
from gui.app.launch import VIEWS
from gui.stream.controller import StreamController
from gui.views import stream_tab
from gui.views.stream_tab import StreamTab
from gui.views.subviews import NAMES, SUBVIEWS, Entry, TabContext
from gui.window import warmup
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended

VIEWS_DIR = Path(__file__).resolve().parents[2] / "gui" / "views"


def test_every_list_of_views_is_the_registry(window: MainWindow, qtbot: QtBot,
                                             demo_server: str) -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert VIEWS == NAMES  # --view
    assert set(demos.VIEW_DEMOS) == set(NAMES)  # make screenshots
    assert set(demos.VIEW_DEMOS.values()) <= set(demos.NAMES)
    modules = [entry.module for entry in SUBVIEWS]
    assert set(modules) <= set(warmup.SEND_PATH)  # imported ahead of the first tab
    assert warmup.SEND_PATH.index("gui.views.stream_tab") > max(
        warmup.SEND_PATH.index(m) for m in modules)
    wait_ended(qtbot, send(window, qtbot, f"{demo_server}/events?count=2&interval=0",
                           Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert list(tab.views) == list(NAMES)
    assert [tab.tabs.widget(i) for i in range(tab.tabs.count())] == list(tab.views.values())


def test_the_registry_imports_no_view_and_no_qt() -> None:
    """The entry point reads the names before it imports Qt; the views come with a tab."""
    probe = ("import sys, gui.views.subviews\n"
             "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'gui.views.'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "['gui.views.subviews']"


class ProbeView(QLabel):
    """A sub-view from outside the package: what adding a view takes."""

    def __init__(self, controller: StreamController, parent: QWidget) -> None:
        super().__init__("probe", parent)
        self.controller = controller
        self.refreshes: list[bool] = []

    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> ProbeView:
        return cls(controller, parent)

    def title(self) -> str:
        return f"Probe ({len(self.refreshes)})"

    def applies(self) -> bool:
        return self.controller.response is not None

    def refresh(self, final: bool = False) -> None:
        self.refreshes.append(final)


def test_a_new_view_is_one_entry(window: MainWindow, qtbot: QtBot, demo_server: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    entry = Entry("probe", f"{__name__}:ProbeView", "events")
    monkeypatch.setattr(stream_tab, "SUBVIEWS", (*SUBVIEWS, entry))
    controller = send(window, qtbot, f"{demo_server}/events?count=3&interval=0", Mode.SSE)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    probe = tab.views["probe"]
    assert isinstance(probe, ProbeView)
    index = tab.tabs.indexOf(probe)
    wait_ended(qtbot, controller)
    assert tab.tabs.isTabVisible(index)  # shown once it applied (a response came)
    assert probe.refreshes == []  # behind another sub-tab, not a background one
    tab.tabs.setCurrentWidget(probe)
    assert probe.refreshes == [True]  # shown after the end: the final refresh
    assert tab.tabs.tabText(index) == "Probe (1)"
    tab.show_view("events")
    assert tab.tabs.currentWidget() is tab.events


def _reaches_up(path: Path) -> list[str]:
    """Where a module calls ``.window()`` (a view reaching for the window that holds it)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "window" and not node.args:
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_views_talk_upward_only_through_signals() -> None:
    """No sub-view (nor the tab) reaches for the window: the LLM view is given its settings,
    the tab asks for a resend with ``resendRequested``."""
    places: list[Any] = []
    for path in sorted(VIEWS_DIR.glob("*.py")):
        places += _reaches_up(path)
    assert places == []
