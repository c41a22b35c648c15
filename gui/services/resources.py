"""Icons, style sheets and desktop files, loaded by name from the installed resources.

The top-level ``resources/`` folder ships as the package ``stream_inspector_resources`` and is
read only through ``importlib.resources``: an installed copy (a wheel, ``pipx install``) has no
source tree to find it in. UI code asks for ``icon("send")`` rather than a path so that art
can change without code. A missing file is logged as an error and degrades to an empty icon
or style; with ``STREAM_INSPECTOR_STRICT_RESOURCES=1`` (the install test) it raises
:class:`MissingResource` instead, so that a broken package cannot pass unnoticed.
Importing this module does not import Qt (``--install-desktop`` runs without it).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
from functools import cache
from importlib import resources as importlib_resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

__all__ = ["APP_ICON", "PACKAGE", "STRICT_ENV", "MissingResource", "icon", "path",
           "read_bytes", "stylesheet"]

logger = logging.getLogger(__name__)

PACKAGE = "stream_inspector_resources"
APP_ICON = "stream-inspector"
STRICT_ENV = "STREAM_INSPECTOR_STRICT_RESOURCES"

# Files extracted for Qt (which opens icons by file name) live until the process exits; for a
# package installed as plain files (the usual case) as_file extracts nothing.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


class MissingResource(FileNotFoundError):
    """A resource the package should hold is missing (strict mode only)."""


def _strict() -> bool:
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def _missing(name: str, why: str = "not found") -> None:
    message = f"resource {name!r} {why} in package {PACKAGE}"
    logger.error(message)
    if _strict():
        raise MissingResource(message)


def _traversable(name: str) -> Traversable | None:
    try:
        return importlib_resources.files(PACKAGE).joinpath(*name.split("/"))
    except ModuleNotFoundError:
        return None


def _file(name: str) -> Traversable | None:
    """Resource ``name`` (``"icons/send.svg"``) if it is a file; else None, said loudly."""
    resource = _traversable(name)
    if resource is None or not resource.is_file():
        _missing(name)
        return None
    return resource


def path(name: str) -> Path | None:
    """A file path for resource ``name`` (for Qt, which opens files by name), or None."""
    resource = _file(name)
    if resource is None:
        return None
    file = _extracted.enter_context(importlib_resources.as_file(resource))
    logger.debug("resource %s: %s", name, file)
    return file


def read_bytes(name: str) -> bytes | None:
    """The bytes of resource ``name``, or None when it is missing."""
    resource = _file(name)
    return None if resource is None else resource.read_bytes()


@cache
def icon(name: str) -> QIcon:
    """The icon ``icons/NAME.svg`` (an empty QIcon when it is missing or cannot be drawn)."""
    from PySide6.QtGui import QGuiApplication, QIcon

    file = path(f"icons/{name}.svg")
    if file is None:
        return QIcon()
    result = QIcon(str(file))
    # Drawing needs the application (Qt aborts without it); the window has one by now.
    if QGuiApplication.instance() is not None and result.pixmap(16, 16).isNull():
        _missing(f"icons/{name}.svg", "cannot be drawn (Qt's SVG image plugin missing?)")
    return result


def stylesheet(name: str = "style") -> str:
    """The text of the style sheet ``NAME.qss``, or "" when it is missing."""
    data = read_bytes(f"{name}.qss")
    if data is None:
        return ""
    logger.debug("style sheet %s.qss: %d bytes from %s", name, len(data), _traversable(f"{name}.qss"))
    return data.decode("utf-8")
