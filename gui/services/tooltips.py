"""Tooltips that show a server's text as it is (``plain_tip``).

Kept in the ground floor, apart from the table models that use it most, because the
endpoint picker needs it before the window shows and the models' module (with the LLM
analysis) is imported only after (``gui.window.warmup``).
"""

from __future__ import annotations

import html

from PySide6.QtGui import Qt

__all__ = ["plain_tip"]


def plain_tip(text: str) -> str:
    """``text`` as a tooltip that shows it as it is.

    Why: Qt renders a tooltip that looks like HTML (``Qt::mightBeRichText``) as rich text, so
    a server's ``<b>`` or ``<img src=...>`` in an event, a header or an error message would
    be rendered (an image loaded) instead of shown.
    """
    if not Qt.mightBeRichText(text):
        return text
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"
