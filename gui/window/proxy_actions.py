"""The window's recording proxy: *Proxy > Start recording proxy…*, live tabs, the proxy panel.

The proxy (``stream_core.net.proxy_server.ProxyThread``) runs in a thread with its own asyncio loop:
forwarding never waits for the window. Its observers, called on the proxy's thread, only
append ``(exchange, record)`` to a deque and, when the window has not been told yet, schedule
one wake-up on the window's loop (``call_soon_threadsafe``): nothing blocks, nothing is
dropped, and a frozen window just finds more in the deque when it wakes. The window side then
hands each exchange's records to its tab's ``StreamController`` through a record source (as
opened captures do), so a proxied exchange has every view and can be saved, exported and
replayed like any tab.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QSpinBox,
    QTableView,
    QTabWidget,
    QWidget,
)

from gui.stream.models import RowListModel

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from gui.stream.controller import StreamController
    from gui.views.stream_tab import StreamTab
    from stream_core.net.clients import ClientSource
    from stream_core.net.proxy import Exchange
    from stream_core.net.proxy_server import ProxyThread
    from stream_core.records import AnyRecord, End, Observer

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex


@dataclass(eq=False)
class _Row:
    """One exchange as the panel lists it, and what its tab's source has not taken yet."""

    exchange: Exchange
    started: float = field(default_factory=time.monotonic)
    status: int | None = None
    size: int = 0
    duration: float | None = None
    ended: bool = False
    pending: list[AnyRecord] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    controller: StreamController | None = None
    gone: bool = False  # its tab stopped listening (stopped or closed)


class ExchangesModel(RowListModel):
    """The proxy panel's rows: method, path, status, duration, size."""

    HEADERS = ("#", "Method", "Path", "Status", "Duration", "Size")
    COL_ID, COL_METHOD, COL_PATH, COL_STATUS, COL_DURATION, COL_SIZE = range(6)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__([], parent)
        self.rows: list[_Row] = []

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        from stream_core.analysis.formatting import fmt_size

        row = self.rows[index.row()]
        col = index.column()
        if col == self.COL_ID:
            return str(row.exchange.id)
        if col == self.COL_METHOD:
            return row.exchange.method
        if col == self.COL_PATH:
            return row.exchange.target
        if col == self.COL_STATUS:
            return "…" if row.status is None else str(row.status)
        if col == self.COL_DURATION:
            seconds = row.duration if row.duration is not None \
                else time.monotonic() - row.started
            return f"{seconds * 1000:,.0f} ms" + ("" if row.ended else " …")
        return fmt_size(row.size)

    def add(self, row: _Row) -> None:
        n = len(self.rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self.rows.append(row)
        self.endInsertRows()

    def refresh(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, self.COL_STATUS),
                                  self.index(len(self.rows) - 1, self.COL_SIZE))


class ProxyFeed:
    """The bridge between the proxy's thread and the window's loop (see the module doc)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deliver: Any) -> None:
        self.loop = loop
        self.deliver = deliver  # called on the window's loop with the batch
        self.queue: deque[tuple[Exchange, AnyRecord | None]] = deque()
        self.told = False

    def __call__(self, exchange: Exchange) -> Observer:
        """On the proxy's thread: a new exchange; the observer of its records."""
        self.put(exchange, None)

        def observer(record: AnyRecord) -> None:
            self.put(exchange, record)
        return observer

    def put(self, exchange: Exchange, record: AnyRecord | None) -> None:
        self.queue.append((exchange, record))
        if not self.told:
            self.told = True
            try:
                self.loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # the window's loop is closed: nobody is watching
                pass

    def drain(self) -> None:
        """On the window's loop: everything queued so far, in order."""
        self.told = False  # before taking: a record put meanwhile schedules another drain
        queue = self.queue
        batch = [queue.popleft() for _ in range(len(queue))]
        if batch:
            self.deliver(batch)


