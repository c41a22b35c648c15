"""Answering the window's non-blocking dialogs from a test, as a user would."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

D = TypeVar("D", bound=QDialog)


def shown(qtbot: QtBot, parent: QWidget, name: str, kind: type[D] = QDialog,  # type: ignore[assignment]
          timeout: int = 15000) -> D:
    """The visible dialog called ``name`` under ``parent``, once it shows."""
    found: list[D] = []

    def visible() -> bool:
        found[:] = [d for d in parent.findChildren(kind, name) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=timeout)
    return found[0]


def none_shown(parent: QWidget) -> bool:
    return not [d for d in parent.findChildren(QDialog) if d.isVisible()]


def answer(qtbot: QtBot, parent: QWidget, choice: str) -> str:
    """Click ``choice`` on the question the window asks; the question's text."""
    box = shown(qtbot, parent, "collectionQuestion", QMessageBox)
    text = box.text()
    buttons = [b for b in box.buttons() if b.text() == choice]
    assert buttons, f"no {choice!r} in {[b.text() for b in box.buttons()]}"
    buttons[0].click()
    return text
