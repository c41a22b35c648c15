"""A non-modal dialog that shows unhandled failures: the message and a *Copy details* button.

Why non-modal (``show()``, never ``exec()``): a failure can come from inside a coroutine or a
drain, and a nested event loop there would re-enter the very code that failed. One dialog
per window collects the failures: the latest message on top, every traceback in the details,
and where the log file is.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ErrorDialog"]


class ErrorDialog(QDialog):
    """The failures seen so far; ``report()`` adds one and shows the dialog (non-modal)."""

    def __init__(self, parent: QWidget | None = None, log_file: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle("Stream Inspector: something failed")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.count = 0
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where = f"The log file {log_file} has the details too." if log_file else ""
        self.where = QLabel(where, self)
        self.where.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("&Copy details", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.where)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(640, 360)

    def report(self, message: str, details: str) -> None:
        """Add a failure and show the dialog without blocking (never ``exec()``)."""
        self.count += 1
        more = f" ({self.count} failures so far)" if self.count > 1 else ""
        self.message.setText(message + more)
        self.details.appendPlainText(details.rstrip() + "\n")
        self.show()
        self.raise_()

    def copy_details(self) -> None:
        """Put the message and every traceback on the clipboard (for a bug report)."""
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.message.text() + "\n\n" + self.details.toPlainText())
