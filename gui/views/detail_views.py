"""Detail panes: a JSON value as an expandable tree, bytes as a hex + text dump.

Both cap what they render (nodes, bytes) so selecting a multi-MiB event or chunk stays instant;
the caps are stated in the pane rather than silently applied.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stream_core.records import loads_bounded

MAX_NODES = 5000
MAX_TEXT = 1024 * 1024
MAX_HEX = 64 * 1024


def scalar_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def fill_json_tree(tree: QTreeWidget, value: Any, max_nodes: int = MAX_NODES) -> int:
    """Replace the tree's contents with ``value``; returns the number of nodes made."""
    tree.clear()
    count = 0

    def add(parent: QTreeWidget | QTreeWidgetItem, key: str, val: Any, depth: int) -> None:
        nonlocal count
        if count >= max_nodes:
            return
        count += 1
        if isinstance(val, dict):
            item = QTreeWidgetItem(parent, [key, f"{{{len(val)}}}", "object"])
            for k, v in val.items():
                add(item, str(k), v, depth + 1)
        elif isinstance(val, list):
            item = QTreeWidgetItem(parent, [key, f"[{len(val)}]", "array"])
            for i, v in enumerate(val):
                add(item, str(i), v, depth + 1)
        else:
            kind = ("null" if val is None else "bool" if isinstance(val, bool)
                    else "number" if isinstance(val, int | float) else "string")
            item = QTreeWidgetItem(parent, [key, scalar_text(val)[:2000], kind])
        if depth < 3:
            item.setExpanded(True)

    add(tree, "(root)", value, 0)
    if count <= 200:
        tree.expandAll()
    if count >= max_nodes:
        QTreeWidgetItem(tree, ["…", f"only the first {max_nodes} nodes are shown", ""])
    return count


#: Bytes as the ASCII column of a hex dump shows them: printable ones as they are, others as ".".
_PRINTABLE = bytes(b if 32 <= b < 127 else ord(".") for b in range(256))


def hex_dump(data: bytes, base_offset: int = 0, limit: int = MAX_HEX) -> str:
    """Classic 16-bytes-per-line dump: offset, hex pairs, printable ASCII."""
    shown = bytes(data[:limit])
    lines = [f"{base_offset + i:08x}  {shown[i:i + 16].hex(' '):<47}  "
             f"{shown[i:i + 16].translate(_PRINTABLE).decode('ascii')}"
             for i in range(0, len(shown), 16)]
    if len(data) > limit:
        lines.append(f"… {len(data) - limit:,} more bytes not shown")
    return "\n".join(lines)


class PayloadView(QWidget):
    """Shows one payload: JSON as a tree, anything else as text, with a caption line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setObjectName("detailCaption")
        self.caption.setTextFormat(Qt.TextFormat.RichText)  # callers escape what they quote
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Key", "Value", "Type"])
        self.tree.setColumnWidth(0, 160)
        self.tree.setColumnWidth(1, 260)
        self.tree.setUniformRowHeights(True)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(mono)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.tree)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.stack, 1)
        self.clear("Select a row to see its data.")

    def clear(self, caption: str = "") -> None:
        self.caption.setText(caption)
        self.text.clear()
        self.tree.clear()
        self.stack.setCurrentWidget(self.text)

    def show_text(self, caption: str, text: str, try_json: bool = True) -> None:
        """Show ``text``; as a JSON tree when it parses as an object or array."""
        self.caption.setText(caption)
        stripped = text.strip()
        if try_json and stripped[:1] in ("{", "[") and len(stripped) <= 8 * MAX_TEXT:
            try:
                value = loads_bounded(stripped)
            except ValueError as exc:
                if "nested deeper" in str(exc):  # say why it is not a tree
                    self.caption.setText(f"{caption} (not shown as a tree: {exc})")
            else:
                fill_json_tree(self.tree, value)
                self.stack.setCurrentWidget(self.tree)
                return
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT] + f"\n… {len(text) - MAX_TEXT:,} more characters not shown"
        self.text.setPlainText(text)
        self.stack.setCurrentWidget(self.text)

    def show_value(self, caption: str, value: Any) -> None:
        self.caption.setText(caption)
        fill_json_tree(self.tree, value)
        self.stack.setCurrentWidget(self.tree)
