"""The LLM sub-tab: the reply as rendered Markdown (or raw), the reasoning apart, tool calls
checked, the format detected or chosen, problems with the stream, and the timing panel.

The controller feeds ``stream_core.analysis.llm.LLMAssembler`` in its drain; this view reads
it after the throttled ``updated`` signal. The raw text grows by appending only what was added
since the last refresh; the Markdown rendering is redone at most every ``RENDER_EVERY``
seconds while the stream runs (a whole-document parse), and once at the end.

A format picker overrides detection (or reads another provider's text with a dotted JSON
path); the choice can be remembered for the host, in the settings the view is given.
"""

from __future__ import annotations

import html
import json
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gui.services.settings import LLMChoice, Settings
from gui.stream.controller import StreamController
from gui.views.elided import ElidedLabel, WrappedText, scrolling
from gui.views.llm_parts import Collapsible, TimingPanel
from stream_core.analysis.llm import FORMATS, LLMAssembler, format_title

if TYPE_CHECKING:
    from gui.views.subviews import TabContext

__all__ = ["MARKDOWN_LIMIT", "RENDER_EVERY", "LLMView", "markdown_shown"]

RENDER_EVERY = 0.25
"""Seconds between two Markdown renderings of a reply that is still streaming."""
MARKDOWN_LIMIT = 64 * 1024
"""Characters of a reply rendered as Markdown (a whole-document parse and layout: ~1.7 s
for a 600 KB reply on the shared box, with the window held); beyond them the rendered
answer says so, and the Raw text view has everything."""


