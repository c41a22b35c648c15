"""The editor's *Auth* tab: Bearer token, Basic user / password, or an API key in a header or
a query parameter. Values are masked on screen (a *Show* box reveals them), may be
``{{variables}}``, and are applied at send time (``stream_core.requests.auth``), so History,
which keeps the editor's headers, never holds them.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from stream_core.requests.auth import Auth

KINDS = (("No auth", "none"), ("Bearer token", "bearer"), ("Basic (user / password)", "basic"),
         ("API key", "apikey"))


class AuthPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox(self)
        self.kind.setObjectName("authKind")
        for label, kind in KINDS:
            self.kind.addItem(label, kind)
        self.token = self._secret("token, or {{variable}}")
        self.user = QLineEdit(self)
        self.user.setPlaceholderText("user, or {{variable}}")
        self.password = self._secret("password, or {{variable}}")
        self.key_name = QLineEdit("X-API-Key", self)
        self.key_value = self._secret("key, or {{variable}}")
        self.key_in = QComboBox(self)
        self.key_in.addItems(["Header", "Query parameter"])
        self.show_values = QCheckBox("Show", self)
        self.show_values.toggled.connect(self._reveal)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(QWidget(self))
        for rows in ((("Token:", self.token),),
                     (("User:", self.user), ("Password:", self.password)),
                     (("Name:", self.key_name), ("Value:", self.key_value), ("In:", self.key_in))):
            page = QWidget(self)
            form = QFormLayout(page)
            form.setContentsMargins(0, 0, 0, 0)
            for label, widget in rows:
                form.addRow(label, widget)
            self.pages.addWidget(page)
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        type_row = QHBoxLayout()  # "Show" beside the type: below the fields it was clipped
        type_row.addWidget(self.kind, 1)
        type_row.addWidget(self.show_values)
        top = QFormLayout()
        top.addRow("Type:", type_row)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages)
        layout.addStretch(1)

    def _secret(self, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText(placeholder)
        return edit

    def _reveal(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        for edit in (self.token, self.password, self.key_value):
            edit.setEchoMode(mode)

    def auth(self) -> Auth:
        return Auth(kind=str(self.kind.currentData()), token=self.token.text().strip(),
                    user=self.user.text().strip(), password=self.password.text(),
                    key_name=self.key_name.text().strip(),
                    key_value=self.key_value.text().strip(),
                    in_query=self.key_in.currentIndex() == 1)

    def set_auth(self, auth: Auth) -> None:
        self.kind.setCurrentIndex(max(self.kind.findData(auth.kind), 0))
        self.token.setText(auth.token)
        self.user.setText(auth.user)
        self.password.setText(auth.password)
        self.key_name.setText(auth.key_name)
        self.key_value.setText(auth.key_value)
        self.key_in.setCurrentIndex(1 if auth.in_query else 0)


__all__ = ["AuthPanel"]
