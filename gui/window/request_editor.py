"""The request editor: method, URL, mode, headers, body, options, auth and network settings,
turned into the RequestSpec that is sent.

Validation happens here, before anything is sent: a bad URL or header is reported in the
editor's message line (``validationFailed``) and no request leaves the app. The editor owns
every tab of the request (Body, Headers, Options, Auth, Network) and applies them all in
``outgoing``; ``{{variables}}`` are resolved by the ``resolve`` it is built with (the window's
collections), so nothing is grafted onto it from outside.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.services import resources
from gui.services.settings import HistoryEntry, RequestOptions
from gui.views.headers_table import HeadersTable
from gui.window.auth_panel import AuthPanel
from gui.window.expect_page import ExpectationsPage
from gui.window.network_panel import NetworkPanel
from gui.window.request_origin import RequestOrigin, body_warning
from stream_core.capture.cliargs import ArgumentError, check_url, parse_header
from stream_core.capture.masking import mask_headers, mask_url
from stream_core.net.spec import DecodeGuard, Mode, RequestSpec, Timeouts
from stream_core.records import loads_bounded
from stream_core.requests.auth import apply_auth, encode_basic

#: ``{{variables}}`` -> values: (text, where) -> text; raises ValueError naming an undefined one.
Resolve = Callable[[str, str], str]

#: Bytes in a MiB (the Options tab gives the longest line in MiB).
MIB = 1024 * 1024
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MODES = (("Auto", Mode.AUTO), ("SSE", Mode.SSE), ("NDJSON", Mode.NDJSON),
         ("Lines", Mode.LINES), ("Raw", Mode.RAW), ("Download", Mode.DOWNLOAD))


@dataclass(slots=True)
class EndpointFill:
    """What choosing an endpoint puts in the editor."""

    method: str
    url: str
    body: str = ""
    mode: Mode = Mode.AUTO
    headers: list[tuple[str, str]] | None = None
    expectations: list[str] | None = None  # ``# @expect`` lines of a saved request


def json_status(text: str) -> tuple[bool | None, str]:
    """(valid?, message) for a body: None when the body does not look like JSON."""
    stripped = text.strip()
    if not stripped:
        return None, "empty body"
    if stripped[0] not in "{[":
        return None, "text body"
    try:
        loads_bounded(stripped)
    except json.JSONDecodeError as exc:
        return False, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except ValueError as exc:  # nested deeper than loads_bounded allows
        return False, f"invalid JSON: {exc}"
    return True, "valid JSON"


def history_as_sent(entry: HistoryEntry, spec: RequestSpec) -> HistoryEntry:
    """What History keeps of a request that used ``{{variables}}``: the request as sent, its
    secrets (headers, query, user info) masked, so no environment secret lands in the
    settings file in clear. A request without variables is kept as typed."""
    typed = [entry.url, entry.body, *(v for h in entry.headers for v in h)]
    if not any("{{" in t for t in typed):
        return entry
    body = spec.body.decode("utf-8", "replace") if spec.body else ""
    return HistoryEntry(spec.method, mask_url(spec.url), mask_headers(spec.headers), body,
                        entry.mode)


class Outgoing(NamedTuple):
    """A request ready to go: ``spec`` as sent (variables resolved, the Auth and Network
    tabs applied) and ``history``, what History keeps of it (never the Auth tab's
    credentials, never an environment's secret in clear)."""

    spec: RequestSpec
    history: HistoryEntry


class RequestEditor(QWidget):
    """Edits one request.

    Signals:
        sendRequested(): Send clicked (or Ctrl+Enter via the window's action).
        stopRequested(): Stop clicked.
        validationFailed(str): the message shown when ``build_spec`` refused the input.
        filled(object): a whole request was put in the editor (the ``EndpointFill``): the
            Collections panel tells its own requests from the rest (an endpoint, History, a
            pasted curl command), which Save must never write over a loaded request.
        noticed(str): something the user should know, the request still goes (a GET with a
            body; what a URL of another host changed).
    """

    sendRequested = Signal()
    stopRequested = Signal()
    validationFailed = Signal(str)
    filled = Signal(object)
    noticed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, resolve: Resolve | None = None) -> None:
        """``resolve``: what ``{{variables}}`` mean at send time (the window's collections;
        left as typed without it)."""
        super().__init__(parent)
        self.resolve: Resolve = resolve or (lambda text, _where: text)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.method = QComboBox(self)
        self.method.setEditable(True)
        self.method.addItems(list(METHODS))
        self.method.setMinimumWidth(96)
        self.url = QLineEdit(self)
        self.url.setObjectName("urlEdit")
        self.url.setPlaceholderText("https://host/path?query  (Ctrl+Enter sends, Esc stops)")
        self.url.setClearButtonEnabled(True)
        self.url.returnPressed.connect(self.sendRequested)
        self.mode = QComboBox(self)
        for label, mode in MODES:
            self.mode.addItem(label, mode.value)
        self.mode.activated.connect(self._mode_chosen)
        self.send_button = QPushButton(resources.icon("send"), "Send", self)
        self.send_button.setToolTip("Send the request in a new tab (Ctrl+Enter)")
        self.send_button.clicked.connect(self.sendRequested)
        self.send_button.setDefault(True)
        self.stop_button = QPushButton(resources.icon("stop"), "Stop", self)
        self.stop_button.setToolTip("Stop the stream of the current tab (Esc)")
        self.stop_button.clicked.connect(self.stopRequested)

        top = QHBoxLayout()
        top.addWidget(self.method)
        top.addWidget(self.url, 1)
        top.addWidget(QLabel("Mode:", self))
        top.addWidget(self.mode)
        top.addWidget(self.send_button)
        top.addWidget(self.stop_button)

        self.message = QLabel(self)
        self.message.setObjectName("editorMessage")
        self.message.setStyleSheet("color: #c53030;")
        self.message.setWordWrap(True)
        self.url.textChanged.connect(lambda _t: self.message.hide())

        self.headers = HeadersTable(self)
        self.headers.table.itemChanged.connect(lambda _item: self._update_automatic())
        self.headers.table.model().rowsRemoved.connect(lambda *_a: self._update_automatic())
        self.body = QPlainTextEdit(self)
        self.body.setObjectName("bodyEdit")
        self.body.setFont(mono)
        self.body.setPlaceholderText("Request body (JSON is checked as you type)")
        self.body.textChanged.connect(self._check_body)
        self.body.setMinimumHeight(40)  # the window must fit 640 px; the splitter gives more
        # Editing the URL keeps the request; a URL of another host is another request, looked
        # at once the URL is typed (the field left, or Send), never halfway through a host.
        self.origin = RequestOrigin(self.url, self.method, self.body,
                                    lambda: self.set_mode(Mode.AUTO), self)
        self.origin.noticed.connect(self.noticed)
        self.json_label = QLabel("empty body", self)
        self.json_label.setObjectName("jsonStatus")
        body_page = QWidget(self)
        body_layout = QVBoxLayout(body_page)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.body)
        body_layout.addWidget(self.json_label)

        self.connect_timeout = self._spin(0.1, 600.0, 10.0)
        self.read_timeout = self._spin(0.1, 86400.0, 300.0)
        self.follow_redirects = QCheckBox("Follow redirects", self)
        self.verify_tls = QCheckBox("Verify TLS certificates", self)
        self.reconnect = QCheckBox("Auto-reconnect (EventSource rules, Last-Event-ID)", self)
        self.identity = QCheckBox("Accept-Encoding: identity (no compression)", self)
        self.max_line = self._spin(0.01, 4096.0, 16.0)
        self.max_line.setDecimals(2)
        self.max_line.setToolTip("A longer SSE event or NDJSON/text line is skipped with a"
                                 " decode error; the stream goes on (capture --max-line)")
        self.decode_guard = QCheckBox("Stop decompression bombs (over 64 MiB and 200x)", self)
        self.decode_guard.setToolTip("A compressed body that inflates past 64 MiB and 200"
                                     " times its size is stopped with a decode error")
        options_page = QWidget(self)
        form = QFormLayout(options_page)
        form.addRow("Connect timeout (s):", self.connect_timeout)
        form.addRow("Read timeout (s):", self.read_timeout)
        form.addRow("Longest line or event (MiB):", self.max_line)
        checks = QGridLayout()  # two by two: the editor must fit a 1024 px window
        for i, box in enumerate((self.follow_redirects, self.verify_tls, self.reconnect,
                                 self.identity, self.decode_guard)):
            checks.addWidget(box, i // 2, i % 2)
        checks.setColumnStretch(2, 1)
        form.addRow(checks)
        self.set_options(RequestOptions())

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(body_page, "Body")
        self.tabs.addTab(self.headers, "Headers")
        self.auth = AuthPanel(self)  # applied at send time, so History never holds it
        self.network = NetworkPanel(self)  # remembered by the window (Settings.network)
        for page, title in ((options_page, "Options"), (self.auth, "Auth"),
                            (self.network, "Network")):
            scroll = QScrollArea(self)  # scrolls rather than make the editor taller
            scroll.setWidget(page)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            self.tabs.addTab(scroll, title)
        self.expect = ExpectationsPage(self)  # the request's expectations, checked live
        self.tabs.insertTab(3, self.expect, "Expect")  # after Options, before Auth and Network
        self.headers.automatic.toggled.connect(lambda _on: self._update_automatic())
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.message.hide()

    def _spin(self, lo: float, hi: float, value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setRange(lo, hi)
        spin.setDecimals(1)
        spin.setValue(value)
        return spin

    # -- body --------------------------------------------------------------------------------
    def _check_body(self) -> None:
        valid, text = json_status(self.body.toPlainText())
        self.json_label.setText(("✔ " if valid else "✘ " if valid is False else "") + text)
        self.json_label.setProperty("valid", "" if valid is None else str(valid).lower())
        self.json_label.style().unpolish(self.json_label)
        self.json_label.style().polish(self.json_label)
        self._update_automatic()

    def _update_automatic(self) -> None:
        """Content-Type: application/json goes with a JSON body the user gave no type."""
        is_json = json_status(self.body.toPlainText())[0] is True
        self.headers.set_automatic([("Content-Type", "application/json")] if is_json else [])
        if hasattr(self, "tabs"):  # (the body is checked once before the tabs exist)
            mine, auto = len(self.headers.headers()), len(self.headers.automatic_headers())
            text = "Headers" + (f" ({mine})" if mine else "") + (" +auto" if auto else "")
            index = self.tabs.indexOf(self.headers)
            if self.tabs.tabText(index) != text:
                self.tabs.setTabText(index, text)

    # -- options -----------------------------------------------------------------------------
    def options(self) -> RequestOptions:
        return RequestOptions(
            connect_timeout=self.connect_timeout.value(),
            read_timeout=self.read_timeout.value(),
            follow_redirects=self.follow_redirects.isChecked(),
            verify_tls=self.verify_tls.isChecked(),
            reconnect=self.reconnect.isChecked(),
            identity_encoding=self.identity.isChecked(),
            max_line_mib=self.max_line.value(),
            decode_guard=self.decode_guard.isChecked())

    def set_options(self, opts: RequestOptions) -> None:
        self.connect_timeout.setValue(opts.connect_timeout)
        self.read_timeout.setValue(opts.read_timeout)
        self.follow_redirects.setChecked(opts.follow_redirects)
        self.verify_tls.setChecked(opts.verify_tls)
        self.reconnect.setChecked(opts.reconnect)
        self.identity.setChecked(opts.identity_encoding)
        self.max_line.setValue(opts.max_line_mib)
        self.decode_guard.setChecked(opts.decode_guard)

    # -- filling -----------------------------------------------------------------------------
    def mode_value(self) -> Mode:
        return Mode(self.mode.currentData())

    def set_mode(self, mode: Mode | str) -> None:
        index = self.mode.findData(Mode(mode).value)
        if index >= 0:
            self.mode.setCurrentIndex(index)

    def _mode_chosen(self, _index: int) -> None:
        self.origin.mode_kept = False  # the user's own choice stays whatever the URL

    def fill(self, fill: EndpointFill) -> None:
        """Load a whole request into the editor: nothing of the previous one stays."""
        self.method.setCurrentText(fill.method.upper())
        self.url.setText(fill.url)
        self.body.setPlainText(fill.body)
        self.set_mode(fill.mode)
        self.headers.set_headers(list(fill.headers or []))
        self.expect.set_lines(fill.expectations)
        self.headers.automatic.setChecked(True)
        self._update_automatic()
        self.tabs.setCurrentIndex(0)
        self.message.hide()
        self.origin.loaded(mode_kept=fill.mode != Mode.AUTO)
        self.filled.emit(fill)

    def load_history(self, entry: HistoryEntry) -> None:
        self.fill(EndpointFill(entry.method, entry.url, entry.body, Mode(entry.mode),
                               list(entry.headers)))

    def load_spec(self, spec: RequestSpec) -> None:
        """Show a request given on the command line, so the user sees what was sent."""
        body = spec.body.decode("utf-8", "replace") if spec.body else ""
        self.fill(EndpointFill(spec.method, spec.url, body, spec.mode, list(spec.headers)))
        opts = self.options()
        opts.connect_timeout = spec.timeouts.connect or opts.connect_timeout
        opts.read_timeout = spec.timeouts.read or opts.read_timeout
        opts.follow_redirects = spec.follow_redirects
        opts.verify_tls = spec.verify is not False
        opts.reconnect = spec.reconnect
        opts.identity_encoding = spec.identity_encoding
        opts.max_line_mib = spec.max_line / MIB
        opts.decode_guard = spec.decode_guard.enabled
        self.set_options(opts)

    def history_entry(self) -> HistoryEntry:
        return HistoryEntry(self.method.currentText().strip().upper(), self.url.text().strip(),
                            self.headers.headers(), self.body.toPlainText(),
                            self.mode_value().value)

    # -- building ----------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()
        self.validationFailed.emit(message)

    def build_spec(self) -> RequestSpec | None:
        """The request as it would be sent, or None after showing why it cannot be."""
        outgoing = self.outgoing()
        return outgoing.spec if outgoing is not None else None

    def outgoing(self) -> Outgoing | None:
        """The request as sent and what History keeps of it, or None after showing why it
        cannot be sent."""
        self.origin.check()  # (Ctrl+Enter sends with the focus still in the URL)
        try:
            spec = self._build()
            history = history_as_sent(self.history_entry(), spec)  # before the credentials
            url, headers = apply_auth(self.auth.auth(), spec.url, spec.headers, self.resolve)
            self.network.values().apply(spec)
        except (ArgumentError, ValueError) as exc:
            self.show_error(str(exc))
            return None
        spec.url, spec.headers = url, encode_basic(headers)
        self.message.hide()
        warning = body_warning(spec.method, spec.body)
        if warning:
            self.noticed.emit(warning)
        return Outgoing(spec, history)

    def _build(self) -> RequestSpec:
        url = self.url.text().strip()
        if not url:
            raise ArgumentError("enter a URL to send the request to")
        url = self.resolve(url, "the URL")
        if "://" not in url:
            scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):/+", url)
            if scheme is not None:  # "htp:/bad", "http:/host": a scheme, badly written
                rest = url[scheme.end():]
                raise ArgumentError(f"invalid URL {url!r}: write it as http://{rest} or "
                                    f"https://{rest} (two slashes after the scheme)")
            raise ArgumentError(f"invalid URL {url!r}: it needs a scheme, like http://{url}")
        check_url(url)
        method = self.method.currentText().strip().upper()
        if not method.isalpha():
            raise ArgumentError(f"bad method {method!r}")
        headers = [parse_header(f"{k}: {self.resolve(v, f'header {k!r}')}")
                   for k, v in self.headers.headers() + self.headers.automatic_headers()]
        text = self.resolve(self.body.toPlainText(), "the body")
        body = text.encode("utf-8") if text else None
        opts = self.options()
        return RequestSpec(
            url=url, method=method, headers=headers, body=body, mode=self.mode_value(),
            timeouts=Timeouts(connect=opts.connect_timeout, read=opts.read_timeout),
            follow_redirects=opts.follow_redirects, verify=opts.verify_tls,
            reconnect=opts.reconnect, identity_encoding=opts.identity_encoding,
            max_line=max(1, round(opts.max_line_mib * MIB)),
            decode_guard=DecodeGuard(enabled=opts.decode_guard))