def markdown_shown(markdown: str, limit: int = MARKDOWN_LIMIT) -> str:
    """What the answer renders of ``markdown``: all of it up to ``limit`` characters, else
    its beginning (cut at a paragraph, or a space) and a line saying where the rest is."""
    if len(markdown) <= limit:
        return markdown
    cut = markdown.rfind("\n\n", 0, limit)
    if cut < limit // 2:
        cut = max(markdown.rfind(" ", 0, limit), limit // 2)
    return (markdown[:cut] + f"\n\n*… {len(markdown) - cut:,} more characters: the reply is "
            f"{len(markdown):,} characters long, more than is rendered here; tick Raw text "
            "for all of it.*")
CUSTOM = "custom"


class AnswerBrowser(QTextBrowser):
    """The answer's Markdown, rendered without fetching anything: an image or link in a reply
    (it comes from the server) never loads a local file or follows a URL."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)

    def loadResource(self, type: int, name: QUrl | str) -> object:  # Qt's parameter names
        return None


class LLMView(QWidget):
    """Format row, problems, timing panel, reasoning (collapsible), answer, tool calls."""

    def __init__(self, controller: StreamController, parent: QWidget | None = None, *,
                 settings: Settings | None = None) -> None:
        """``settings``: where a format chosen for a host is remembered (none: not at all)."""
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self._shown = 0  # characters of the merged text already in the raw editor
        self._rendered_at = 0.0
        self._rendered = ""
        self._assembler = controller.llm
        self._choice_loaded = False
        self._was_running = True  # the figures say "—" for a missing finish while running
        # -- format row
        self.kind = ElidedLabel("—", self, min_chars=12)  # plain: model names are the server's
        self.kind.setObjectName("llm_kind")
        self.kind.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.picker = QComboBox(self)
        self.picker.setObjectName("llmFormat")
        self.picker.setSizeAdjustPolicy(  # not as wide as its longest format's title
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.setMinimumContentsLength(16)
        self.picker.addItem("Automatic", "")
        for name, fmt in FORMATS.items():
            self.picker.addItem(fmt.title, name)
        self.picker.addItem("Custom JSON path", CUSTOM)
        self.path = QLineEdit(self)
        self.path.setObjectName("llmPath")
        self.path.setPlaceholderText("JSON path of the text piece, e.g. choices.0.delta.content")
        self.apply = QPushButton("Apply", self)
        self.remember = QCheckBox("Remember for this host", self)
        self.remember.setObjectName("llmRemember")
        row = QHBoxLayout()
        row.addWidget(QLabel("Format:", self))
        row.addWidget(self.kind, 2)
        row.addSpacing(12)
        row.addWidget(QLabel("Read as:", self))
        row.addWidget(self.picker)
        row.addWidget(self.path, 1)
        row.addWidget(self.apply)
        row.addWidget(self.remember)
        # -- problems, timing
        self.problems = WrappedText(self, lines=4)  # a long list scrolls
        self.problems.label.setTextFormat(Qt.TextFormat.RichText)  # the server's: escaped
        self.problems.setObjectName("llmProblems")
        self.problems.label.setStyleSheet("color: #c53030;")
        self.problems.hide()
        self.timing = TimingPanel(self)
        self.values = dict(self.timing.values, kind=self.kind)
        # -- reasoning, answer, tools
        self.reasoning_text = QPlainTextEdit(self)
        self.reasoning_text.setObjectName("llmReasoning")
        self.reasoning_text.setReadOnly(True)
        self.reasoning = Collapsible("Reasoning", self.reasoning_text, self)
        self.reasoning.hide()
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("llmText")
        self.text.setReadOnly(True)
        self.text.setPlaceholderText("The assistant's reply appears here as it streams.")
        self.answer = AnswerBrowser(self)
        self.answer.setObjectName("llmAnswer")
        self.answer.setPlaceholderText("The assistant's reply appears here as it streams.")
        font = self.answer.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)  # the reply is what people read here
        self.answer.setFont(font)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.answer)
        self.stack.addWidget(self.text)
        self.raw = QCheckBox("Raw text", self)
        self.raw.setObjectName("llmRaw")
        answer_box = QWidget(self)
        answer_layout = QVBoxLayout(answer_box)
        answer_layout.setContentsMargins(0, 0, 0, 0)
        answer_head = QHBoxLayout()
        answer_head.addWidget(QLabel("<b>Answer</b>", answer_box))
        answer_head.addStretch(1)
        answer_head.addWidget(self.raw)
        answer_layout.addLayout(answer_head)
        answer_layout.addWidget(self.stack, 1)
        self.tools = QPlainTextEdit(self)
        self.tools.setObjectName("llmTools")
        self.tools.setReadOnly(True)
        self.tools.setStyleSheet("font-family: monospace;")
        self.tools.setPlaceholderText("Tool calls (arguments assembled and checked).")
        self.tools.hide()
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setChildrenCollapsible(False)
        for widget, stretch in ((self.reasoning, 1), (answer_box, 3), (self.tools, 2)):
            split.addWidget(widget)
            split.setStretchFactor(split.indexOf(widget), stretch)
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(row)
        layout.addWidget(self.problems)
        layout.addWidget(self.timing)
        layout.addWidget(split, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(page, self))  # a small window scrolls the view
        self.picker.activated.connect(self._picked)
        self.apply.clicked.connect(self._apply_path)
        self.path.returnPressed.connect(self._apply_path)
        self.remember.toggled.connect(self._remember)
        self.raw.toggled.connect(self._raw_toggled)
        self._sync_path_box()

    # -- a sub-view (gui.views.subviews) -----------------------------------------------------
    @classmethod
    def for_tab(cls, controller: StreamController, context: TabContext,
                parent: QWidget) -> LLMView:
        return cls(controller, parent, settings=context.settings)

    def title(self) -> str:
        return "LLM"

    def applies(self) -> bool:
        """Every SSE and NDJSON stream (a format can be forced), and any stream an LLM
        format was detected in."""
        c = self.controller
        mode = c.response.mode if c.response is not None else c.spec.mode.value
        return c.llm.detected or mode in ("sse", "ndjson")

    # -- the format choice -------------------------------------------------------------------
    def host(self) -> str:
        return urlsplit(self.controller.spec.url).netloc

    def choice(self) -> LLMChoice:
        data = self.picker.currentData()
        if data == CUSTOM:
            return LLMChoice("", self.path.text().strip())
        return LLMChoice(str(data or ""), "")

    def set_choice(self, choice: LLMChoice) -> None:
        """Read the stream as ``choice`` (its events read again)."""
        data = CUSTOM if choice.path else choice.fmt
        index = self.picker.findData(data)
        self.picker.setCurrentIndex(max(index, 0))
        self.path.setText(choice.path)
        self._sync_path_box()
        fmt = choice.fmt if choice.fmt in FORMATS else ""
        self.controller.set_llm_choice(fmt, choice.path)
        if self.remember.isChecked():
            self._remember(True)
        self.refresh()

    def _picked(self, _index: int) -> None:
        self._sync_path_box()
        if self.picker.currentData() == CUSTOM:
            self.path.setFocus()
            if not self.path.text().strip():
                return
        self.set_choice(self.choice())

    def _apply_path(self) -> None:
        if self.path.text().strip():
            self.picker.setCurrentIndex(self.picker.findData(CUSTOM))
        elif self.picker.currentData() == CUSTOM:
            self.picker.setCurrentIndex(0)
        self.set_choice(self.choice())

    def _sync_path_box(self) -> None:
        """The path box matters only for "Custom JSON path" (typing one and Apply picks it)."""
        custom = self.picker.currentData() == CUSTOM
        self.path.setToolTip("" if custom else "Type a path and Apply to read the stream "
                             "with it instead of a format")

    def _remember(self, on: bool) -> None:
        settings = self.settings
        if settings is not None and self.host():
            settings.set_llm_choice(self.host(), self.choice() if on else None)

    def _load_choice(self) -> None:
        """Apply the choice saved for this host, once (the window is known by then)."""
        self._choice_loaded = True
        settings = self.settings
        saved = settings.llm_choice(self.host()) if settings is not None else None
        if saved is not None:
            self.remember.blockSignals(True)
            self.remember.setChecked(True)
            self.remember.blockSignals(False)
            self.set_choice(saved)

    # -- showing -----------------------------------------------------------------------------
    def merged_text(self) -> str:
        return self.text.toPlainText()

    def _raw_toggled(self, raw: bool) -> None:
        self.stack.setCurrentWidget(self.text if raw else self.answer)
        self._render(force=True)

    def _render(self, force: bool = False) -> None:
        """The answer as Markdown (throttled while streaming; always when ``force``)."""
        if self.raw.isChecked():
            return
        a = self.controller.llm
        markdown = a.text
        if a.refusal:
            markdown = f"> **Refused:** {a.refusal}\n\n{markdown}"
        markdown = markdown_shown(markdown)
        if markdown == self._rendered:
            return
        now = time.monotonic()
        if not force and now - self._rendered_at < RENDER_EVERY:
            return
        bar = self.answer.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.answer.setMarkdown(markdown)
        self._rendered, self._rendered_at = markdown, now
        if at_end:
            bar.setValue(bar.maximum())

    def refresh(self, final: bool = False) -> None:
        """The reply as it stands (``final`` or not: the figures follow the controller)."""
        if not self._choice_loaded:
            self._load_choice()
        c = self.controller
        a = c.llm
        if a is not self._assembler:  # another format or path: start over
            self._assembler = a
            self._shown = 0
            self._rendered = ""
            self.text.clear()
            a.changed = True
        if not a.changed and c.running == self._was_running:
            return
        a.changed = False
        self._was_running = c.running
        text = a.text
        if len(text) > self._shown:
            bar = self.text.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 2
            cursor = self.text.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text[self._shown:])
            self._shown = len(text)
            if at_end:
                bar.setValue(bar.maximum())
        self._render(force=not c.running)
        self._show_format(a)
        self.timing.show_figures(a, c.running)
        reasoning = a.reasoning
        if reasoning != self.reasoning_text.toPlainText():
            self.reasoning_text.setPlainText(reasoning)
        title = f"Reasoning ({len(reasoning):,} characters" + (", signed)" if a.signature
                                                                 else ")")
        if title != self.reasoning.title:  # the signature comes after the text
            self.reasoning.set_title(title)
        self.reasoning.setVisible(bool(reasoning))
        self._show_tools(a)

    def _show_format(self, a: LLMAssembler) -> None:
        detected = format_title(a.kind) if a.kind else (
            "not an LLM stream (yet)" if not a.given_up else "no known format")
        self.kind.setText(detected + (f" ({a.model})" if a.model else ""))
        if self.picker.currentData() == "" and a.kind:
            self.picker.setItemText(0, f"Automatic ({format_title(a.kind)})")
        lines = []
        if a.error:
            lines.append(f"<b>The provider reported an error:</b> {html.escape(a.error)}")
        problems = [str(p) for p in a.problems
                    if not p.message.startswith("the provider reported an error")]
        if problems:
            lines.append(f"<b>This stream breaks the {format_title(a.kind)} format "
                         f"({len(problems)} problem{'s' if len(problems) > 1 else ''}):</b>")
            lines += [f"• {html.escape(p)}" for p in problems[:8]]
            if len(problems) > 8:
                lines.append(f"… and {len(problems) - 8} more")
        self.problems.setText("<br>".join(lines))
        self.problems.setVisible(bool(lines))

    def _show_tools(self, a: LLMAssembler) -> None:
        blocks = []
        checks = a.tool_problems()
        for i, call in a.tool_calls.items():
            errors = checks[i]
            if not errors:
                status = ("valid JSON, matches the declared schema" if call.name in a.tools
                          else "valid JSON")
            elif self.controller.running and call.parsed()[1] is not None:
                status = "arguments still arriving"
            else:
                status = "INVALID: " + "; ".join(errors)
            blocks.append(f"#{call.index} {call.name or '?'}  id={call.id or '—'}  ({status})\n"
                          f"{call.pretty()}")
        text = "\n\n".join(blocks)
        if text != self.tools.toPlainText():
            self.tools.setPlainText(text)
        self.tools.setVisible(bool(blocks))
        if blocks and not a.text:
            self.answer.setPlaceholderText("No text in this reply: the model called a tool "
                                           "(below).")

    def tool_arguments(self) -> list[object]:
        """Parsed arguments of each tool call (tests compare them with the server's)."""
        return [json.loads(c.arguments) for c in self.controller.llm.tool_calls.values()]
