"""The left panel: endpoints from an OpenAPI document (grouped by tag) and the request history.

Loading is a coroutine on the shared client; a failure shows in the panel's status line and
leaves the previous list in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from gui.services.settings import HistoryEntry
from gui.services.tooltips import plain_tip
from gui.window.history_panel import HistoryPanel
from gui.window.request_editor import EndpointFill
from stream_core.capture.cliargs import ArgumentError, check_url
from stream_core.net.spec import RequestSpec, Timeouts
from stream_core.records import loads_bounded
from stream_core.requests import openapi

if TYPE_CHECKING:  # httpx and the engine: imported on the first load, after the window shows
    from stream_core.net.clients import ClientSource

ROLE = Qt.ItemDataRole.UserRole
MIN_WIDTH = 220


#: Widest the Path column grows to fit its paths (px).
PATH_WIDTH = 230


class EndpointTree(QTreeWidget):
    """The endpoints tree, which never scrolls sideways by itself.

    Why: Qt scrolls an item view to show the column of the current cell, so a click on a
    summary (or a demo choosing an endpoint) slid the narrow tree right and hid the Method
    column (issue 23.16). Rows still scroll into view; only the user moves it sideways.
    """

    def scrollTo(self, index: QModelIndex | QPersistentModelIndex,
                 hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
                 ) -> None:
        bar = self.horizontalScrollBar()
        left = bar.value()
        super().scrollTo(index, hint)
        bar.setValue(left)


class EndpointPicker(QWidget):
    """Endpoints tree + history list.

    Signals:
        endpointChosen(object): an ``EndpointFill`` for the editor (click on an endpoint).
        historyChosen(object): a ``HistoryEntry`` (click on a history row).
        loaded(int): an OpenAPI document was loaded with this many endpoints.
        loadFailed(str): loading failed; the message is also shown in the panel.
    """

    endpointChosen = Signal(object)
    historyChosen = Signal(object)
    loaded = Signal(int)
    loadFailed = Signal(str)

    def __init__(self, clients: ClientSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clients = clients
        self.base_url = ""
        self.endpoints: list[openapi.Endpoint] = []

        self.source = QLineEdit(self)
        self.source.setObjectName("openapiUrl")
        self.source.setPlaceholderText("http://host:port/openapi.json")
        self.source.returnPressed.connect(self.load_clicked)
        self.load_button = QPushButton("Load", self)
        self.load_button.setToolTip("List the endpoints of any server that serves OpenAPI")
        self.load_button.clicked.connect(self.load_clicked)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(self.load_button)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setObjectName("pickerStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # a server's title and errors: text

        self.tree = EndpointTree(self)
        self.tree.setObjectName("endpointTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Method", "Path", "Summary"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnWidth(0, self.tree.fontMetrics().horizontalAdvance("OPTIONS") + 40)
        self.tree.setColumnWidth(1, 186)
        self.tree.header().setStretchLastSection(True)  # Summary takes what is left
        # Narrower than this the panel is unreadable ("/lo"): the splitter collapses it instead.
        self.setMinimumWidth(MIN_WIDTH)
        self.tree.itemClicked.connect(self._item_clicked)
        self.tree.itemActivated.connect(self._item_clicked)

        self.history_panel = HistoryPanel(self)
        self.history = self.history_panel.list
        self.history_panel.chosen.connect(self.historyChosen)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.tree, "Endpoints")
        self.tabs.addTab(self.history_panel, "History")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 0, 4)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

    # -- OpenAPI -----------------------------------------------------------------------------
    @asyncSlot()
    async def load_clicked(self) -> None:
        await self.load(self.source.text().strip())

    async def load(self, url: str) -> bool:
        """Fetch ``url`` (an OpenAPI document, or a base URL) and list its endpoints."""
        if url and "/openapi" not in url and not url.endswith(".json"):
            url = url.rstrip("/") + "/openapi.json"
        try:
            check_url(url)
        except ArgumentError as exc:
            self._fail(str(exc))
            return False
        self.source.setText(url)
        self.load_button.setEnabled(False)
        self.status.setText(f"Loading {url} …")
        import httpx

        try:
            client = self._clients.for_spec(RequestSpec(url, timeouts=Timeouts(10, 10)))
            response = await client.get(url, timeout=10.0)
            response.raise_for_status()
            doc = loads_bounded(response.content)  # deep nesting: ValueError
            if not isinstance(doc, dict) or "paths" not in doc:
                raise ValueError("not an OpenAPI document (no 'paths')")
        except (httpx.HTTPError, ValueError) as exc:
            self._fail(f"Could not load {url}: {exc}")
            return False
        finally:
            self.load_button.setEnabled(True)
        self.set_document(doc, url)
        return True

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.status.setStyleSheet("color: #c53030;")
        self.loadFailed.emit(message)

    def set_document(self, doc: dict[str, object], url: str) -> None:
        """Show the endpoints of ``doc`` (fetched from ``url``) grouped by tag.

        Needs no httpx: the demo server's snapshot is shown this way before the window shows.
        """
        parts = urlsplit(url)
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.endpoints = openapi.parse(doc)
        info = doc.get("info")
        title = str(info.get("title", "")) if isinstance(info, dict) else ""
        self.tree.clear()
        for tag in openapi.tag_order(doc, self.endpoints):
            group = QTreeWidgetItem(self.tree, [tag])
            group.setFirstColumnSpanned(True)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for ep in self.endpoints:
                if ep.tag != tag:
                    continue
                item = QTreeWidgetItem(group, [ep.method, ep.path, ep.summary])
                item.setData(0, ROLE, ep)
                item.setToolTip(2, plain_tip(ep.description or ep.summary))
                item.setToolTip(1, plain_tip(ep.example_path))
            group.setExpanded(True)
        # Whole paths, up to PATH_WIDTH: one very long path (Gemini's) must not push the
        # summaries out of sight; a longer path is elided, whole in its tooltip.
        self.tree.resizeColumnToContents(1)
        self.tree.setColumnWidth(1, min(self.tree.columnWidth(1), PATH_WIDTH))
        self.status.setStyleSheet("")
        self.status.setText(f"{title or 'API'}: {len(self.endpoints)} endpoints")
        self.loaded.emit(len(self.endpoints))

    def find_endpoint(self, method: str, path: str) -> QTreeWidgetItem | None:
        """The tree item of an endpoint (for tests and demos)."""
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            if group is None:
                continue
            for j in range(group.childCount()):
                item = group.child(j)
                ep = item.data(0, ROLE) if item is not None else None
                if ep is not None and ep.method == method.upper() and ep.path == path:
                    return item
        return None

    def choose(self, item: QTreeWidgetItem) -> None:
        self.tree.setCurrentItem(item)
        self._item_clicked(item, 0)

    def _item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        ep = item.data(0, ROLE)
        if isinstance(ep, openapi.Endpoint):
            self.endpointChosen.emit(
                EndpointFill(ep.method, ep.url(self.base_url), ep.body, ep.mode))

    # -- history -----------------------------------------------------------------------------
    def set_history(self, entries: list[HistoryEntry], server_url: str | None = None) -> None:
        """List ``entries`` (as stored: demo-server ones rebased on ``server_url``)."""
        self.history_panel.set_entries(entries, server_url)


__all__ = ["EndpointPicker"]
