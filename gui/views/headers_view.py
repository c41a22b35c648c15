"""The Headers sub-tab: the request as sent and the response status line and headers."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from gui.views.headers_table import mask
from stream_core.records import Request, Response, header_text

if TYPE_CHECKING:
    from gui.stream.controller import StreamController
    from gui.views.subviews import TabContext


def _headers_html(headers: list[tuple[str, str]]) -> str:
    """The values decoded for people (records keep their bytes, see ``header_text``)."""
    rows = "".join(
        f"<tr><td style='color:#2b6cb0;padding-right:12px'><b>{html.escape(header_text(k))}"
        f"</b></td><td>{html.escape(mask(k, header_text(v)))}</td></tr>" for k, v in headers)
    return f"<table cellspacing='0' cellpadding='1'>{rows}</table>"


def render(requests: list[Request], responses: list[Response]) -> str:
    """HTML for every request/response pair (reconnects add pairs), newest last."""
    if not requests:
        return "<p style='color:gray'>Connecting…</p>"
    parts = []
    connection = 0
    for i, req in enumerate(requests):
        redirected = i > 0 and i - 1 < len(responses) and responses[i - 1].mode == "redirect"
        connection += 0 if redirected else 1
        title = ("Request" if len(requests) == 1
                 else f"Redirected ({responses[i - 1].status}): request" if redirected
                 else f"Connection {connection}: request")
        parts.append(f"<h3>{title}</h3><p><tt><b>{html.escape(req.method)}</b> "
                     f"{html.escape(req.url)}</tt></p>{_headers_html(req.headers)}")
        if i < len(responses):
            resp = responses[i]
            color = "#2f855a" if resp.status < 400 else "#c53030"
            parts.append(
                f"<h3>Response</h3><p><tt><b style='color:{color}'>{html.escape(resp.http_version)}"
                f" {resp.status} {html.escape(resp.reason)}</b></tt>"
                f" &nbsp; (after {resp.t * 1000:.1f} ms; mode <b>{html.escape(resp.mode)}</b>)</p>"
                f"{_headers_html(resp.headers)}")
    return "".join(parts)


class HeadersView(QWidget):
    """Read-only rendering; secrets in request headers stay masked here too."""

    def __init__(self, controller: StreamController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("headersBrowser")
        self.browser.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.browser)
        self._shown = (-1, -1)

    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> HeadersView:
        return cls(controller, parent)

    def title(self) -> str:
        return "Headers"

    def applies(self) -> bool:
        return True

    def refresh(self, final: bool = False) -> None:
        self.update_from(self.controller.requests, self.controller.responses)

    def update_from(self, requests: list[Request], responses: list[Response]) -> None:
        key = (len(requests), len(responses))
        if key != self._shown:
            self._shown = key
            self.browser.setHtml(render(requests, responses))
