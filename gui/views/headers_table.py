"""The request headers editor: a two-column table whose secret values are masked on screen.

A screenshot or a screen share should not leak a bearer token, so values of headers such as
``Authorization``, ``Cookie`` and anything named like an API key or token are drawn as dots;
the editor still receives the real value, and ``Show secrets`` reveals them on purpose.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

SECRET_NAME = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie)$|api[-_]?key|token|secret|password",
    re.IGNORECASE)
MASK = "••••••••"


def is_secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name.strip()))


def mask(name: str, value: str) -> str:
    """What the screen shows for a header value: dots for secrets (keeping a scheme word)."""
    if not is_secret(name) or not value:
        return value
    scheme, sep, _ = value.partition(" ")
    if sep and scheme.lower() in ("bearer", "basic", "token", "digest"):
        return f"{scheme} {MASK}"
    return MASK


class _MaskingDelegate(QStyledItemDelegate):
    """Draws secret values masked; editing shows the real text."""

    def __init__(self, table: HeadersTable) -> None:
        super().__init__(table)
        self._table = table

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        if index.column() == 1 and not self._table.reveal:
            name = index.sibling(index.row(), 0).data() or ""
            option.text = mask(str(name), option.text)


class HeadersTable(QWidget):
    """Editable (name, value) rows with add/remove buttons and a reveal toggle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reveal = False
        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("headersTable")
        self.table.setHorizontalHeaderLabels(["Name", "Value"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 180)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setItemDelegateForColumn(1, _MaskingDelegate(self))
        self.table.setMinimumHeight(48)  # a row in sight; the window must fit 640 px
        add = QPushButton("Add", self)
        add.clicked.connect(lambda: self.add_row("", "", edit=True))
        remove = QPushButton("Remove", self)
        remove.clicked.connect(self._remove_selected)
        self.show_secrets = QCheckBox("Show secrets", self)
        self.show_secrets.toggled.connect(self._set_reveal)
        # Headers the app adds by itself (Content-Type for a JSON body): shown, and sent
        # unless unticked; a row of the user's with the same name overrides them.
        self.automatic = QCheckBox(self)
        self.automatic.setObjectName("automaticHeaders")
        self.automatic.setChecked(True)
        self.automatic.setToolTip("Added because of the body; untick to leave it out, or add"
                                  " a row with the same name to send another value")
        self.automatic.hide()
        self._automatic: list[tuple[str, str]] = []
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        buttons.addWidget(self.show_secrets)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.automatic)
        layout.addLayout(buttons)

    def set_automatic(self, headers: list[tuple[str, str]]) -> None:
        """Offer ``headers`` as automatic, but not those the user's rows override."""
        mine = {name.lower() for name, _ in self.headers()}
        self._automatic = [(k, v) for k, v in headers if k.lower() not in mine]
        text = ", ".join(f"{k}: {v}" for k, v in self._automatic)
        self.automatic.setText(f"Automatic: {text}")
        self.automatic.setVisible(bool(self._automatic))

    def automatic_headers(self) -> list[tuple[str, str]]:
        """The automatic headers that will be sent."""
        return list(self._automatic) if self.automatic.isChecked() else []

    def _set_reveal(self, on: bool) -> None:
        self.reveal = on
        self.table.viewport().update()

    def add_row(self, name: str, value: str, edit: bool = False) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        name_item = QTableWidgetItem(name)
        self.table.setItem(row, 0, name_item)
        self.table.setItem(row, 1, QTableWidgetItem(value))
        if edit:
            self.table.setCurrentCell(row, 0)
            self.table.editItem(name_item)

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)

    def headers(self) -> list[tuple[str, str]]:
        """Rows with a name, in order (empty rows ignored)."""
        out = []
        for row in range(self.table.rowCount()):
            name_item, value_item = self.table.item(row, 0), self.table.item(row, 1)
            name = name_item.text().strip() if name_item else ""
            value = value_item.text().strip() if value_item else ""
            if name:
                out.append((name, value))
        return out

    def set_headers(self, headers: list[tuple[str, str]]) -> None:
        self.table.setRowCount(0)
        for name, value in headers:
            self.add_row(name, value)

    def displayed_value(self, row: int) -> str:
        """The value as drawn on screen (masked unless revealed); for tests and screenshots."""
        name_item, value_item = self.table.item(row, 0), self.table.item(row, 1)
        name = name_item.text() if name_item else ""
        value = value_item.text() if value_item else ""
        return value if self.reveal else mask(name, value)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        hint.setHeight(120)
        return hint


__all__ = ["HeadersTable", "is_secret", "mask"]
