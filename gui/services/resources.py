"""Icons and style sheets, loaded by name from the top-level ``resources/`` folder.

UI code asks for ``icon("send")`` rather than a path so that art can change without code, and
a missing file degrades to an empty icon instead of a crash.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
APP_ICON = "stream-inspector"


def path(name: str) -> Path:
    """Absolute path of a resource file (which may not exist)."""
    return RESOURCES / name


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/NAME.svg`` (an empty QIcon when it is missing)."""
    file = RESOURCES / "icons" / f"{name}.svg"
    return QIcon(str(file)) if file.is_file() else QIcon()


def stylesheet(name: str = "style") -> str:
    """The text of ``resources/NAME.qss``, or "" when it is missing."""
    file = RESOURCES / f"{name}.qss"
    try:
        return file.read_text(encoding="utf-8")
    except OSError:
        return ""
