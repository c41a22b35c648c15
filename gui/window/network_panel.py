"""The editor's *Network* tab: HTTP/2, a CA bundle, a client certificate and key (mutual TLS),
a proxy (``http://``, ``https://``, ``socks5://``) and whether the environment's
``HTTP(S)_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` apply (on by default, as in curl).

Timeouts and redirects stay on the *Options* tab. The values apply to each request sent and
are remembered as the defaults for the next run (``Settings.network``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from stream_core.net.spec import RequestSpec


@dataclass(slots=True)
class NetworkOptions:
    http2: bool = False
    ca_bundle: str = ""
    cert: str = ""
    cert_key: str = ""
    proxy: str = ""
    trust_env: bool = True

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> NetworkOptions:
        opts = cls()
        for f in fields(cls):
            if isinstance(obj.get(f.name), type(getattr(opts, f.name))):
                setattr(opts, f.name, obj[f.name])
        return opts

    def check(self) -> None:
        """ValueError naming a file that is not there or a proxy URL that is not one."""
        for what, path in (("CA bundle", self.ca_bundle), ("client certificate", self.cert),
                           ("client key", self.cert_key)):
            if path and not Path(path).expanduser().is_file():
                raise ValueError(f"the {what} {path!r} is not a readable file (Network tab)")
        if self.cert_key and not self.cert:
            raise ValueError("a client key needs its certificate (Network tab)")
        scheme = self.proxy.split("://", 1)[0].lower() if "://" in self.proxy else ""
        if self.proxy and scheme not in ("http", "https", "socks5", "socks5h"):
            raise ValueError(f"proxy {self.proxy!r}: use http://, https:// or socks5://HOST:PORT"
                             " (Network tab)")

    def apply(self, spec: RequestSpec) -> None:
        self.check()
        spec.http2 = spec.http2 or self.http2
        if self.ca_bundle and spec.verify is True:
            spec.verify = str(Path(self.ca_bundle).expanduser())
        spec.cert = str(Path(self.cert).expanduser()) if self.cert else None
        spec.cert_key = str(Path(self.cert_key).expanduser()) if self.cert_key else None
        spec.proxy = self.proxy or None
        spec.trust_env = self.trust_env


class NetworkPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.http2 = QCheckBox("Offer HTTP/2 (TLS servers that accept it)", self)
        self.ca_bundle = self._path("PEM file of CA certificates to trust")
        self.cert = self._path("client certificate (PEM) for mutual TLS")
        self.cert_key = self._path("its private key, if not in the certificate file")
        self.proxy = QLineEdit(self)
        self.proxy.setObjectName("proxyEdit")
        self.proxy.setPlaceholderText("http://127.0.0.1:3128 or socks5://127.0.0.1:1080")
        self.trust_env = QCheckBox("Use the environment's proxy settings (HTTP_PROXY,"
                                   " HTTPS_PROXY, ALL_PROXY, NO_PROXY)", self)
        form = QFormLayout(self)
        form.addRow(self.http2)
        form.addRow("CA bundle:", self._row(self.ca_bundle))
        form.addRow("Client certificate:", self._row(self.cert))
        form.addRow("Client key:", self._row(self.cert_key))
        form.addRow("Proxy:", self.proxy)
        form.addRow(self.trust_env)
        self.set_values(NetworkOptions())

    def _path(self, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(placeholder)
        return edit

    def _row(self, edit: QLineEdit) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        browse = QPushButton("…", row)
        browse.setMaximumWidth(32)
        browse.clicked.connect(lambda: self._browse(edit))
        layout.addWidget(browse)
        return row

    def _browse(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", edit.text() or str(
            Path.home()), "PEM files (*.pem *.crt *.key);;All files (*)")
        if path:
            edit.setText(path)

    def _fields(self) -> dict[str, QCheckBox | QLineEdit]:
        return {"http2": self.http2, "ca_bundle": self.ca_bundle, "cert": self.cert,
                "cert_key": self.cert_key, "proxy": self.proxy, "trust_env": self.trust_env}

    def values(self) -> NetworkOptions:
        return NetworkOptions(http2=self.http2.isChecked(), ca_bundle=self.ca_bundle.text().strip(),
                              cert=self.cert.text().strip(),
                              cert_key=self.cert_key.text().strip(),
                              proxy=self.proxy.text().strip(),
                              trust_env=self.trust_env.isChecked())

    def set_values(self, opts: NetworkOptions) -> None:
        for name, widget in self._fields().items():
            value = getattr(opts, name)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            else:
                widget.setText(str(value))

    def to_json(self) -> dict[str, Any]:
        return asdict(self.values())


__all__ = ["NetworkOptions", "NetworkPanel"]
