"""Find in a text view (Ctrl+F): a search line under the text, Enter for the next match.

Why not a dialog: the stream keeps running and the user keeps reading; the bar stays out of
the way (hidden until asked for) and Esc closes it without stopping the stream.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget


class FindBar(QWidget):
    """Finds text in ``view``; ``open()`` shows it with the focus in its search line."""

    def __init__(self, view: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.line = QLineEdit(self)
        self.line.setObjectName("findText")
        self.line.setPlaceholderText("Find (Enter: next, Shift+Enter: previous, Esc: close)")
        self.line.setClearButtonEnabled(True)
        self.line.returnPressed.connect(self.next)
        self.line.textChanged.connect(lambda _t: self.find_match(from_start=True))
        self.line.installEventFilter(self)
        self.status = QLabel(self)
        previous = QPushButton("Previous", self)
        previous.clicked.connect(self.previous)
        following = QPushButton("Next", self)
        following.clicked.connect(self.next)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(previous)
        layout.addWidget(following)
        layout.addWidget(self.status)
        self.hide()

    def open(self) -> None:
        self.show()
        self.line.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.line.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def next(self) -> bool:
        return self.find_match()

    def previous(self) -> bool:
        return self.find_match(backward=True)

    def find_match(self, *, backward: bool = False, from_start: bool = False) -> bool:
        """Select the next (or previous) match, wrapping around; False when there is none."""
        text = self.line.text()
        if not text:
            self.status.setText("")
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        if from_start:
            self.view.moveCursor(QTextCursor.MoveOperation.Start)
        found = self.view.find(text, flags)
        if not found:  # wrap around once
            self.view.moveCursor(QTextCursor.MoveOperation.End if backward
                                 else QTextCursor.MoveOperation.Start)
            found = self.view.find(text, flags)
        self.status.setText("" if found else "not found")
        return found

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Escape:
                event.accept()  # Esc closes the bar here, it does not stop the stream
                return True
            if event.type() == QEvent.Type.KeyPress:
                if event.key() == Qt.Key.Key_Escape:
                    self.close_bar()
                    return True
                if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                        and event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
                    self.previous()
                    return True
        return super().eventFilter(watched, event)
