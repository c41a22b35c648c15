"""The LLM sub-tab: the assistant's reply as it grows, tool calls as JSON, finish and usage.

The controller feeds ``stream_core.analysis.llm.LLMAssembler`` in its drain; this view reads it after
the throttled ``updated`` signal and appends only the text added since the last refresh, so
a long reply costs one small insert per refresh. A dotted JSON path (``choices.0.delta.text``)
covers providers whose chunks have another shape.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.stream.controller import StreamController

KIND_NAMES = {"openai": "OpenAI chat completion", "anthropic": "Anthropic messages",
              "custom": "custom JSON path"}


class LLMView(QWidget):
    """Merged text (top), tool calls (bottom), figures and the JSON-path box."""

    def __init__(self, controller: StreamController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._shown = 0  # characters of the merged text already in the editor
        self._assembler = controller.llm
        self.values: dict[str, QLabel] = {}
        row = QHBoxLayout()
        for key, title in (("kind", "Format"), ("finish", "Finish"), ("ttft", "First token"),
                           ("speed", "Tokens/s"), ("usage", "Usage")):
            name = QLabel(title + ":", self)
            name.setProperty("class", "summaryName")
            value = QLabel("—", self)
            value.setTextFormat(Qt.TextFormat.PlainText)  # model names come from the server
            value.setObjectName(f"llm_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            row.addWidget(name)
            row.addWidget(value)
            row.addSpacing(10)
            self.values[key] = value
        row.addStretch(1)
        self.path = QLineEdit(self)
        self.path.setObjectName("llmPath")
        self.path.setPlaceholderText("JSON path of the text piece for other providers, "
                                     "e.g. choices.0.delta.content (empty: automatic)")
        self.apply = QPushButton("Apply", self)
        path_row = QHBoxLayout()
        path_row.addWidget(QLabel("Text path:", self))
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.apply)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("llmText")
        self.text.setReadOnly(True)
        self.text.setPlaceholderText("The assistant's reply appears here as it streams.")
        font = self.text.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)  # the reply is what people read here
        self.text.setFont(font)
        self.tools = QPlainTextEdit(self)
        self.tools.setObjectName("llmTools")
        self.tools.setReadOnly(True)
        self.tools.setFont(mono)
        self.tools.setPlaceholderText("Tool calls (arguments assembled and checked as JSON).")
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.text)
        split.addWidget(self.tools)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(row)
        layout.addLayout(path_row)
        layout.addWidget(split, 1)
        self.apply.clicked.connect(self._apply_path)
        self.path.returnPressed.connect(self._apply_path)

    def _apply_path(self) -> None:
        self.controller.set_llm_path(self.path.text().strip())
        self.refresh()

    def merged_text(self) -> str:
        return self.text.toPlainText()

    def refresh(self) -> None:
        a = self.controller.llm
        if a is not self._assembler:  # a new path: start over
            self._assembler = a
            self._shown = 0
            self.text.clear()
            a.changed = True
        if not a.changed:
            return
        a.changed = False
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
        v = self.values
        v["kind"].setText(KIND_NAMES.get(a.kind or "", "—") + (f" ({a.model})" if a.model else ""))
        v["finish"].setText(a.finish_reason or ("—" if self.controller.running else "none"))
        ttft = a.first_token_t
        v["ttft"].setText(f"{ttft * 1000:.0f} ms" if ttft is not None else "—")
        tps = a.tokens_per_second()
        v["speed"].setText(f"{tps:,.1f}" if tps is not None else "—")
        v["usage"].setText(", ".join(f"{k} {val}" for k, val in (a.usage or {}).items()
                                     if isinstance(val, int)) or "—")
        blocks = []
        for call in a.tool_calls.values():
            _value, error = call.parsed()
            status = "valid JSON" if error is None else (
                f"incomplete/invalid JSON: {error}" if self.controller.ended else
                "arguments still arriving")
            blocks.append(f"#{call.index} {call.name or '?'}  id={call.id or '—'}  ({status})\n"
                          f"{call.pretty()}")
        self.tools.setPlainText("\n\n".join(blocks))
        self.tools.setVisible(bool(blocks))
        if blocks and not text:
            self.text.setPlaceholderText("No text in this reply: the model called a tool "
                                         "(below).")

    def tool_arguments(self) -> list[object]:
        """Parsed arguments of each tool call (tests compare them with the server's)."""
        return [json.loads(c.arguments) for c in self.controller.llm.tool_calls.values()]
