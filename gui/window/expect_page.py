"""The request editor's *Expect* tab: the request's expectations, one per line, checked as
they are typed (the same language and messages as ``capture --expect``).

Why in the editor: expectations belong to a request (they are saved with it, as ``# @expect``
lines of its ``.http`` file), and a typo must show before the request is sent, with the line
and column, not as a tab that fails for a reason nobody wrote.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from stream_core.expect.syntax import Expectation, ExpectationError, ExpectSyntaxError, parse

__all__ = ["ExpectationsPage"]

PLACEHOLDER = ("One expectation per line, checked live while the stream runs, e.g.\n"
               "status == 200\nfirst_event < 500ms\ngap.max < 2s\n"
               'every event.data is json or == "[DONE]"\nllm.finish_reason == stop')


class ExpectationsPage(QWidget):
    """One expectation per line; ``lines()`` as written, ``expectations()`` parsed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("expectEdit")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText(PLACEHOLDER)
        self.text.setMinimumHeight(40)
        self.status = QLabel(self)
        self.status.setObjectName("expectStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        self.text.textChanged.connect(self._check)
        self._check()

    def lines(self) -> list[str]:
        """The expectations as written (blank lines left out)."""
        return [line.strip() for line in self.text.toPlainText().splitlines() if line.strip()]

    def set_lines(self, lines: list[str] | None) -> None:
        self.text.setPlainText("\n".join(lines or ()))

    def expectations(self, base_dir: Path | None = None) -> list[Expectation]:
        """Every line parsed (``matches FILE`` relative to ``base_dir``); ExpectationError
        naming the line and column of the first mistake."""
        out = []
        for number, line in enumerate(self.text.toPlainText().splitlines(), 1):
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip())
            try:
                out.append(parse(line.strip(), base_dir=base_dir))
            except ExpectSyntaxError as exc:
                raise ExpectationError(f"expectation line {number}, column"
                                       f" {indent + exc.column}: {exc.message}") from None
        return out

    def _check(self) -> None:
        try:
            self.expectations()
        except ExpectationError as exc:
            if "cannot read schema" not in str(exc):  # a schema is looked up when sending
                self.status.setText(str(exc))
                self.status.setStyleSheet("color: #c53030;")
                return
        n = len(self.lines())
        self.status.setStyleSheet("color: palette(mid);")
        self.status.setText(f"{n} expectation{'s' if n != 1 else ''}, checked live on the"
                            " stream; saved as # @expect lines" if n else
                            "No expectations: the stream is only shown")