class StartDialog(QDialog):
    """Target URL and port (0: a free one); non-modal, ``accepted`` starts the proxy."""

    def __init__(self, parent: QWidget, target: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Start recording proxy")
        self.target = QLineEdit(target, self)
        self.target.setPlaceholderText("https://api.openai.com/v1")
        # Room for a whole base URL (it was a few characters wide: issue 23.15).
        self.target.setMinimumWidth(self.target.fontMetrics().horizontalAdvance("x" * 48))
        self.port = QSpinBox(self)
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("any free port")
        form = QFormLayout(self)
        form.addRow("Forward to (base URL):", self.target)
        form.addRow("Listen on 127.0.0.1, port:", self.port)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class ProxyHost(Protocol):
    """What the proxy actions need of the window (the main window has all of it); this
    module never imports the window."""

    @property
    def clients(self) -> ClientSource: ...
    @property
    def tabs(self) -> QTabWidget: ...
    @property
    def closed(self) -> SignalInstance: ...
    @property
    def server_url(self) -> str | None: ...

    def add_stream_tab(self, controller: StreamController) -> StreamTab: ...


class ProxyActions(QObject):
    """The Proxy menu, the proxy panel, and the proxy's life (stops with the window).

    ``proxy`` is the running ``ProxyThread`` (or None), ``model`` the panel's exchanges,
    ``last_message`` what the status bar was last told (the ``proxy`` demo reports it).
    """

    def __init__(self, window: QMainWindow, host: ProxyHost) -> None:
        """``window`` holds the menu, the dock and the messages; ``host`` (the same window)
        gives the clients and the stream tabs."""
        super().__init__(window)
        self.window = window
        self.host = host
        self.proxy: ProxyThread | None = None
        self.feed: ProxyFeed | None = None
        self.rows: dict[int, _Row] = {}
        self.last_message = ""
        self.last_target = ""
        self.model = ExchangesModel(self)
        self.table = QTableView()
        self.table.setObjectName("proxyExchanges")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, width in ((ExchangesModel.COL_ID, 40), (ExchangesModel.COL_METHOD, 70),
                           (ExchangesModel.COL_STATUS, 60), (ExchangesModel.COL_DURATION, 90),
                           (ExchangesModel.COL_SIZE, 90)):
            self.table.setColumnWidth(col, width)
        header.setSectionResizeMode(ExchangesModel.COL_PATH, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.activated.connect(self._show_row)
        self.table.clicked.connect(self._show_row)
        self.dock = QDockWidget("Proxy", window)
        self.dock.setObjectName("proxyDock")
        self.dock.setWidget(self.table)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        menu = window.menuBar().addMenu("&Proxy")
        self.start_action = QAction("&Start recording proxy…", window)
        self.start_action.triggered.connect(lambda _c=False: self.start_dialog())
        self.stop_action = QAction("S&top proxy", window)
        self.stop_action.setEnabled(False)
        self.stop_action.triggered.connect(lambda _c=False: self.stop())
        for action in (self.start_action, self.stop_action, self.dock.toggleViewAction()):
            menu.addAction(action)
        host.closed.connect(self.stop)

    def notify(self, message: str, ms: int = 15000) -> None:
        self.last_message = message
        self.window.statusBar().showMessage(message, ms)

    def start_dialog(self) -> StartDialog:
        # The demo server until another target was used: the proxy works at once, and the
        # URL shows what a target looks like.
        dialog = StartDialog(self.window, self.last_target or self.host.server_url or "")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.start(dialog.target.text().strip(),
                                                   dialog.port.value()))
        dialog.open()
        return dialog

    def start(self, target: str, port: int = 0) -> str | None:
        """Start the proxy in front of ``target`` on 127.0.0.1:``port``; its URL, or None (and
        a status message) when it cannot."""
        from stream_core.net.proxy import base_url_hint, check_target
        from stream_core.net.proxy_server import ProxyThread

        self.stop()
        try:
            target = check_target(target)
            self.last_target = target
            self.feed = ProxyFeed(asyncio.get_event_loop(), self._deliver)
            proxy = ProxyThread(target, self.feed, port=port)
            url = proxy.start()
        except (ValueError, OSError, RuntimeError) as exc:
            self.notify(f"Cannot start the proxy: {exc}")
            return None
        self.proxy = proxy
        self.stop_action.setEnabled(True)
        self.dock.show()
        self.window.resizeDocks([self.dock], [150], Qt.Orientation.Vertical)
        self.dock.setWindowTitle(f"Proxy: {url} → {target}")
        self.notify(f"Recording proxy on {url} → {target}: point your app at it "
                    f"({base_url_hint(target, url)}).", 60000)
        return url

    def stop(self) -> None:
        """Stop the proxy (open exchanges end, their tabs keep what arrived)."""
        proxy, self.proxy = self.proxy, None
        if proxy is None:
            return
        proxy.stop()
        if self.feed is not None:
            self.feed.drain()  # what the proxy said before it stopped
        self.stop_action.setEnabled(False)
        self.dock.setWindowTitle("Proxy (stopped)")
        self.notify("Proxy stopped.", 5000)

    @property
    def running(self) -> bool:
        return self.proxy is not None and self.proxy.running

    # -- exchanges -------------------------------------------------------------------------
    def _deliver(self, batch: list[tuple[Exchange, AnyRecord | None]]) -> None:
        from stream_core.records import End, Request, Response

        touched: set[int] = set()
        for exchange, record in batch:
            row = self.rows.get(exchange.id)
            if row is None:
                row = self._open(exchange)
            if record is None:
                continue
            if isinstance(record, Request):
                if row.controller is not None:
                    row.controller.spec.headers = list(record.headers)
            elif isinstance(record, Response):
                row.status = record.status
            elif record.type == "chunk":
                row.size += record.size
            elif isinstance(record, End):
                row.ended, row.duration = True, record.duration
                if row.status is None:  # the proxy's own answer: 502, 400, 414, 431
                    row.status = exchange.status
            if exchange.body_done and row.controller is not None:
                row.controller.spec.body = exchange.request_body or None
            if not row.gone:
                row.pending.append(record)
                touched.add(exchange.id)
        for key in touched:
            self.rows[key].wake.set()
        self.model.refresh()

    def _open(self, exchange: Exchange) -> _Row:
        from gui.stream.controller import StreamController
        from stream_core.net.spec import RequestSpec

        row = _Row(exchange)
        self.rows[exchange.id] = row
        self.model.add(row)
        spec = RequestSpec(exchange.url, method=exchange.method)
        controller = StreamController(self.host.clients, spec, self.window,
                                      source=self._source(row))
        controller.proxied = True
        row.controller = controller
        self.host.add_stream_tab(controller)
        return row

    def _source(self, row: _Row) -> Any:
        async def source(observer: Observer) -> End:
            from stream_core.records import End

            try:
                while True:
                    batch, row.pending = row.pending, []
                    for record in batch:
                        observer(record)
                        if isinstance(record, End):
                            return record
                    row.wake.clear()
                    await row.wake.wait()
            finally:
                row.gone = True
                row.pending = []
        return source

    def _show_row(self, index: QModelIndex) -> None:
        rows = self.model.rows
        if not index.isValid() or index.row() >= len(rows):
            return
        controller = rows[index.row()].controller
        tabs = self.host.tabs
        for i in range(tabs.count()):
            if getattr(tabs.widget(i), "controller", None) is controller:
                tabs.setCurrentIndex(i)
                return
        self.notify("That exchange's tab was closed.", 4000)
