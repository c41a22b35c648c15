"""A stream tab's expectations, passing and failing live: a strip under the summary.

Why a strip and not a sub-tab: a verdict is what the user sent the request for ("did the
first token come in time?"); it must be in sight whichever view is in front. The evaluation
is ``stream_core.expect``'s (the same as ``capture --expect``), attached to the controller's
record source before the stream starts; the strip only paints its verdicts, when its tab
refreshes it (a ``Strip``: on the controller's throttled updates, and a last time when the
stream ends).

In the window a failed expectation does not stop the stream (``keep_going``): the user is
watching and may want the rest.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from gui.stream.controller import Source, StreamController
from stream_core.expect.evaluator import Verdict
from stream_core.expect.runner import LiveExpectations
from stream_core.expect.syntax import Expectation
from stream_core.records import End, Observer

__all__ = ["ExpectStrip", "attach"]

#: result -> (mark, colour)
MARKS = {"pass": ("✓", "#2f855a"), "fail": ("✗", "#c53030"), "skip": ("–", "#718096"),
         None: ("…", "#718096")}


def attach(controller: StreamController, expectations: list[Expectation]) -> LiveExpectations:
    """Evaluate ``expectations`` on ``controller``'s records (before ``start()``)."""
    live = LiveExpectations(expectations, report=lambda _v: None, keep_going=True,
                            request_body=controller.spec.body)

    def wrap(source: Source) -> Source:
        async def expecting(observer: Observer) -> End:
            return await source(live.observer(observer))
        return expecting

    controller.wrap_source(wrap)
    return live


class ExpectStrip(QFrame):
    """One mark per expectation (… open, ✓ passed, ✗ failed with why, – skipped): a
    ``Strip`` of the stream's tab (``StreamTab.add_strip``)."""

    def __init__(self, live: LiveExpectations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expectStrip")
        self.live = live
        self.label = QLabel(self)
        self.label.setObjectName("expectVerdicts")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.label, 1)
        self._shown = -1
        self.refresh()

    def verdicts(self) -> dict[int, Verdict]:
        """Each verdict by its expectation's identity (two lines may read the same)."""
        return {id(v.expectation): v for v in self.live.verdicts}

    def refresh(self, final: bool = False) -> None:
        verdicts = self.live.verdicts
        if len(verdicts) == self._shown:
            return
        self._shown = len(verdicts)
        found = self.verdicts()
        expectations = self.live.evaluator.expectations
        counts = {r: sum(v.result == r for v in verdicts) for r in ("pass", "fail", "skip")}
        head = (f"<b>Expectations</b> {counts['pass']}/{len(expectations)} passed"
                + (f", <span style='color:{MARKS['fail'][1]}'>{counts['fail']} failed</span>"
                   if counts["fail"] else ""))
        parts = [head]
        tips = []
        for exp in expectations:
            verdict = found.get(id(exp))
            mark, color = MARKS[verdict.result if verdict else None]
            text = html.escape(exp.text)
            if verdict is not None and verdict.failed:
                text += f" <i>({html.escape(verdict.message)})</i>"
            parts.append(f"<span style='color:{color}'>{mark} {text}</span>")
            tips.append(f"{mark} {exp.text}: " + (verdict.message if verdict else "not yet"))
        self.label.setText(" &nbsp;·&nbsp; ".join(parts))
        self.setToolTip("\n".join(tips))
