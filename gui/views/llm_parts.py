"""Pieces of the LLM sub-tab: the gap histogram, a collapsible section, the timing panel.

Why apart from ``llm_view``: the view composes them and decides what to show; these only
draw what they are given.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.views.elided import ElidedLabel
from stream_core.analysis.formatting import fmt_s
from stream_core.analysis.llm import HISTOGRAM_EDGES, LLMAssembler, Timing, server_rate

__all__ = ["BIN_LABELS", "Collapsible", "GapHistogram", "TimingPanel", "timing_texts"]


def _edge(seconds: float) -> str:
    return f"{seconds * 1000:g}" if seconds < 1 else f"{seconds:g}s"


BIN_LABELS = ("<1ms", *(f"<{_edge(e)}" for e in HISTOGRAM_EDGES[1:]),
              f"≥{_edge(HISTOGRAM_EDGES[-1])}")
"""One label per histogram bin (milliseconds unless said)."""


class GapHistogram(QWidget):
    """Bars of inter-token gap counts, one per bin of ``HISTOGRAM_EDGES``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("llmHistogram")
        self.counts: tuple[int, ...] = (0,) * len(BIN_LABELS)
        self.setMinimumHeight(64)
        self.setToolTip("Inter-token gaps: how many fell in each range")

    def sizeHint(self) -> QSize:
        return QSize(max(300, self.minimumSizeHint().width()), 72)

    def minimumSizeHint(self) -> QSize:
        """Wide enough for every bin's label side by side (narrower, they overlapped)."""
        metrics = self.fontMetrics()
        slot = max(metrics.horizontalAdvance(label) for label in BIN_LABELS) + 4
        return QSize(slot * len(BIN_LABELS), 64)

    def set_counts(self, counts: tuple[int, ...]) -> None:
        if counts != self.counts:
            self.counts = counts
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        label_h = p.fontMetrics().height()
        n = len(self.counts)
        slot = w / n
        top = max(self.counts) or 1
        bar_area = h - label_h - 4
        text_color = self.palette().color(self.foregroundRole())
        for i, count in enumerate(self.counts):
            bar_h = bar_area * count / top
            rect = QRectF(i * slot + 3, bar_area - bar_h, slot - 6, bar_h)
            p.fillRect(rect, QColor("#3182ce"))
            p.setPen(text_color)
            if count:
                p.drawText(QRectF(i * slot, 0, slot, bar_area), Qt.AlignmentFlag.AlignHCenter
                           | Qt.AlignmentFlag.AlignBottom, str(count))
            p.drawText(QRectF(i * slot, h - label_h, slot, label_h),
                       Qt.AlignmentFlag.AlignCenter, BIN_LABELS[i])
        p.end()


class Collapsible(QWidget):
    """A titled section whose body folds away (the reasoning, kept apart from the answer)."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.body = body
        self.toggle = QToolButton(self)
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        layout.addWidget(body, 1)
        self.toggle.toggled.connect(self._toggled)
        self.set_title(title)

    def set_title(self, title: str) -> None:
        self.title = title
        self.toggle.setText(title)
        self._toggled(self.toggle.isChecked())

    def _toggled(self, open_: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.body.setVisible(open_)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()


def timing_texts(a: LLMAssembler, running: bool, tm: Timing | None = None) -> dict[str, str]:
    """The timing panel's values, by key (``tm``: ``a.timing()``, if already made)."""
    tm = tm or a.timing()
    out = {"ttft": fmt_s(tm.ttft)}
    if tm.burst:
        out["rate"] = f"delivered in one burst ({a.deltas:,} deltas in {fmt_s(tm.span)})"
    elif tm.tokens_per_s is not None:
        out["rate"] = f"{tm.tokens_per_s:,.1f} tokens/s over {fmt_s(tm.span)}"
    else:
        out["rate"] = "—"
    out["gaps"] = ("—" if tm.gap_p50 is None else
                   f"p50 {fmt_s(tm.gap_p50)} · p95 {fmt_s(tm.gap_p95)} · max {fmt_s(tm.gap_max)}")
    provider = a.provider_output_tokens()
    count = f"{a.deltas:,} deltas (ours)"
    out["tokens"] = count + (f" · {provider:,} output tokens (provider)" if provider else "")
    usage = ", ".join(f"{k} {v:,}" for k, v in (a.usage or {}).items()
                      if isinstance(v, int) and not isinstance(v, bool))
    out["usage"] = usage or "—"
    rate = server_rate(a.usage)
    if rate is not None:
        out["rate"] += f" · server: {rate:,.1f} tokens/s"
    out["finish"] = a.finish_reason or ("—" if running else "none")
    return out


TIMING_FIELDS = (("ttft", "First token"), ("rate", "Rate"), ("gaps", "Gaps"),
                 ("tokens", "Tokens"), ("usage", "Usage"), ("finish", "Finish"))


class TimingPanel(QWidget):
    """Time to first token, rate (or "one burst"), gaps, counts, usage, histogram."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("llmTiming")
        self.values: dict[str, ElidedLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        for row, (key, title) in enumerate(TIMING_FIELDS):
            name = QLabel(title + ":", self)
            name.setProperty("class", "summaryName")
            value = ElidedLabel("—", self)  # plain text: usage keys come from the server
            value.setObjectName(f"llm_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.values[key] = value
        self.histogram = GapHistogram(self)
        grid.addWidget(self.histogram, 0, 2, len(TIMING_FIELDS), 1)
        grid.setColumnStretch(1, 1)  # long values elide: the histogram keeps its half
        grid.setColumnStretch(2, 1)

    def show_figures(self, a: LLMAssembler, running: bool) -> None:
        tm = a.timing()  # once: O(tokens log tokens), 0.6 s for 100k tokens on the shared box
        for key, text in timing_texts(a, running, tm).items():
            if self.values[key].text() != text:
                self.values[key].setText(text)
        self.histogram.set_counts(tm.histogram)
