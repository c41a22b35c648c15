"""The main window: composes the picker, the request editor and the stream tabs, plus menus.

Behaviour lives in ``StreamController``; the window only wires signals, keeps the list of
controllers (every task referenced), and persists geometry and splitters on close.

Importing this module is cheap (no httpx, engine or plots): the stream tab's modules are
imported when the window is built or its first tab opens, after the entry point has started
the embedded server (see ``gui.app.lifetime``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeGuard

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTabWidget, QWidget
from qasync import asyncSlot

from gui.services import resources
from gui.services.settings import HistoryEntry, Settings
from gui.services.tooltips import plain_tip
from gui.views.tab_strip import TabStrip
from gui.window.download_folder import DownloadFolder
from gui.window.editor_split import EditorSplitter
from gui.window.endpoint_picker import EndpointPicker
from gui.window.network_panel import NetworkOptions
from gui.window.proxy_actions import ProxyActions
from gui.window.quit_guard import QuitGuard
from gui.window.request_editor import EndpointFill, RequestEditor
from gui.window.send_path import SendPath
from gui.window.shortcuts import Shortcuts
from stream_core.net.spec import RequestSpec

if TYPE_CHECKING:
    from gui.stream.controller import Source, State, StreamController
    from gui.views.stream_tab import StreamTab
    from gui.window.capture_actions import CaptureActions
    from gui.window.collections_hookup import Collections
    from stream_core.expect.syntax import Expectation
    from stream_core.net.clients import ClientSource
    from stream_core.records import End, Observer

DEFAULT_SIZE = (1400, 900)
MIN_PANE = 260  # the left pane's width when it is shown again after a collapse
MAX_PANE = 520  # the widest the left pane grows by itself with the window
COMFORTABLE_RIGHT = 900  # below this, the request and stream side takes from the left pane


class MainWindow(QMainWindow):
    """Picker | (editor / tabs).

    The window composes; its features (collections, download folder, proxy, shortcuts,
    warm-up, capture actions) each take the window as a narrow host ``Protocol`` declared in
    their own module and never import this one.

    Signals:
        closed(): the window was closed (the app then stops streams and quits).
        streamStarted(object): a ``StreamController`` was created and started.
    """

    closed = Signal()
    streamStarted = Signal(object)

    def __init__(self, settings: Settings, clients: ClientSource, server_url: str | None,
                 download_dir: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.clients = clients
        self.server_url = server_url
        self.downloads = DownloadFolder(self, self, download_dir)
        self.sending = SendPath(self)  # Send and Send-and-save-as: the one way out
        self.controllers: list[StreamController] = []
        self._tab_splitters: dict[str, QByteArray] = {}  # last sizes the user gave a tab's panes
        self._stopping: set[asyncio.Task[None]] = set()
        self._pane_width = MIN_PANE
        self._shown = False
        self._auto_pane = True
        self._closed_future: asyncio.Future[None] | None = None
        self._server_ready: asyncio.Future[None] | None = None  # see server_starting()
        self.was_closed = False
        self._collections: Collections | None = None  # see the property
        self.setWindowTitle("Stream Inspector")
        self.setWindowIcon(resources.icon(resources.APP_ICON))

        self.picker = EndpointPicker(clients, self)
        self.editor = RequestEditor(self, resolve=self._resolve)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("streamTabs")
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.placeholder = QLabel(
            "<h2>No stream yet</h2><p>Pick an endpoint on the left (or type a URL above),"
            " then press <b>Send</b> (Ctrl+Enter).<br>Each request opens a tab here;"
            " Esc stops the current one.</p>", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: palette(placeholder-text);")
        self._show_placeholder()

        self.right = EditorSplitter(self)  # the editor a third of the height until moved
        self.right.addWidget(self.editor)
        self.right.addWidget(self.tabs)
        self.right.setStretchFactor(1, 1)
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.addWidget(self.picker)
        self.main_split.addWidget(self.right)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setCollapsible(0, True)  # drag it away, or View > Endpoints pane
        self.main_split.setCollapsible(1, False)
        self.main_split.setSizes([430, 970])
        self.setCentralWidget(self.main_split)

        self.server_label = QLabel(self)
        self.server_label.setObjectName("serverLabel")
        self.server_label.setText(f"Demo server: {server_url}" if server_url
                                  else "Demo server: off (--no-server)")
        self.statusBar().addPermanentWidget(self.server_label)

        self._build_actions()
        self.proxy = ProxyActions(self, self)  # Proxy menu and panel; the proxy on demand
        self.shortcuts = Shortcuts(self, self)  # Ctrl+L, Ctrl+F, the Help menu
        self.quit_guard = QuitGuard(self, self)  # asks before quitting with streams running
        self._captures: CaptureActions | None = None
        self.setAcceptDrops(True)  # drop capture files to open them
        self.picker.endpointChosen.connect(self._endpoint_chosen)
        self.picker.historyChosen.connect(self.editor.load_history)
        self.editor.sendRequested.connect(lambda: self.send())
        self.editor.stopRequested.connect(self.stop_current)
        self.editor.validationFailed.connect(
            lambda msg: self.statusBar().showMessage(f"Not sent: {msg}", 8000))
        # Queued: a notice at Send shows after (not under) the "Sent ..." message.
        self.editor.noticed.connect(lambda msg: self.statusBar().showMessage(msg, 10000),
                                    Qt.ConnectionType.QueuedConnection)
        self._restore()
        self.tabs.currentChanged.connect(lambda _i: self._update_stop())
        self._update_stop()
        if server_url is None:
            self.picker.source.setText(settings.openapi_url())
            self.picker.status.setText("No demo server (--no-server): enter the URL of any"
                                       " OpenAPI document above and press Load.")

    def server_starting(self, ready: asyncio.Future[None]) -> None:
        """The demo server is starting; ``ready`` resolves when it serves (fails if it
        cannot start). Until then the status bar says so and a Send to it waits for it."""
        self._server_ready = ready
        self.server_label.setText(f"Demo server: {self.server_url} (starting…)")

        def done(_f: asyncio.Future[None]) -> None:
            failed = ready.cancelled() or ready.exception() is not None
            self.server_label.setText(f"Demo server: {self.server_url}"
                                      + (" (failed to start)" if failed else ""))

        ready.add_done_callback(done)

    def _after_server(self, source: Source) -> Source:
        """``source`` run once the starting demo server serves (visibly waiting till then)."""
        ready = self._server_ready
        assert ready is not None

        async def gated(observer: Observer) -> End:
            if not ready.done():
                self.statusBar().showMessage("Waiting for the demo server…")
                await asyncio.wait({ready})  # its failure shows as the request's own
                self.statusBar().clearMessage()
            return await source(observer)

        return gated

    @property
    def collections(self) -> Collections:
        """The Collections tab, the environment selector and their menu items, built on
        first use: ``finish_startup`` builds them right after the window first shows (a Send
        before that builds them then)."""
        if self._collections is None:
            from gui.window.collections_hookup import Collections

            self._collections = Collections(self)
        return self._collections

    def _resolve(self, text: str, where: str) -> str:
        """The editor's ``{{variables}}`` at send time: the collections' loaded file and
        environment (built if a Send comes first)."""
        return self.collections.resolve(text, where)

    async def finish_startup(self) -> None:
        """What the first frame need not wait for, once the window shows (see
        ``gui.window.warmup``): the collections' tabs, the send path's modules, the capture
        menus. The loop handles input between the steps."""
        from gui.window import warmup

        await warmup.finish(self)

    @property
    def captures(self) -> CaptureActions:
        """The capture menus and their actions, built on first use: they bring httpx and the
        engine, so ``finish_startup`` builds them once the window shows."""
        if self._captures is None:
            from gui.window.capture_actions import CaptureActions

            self._captures = CaptureActions(self, self)
        return self._captures

    # -- setup -------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.send_action = QAction(resources.icon("send"), "&Send", self)
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.send_action.triggered.connect(lambda: self.send())  # (not checked=)
        self.stop_action = QAction(resources.icon("stop"), "S&top", self)
        self.stop_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_action.triggered.connect(self.stop_current)
        self.tab_strip = TabStrip(self.tabs, self, self.close_tab)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        load_server = QAction("&Demo server endpoints", self)
        load_server.triggered.connect(self._reload_demo)
        load_server.setEnabled(self.server_url is not None)

        self.file_menu = self.menuBar().addMenu("&File")
        self.file_menu.addAction(load_server)
        self.file_menu.addAction(self.downloads.choose_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(quit_action)
        self.pane_action = QAction("&Endpoints and history pane", self)
        self.pane_action.setCheckable(True)
        self.pane_action.setChecked(True)
        self.pane_action.setShortcut(QKeySequence("Ctrl+B"))
        self.pane_action.toggled.connect(self.show_pane)
        self.main_split.splitterMoved.connect(self._pane_moved)
        self.view_menu = self.menuBar().addMenu("&View")
        self.view_menu.addAction(self.pane_action)
        self.request_menu = self.menuBar().addMenu("&Request")
        for action in (self.send_action, self.downloads.save_as_action, self.stop_action,
                       *self.tab_strip.actions()):
            self.request_menu.addAction(action)
        self.addAction(self.send_action)
        self.addAction(self.stop_action)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:  # the first key a user types goes to the request's URL
            self._shown = True
            self.editor.url.setFocus(Qt.FocusReason.OtherFocusReason)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A narrow window gives the request and the stream the room: the left pane shrinks
        to a quarter of the width (not below its readable minimum) before they do."""
        super().resizeEvent(event)
        pane, right = self.main_split.sizes()
        width = event.size().width()
        if self._auto_pane and pane > 0:  # the user never moved it: ~30 % of the width
            new = max(MIN_PANE, min(MAX_PANE, width * 3 // 10))
        elif pane > MIN_PANE and right < COMFORTABLE_RIGHT:
            new = max(MIN_PANE, min(pane, width // 4))
        else:
            return
        if new != pane:
            self.main_split.setSizes([new, pane + right - new])

    def _pane_moved(self, _pos: int, _index: int) -> None:
        self._auto_pane = False  # the user's width from now on
        self.pane_action.setChecked(self.main_split.sizes()[0] > 0)

    def show_pane(self, on: bool) -> None:
        """Show or collapse the left pane (endpoints and history)."""
        sizes = self.main_split.sizes()
        if on and sizes[0] == 0:
            width = max(self._pane_width, MIN_PANE)
            self.main_split.setSizes([width, max(sum(sizes) - width, 1)])
        elif not on and sizes[0] > 0:
            self._pane_width = sizes[0]
            self.main_split.setSizes([0, sum(sizes)])
        self.pane_action.setChecked(on)

    def _restore(self) -> None:
        s = self.settings
        geometry = s.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        size = s.window_size()
        if size is not None and not self.isMaximized() and (
                self.width() < size[0] or self.height() < size[1]):
            # restoreGeometry fits the window into the screen it remembers: on a smaller or
            # headless screen that shrank it a little more on every run.
            self.resize(max(self.width(), size[0]), max(self.height(), size[1]))
        for name, splitter in (("main", self.main_split), ("right", self.right)):
            state = s.splitter(name)
            if state is not None:
                splitter.restoreState(state)
        self._auto_pane = s.splitter("main") is None  # sized with the window until moved
        self.editor.set_options(s.options())
        self.editor.network.set_values(NetworkOptions.from_json(s.network()))
        last = s.last_request()
        if last is not None:
            self.editor.load_history(last.rebased(self.server_url))
        else:
            self.editor.set_mode(s.last_mode())
        self.picker.set_history(s.history(), self.server_url)

    def save_settings(self) -> None:
        s = self.settings
        s.set_geometry(self.saveGeometry())
        if not self.isMaximized() and not self.isFullScreen():
            s.set_window_size(self.width(), self.height())
        s.set_splitter("main", self.main_split.saveState())
        s.set_splitter("right", self.right.saveState())
        for name, state in self._tab_splitters.items():
            s.set_splitter(name, state)
        if self.picker.source.text() and (
                self.server_url is None or not self.picker.source.text().startswith(
                    self.server_url)):
            s.set_openapi_url(self.picker.source.text())
        s.set_options(self.editor.options())
        s.set_network(self.editor.network.to_json())
        s.set_last_mode(self.editor.mode_value().value)
        s.set_last_request(self.editor.history_entry().relative_to(self.server_url))
        s.sync()

    @asyncSlot()
    async def _reload_demo(self) -> None:
        if self.server_url:
            await self.picker.load(self.server_url + "/openapi.json")

    def _endpoint_chosen(self, fill: EndpointFill) -> None:
        self.editor.fill(fill)
        self.statusBar().showMessage(f"{fill.method} {fill.url}: press Ctrl+Enter to send", 5000)

    # -- streams -----------------------------------------------------------------------------
    def send(self, output: str | None = None) -> StreamController | None:
        """Send the edited request in a new tab (as a download to ``output`` when given):
        ``gui.window.send_path``, for Send and *Send and save as…* alike. None when it is
        not sent now (invalid, or a body file to confirm or a request to run first)."""
        return self.sending.send(output)

    def send_spec(self, history: HistoryEntry, spec: RequestSpec) -> StreamController:
        """Start ``spec`` (a request from the command line) in a new tab, kept in History
        with its response's status, as Send keeps what it sends."""
        return self.sending.start_spec(spec, history)

    def remember(self, entry: HistoryEntry) -> HistoryEntry:
        """Add a sent request to the persistent history and the History list (demo-server
        URLs stored relative to the server); the entry as stored."""
        entry = dataclasses.replace(entry.relative_to(self.server_url), when=time.time())
        self.picker.set_history(self.settings.add_history(entry), self.server_url)
        return entry

    def start(self, spec: RequestSpec, expectations: list[Expectation] | None = None, *,
              wrap: Callable[[Source], Source] | None = None) -> StreamController:
        """Start ``spec`` in a new current tab (downloads go to the download folder), its
        ``expectations`` checked live in a strip of the tab; ``wrap`` goes around its record
        source (it may look at the records: a named request's exchange is kept)."""
        from gui.stream.controller import StreamController

        problem = self.downloads.prepare(spec)
        controller = StreamController(self.clients, spec, self)
        if self._server_ready is not None and not self._server_ready.done() \
                and self.server_url and spec.url.startswith(self.server_url):
            controller.wrap_source(self._after_server)
        if wrap is not None:
            controller.wrap_source(wrap)
        if expectations:
            from gui.views.expect_strip import ExpectStrip, attach

            live = attach(controller, expectations)
            tab = self.add_stream_tab(controller)
            tab.add_strip(ExpectStrip(live, tab))
        else:
            self.add_stream_tab(controller)
        self.statusBar().showMessage(problem or f"Sent {spec.method} {spec.url}", 5000)
        return controller

    def add_stream_tab(self, controller: StreamController) -> StreamTab:
        """Show ``controller`` in a new current tab, record it, and start it."""
        from gui.views.stream_tab import StreamTab  # the views and their plots: at the first tab

        tab = StreamTab(controller, self.tabs, settings=self.settings)
        tab.resendRequested.connect(self.start)  # a diagnostic's fix, applied
        for name, splitter in tab.splitters().items():
            state = self._tab_splitters.get(name) or self.settings.splitter(name)
            if state is not None:
                splitter.restoreState(state)
            splitter.splitterMoved.connect(
                lambda _pos, _i, n=name, sp=splitter: self._tab_splitters.__setitem__(
                    n, sp.saveState()))
        if self.tabs.widget(0) is self.placeholder:
            self.tabs.removeTab(0)
        index = self.tabs.addTab(tab, resources.icon("state-connecting"), _tab_text(tab.title()))
        self.tabs.setCurrentIndex(index)
        self.controllers.append(controller)
        controller.updated.connect(lambda: self._update_tab(tab))
        controller.stateChanged.connect(lambda _s: self._update_tab(tab))
        controller.finished.connect(lambda: self._update_tab(tab))
        self._retag()
        self.captures.record(controller)
        controller.start()
        self.streamStarted.emit(controller)
        return tab

    # -- captures (gui.window.capture_actions does the work) ------------------------------------------
    def save_capture(self, path: str) -> bool:
        """Save the current tab to a capture file; False (and a status message) on failure."""
        return self.captures.save_capture(path)

    def open_capture(self, path: str) -> StreamController | None:
        """Open a capture file in a new tab; None (and a status message) when it cannot."""
        return self.captures.open_capture(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in paths:
            self.captures.spawn(self.captures.open_capture_async(path))

    def _update_tab(self, tab: StreamTab) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        # Only what changed: each set relays out and repaints the tab bar (10 times a second).
        shown = tab.shown_state()
        title = _tab_text(tab.title())
        if self.tabs.tabText(index) != title and tab.title_due():
            self.tabs.setTabText(index, title)
        tip = (f"{tab.controller.spec.method} {tab.controller.spec.url}\n"
               f"state: {shown.description}")
        if self.tabs.tabToolTip(index) != tip:
            self.tabs.setTabIcon(index, resources.icon(shown.icon))
            self.tabs.setTabToolTip(index, plain_tip(tip))  # a capture's URL is foreign
        if tab is self.tabs.currentWidget():
            self._update_stop()

    def _retag(self) -> None:
        """Tabs of the same title told apart (their query, else a number in opening order)."""
        from gui.views.tab_strip import tags

        shown = [self.tabs.widget(i) for i in range(self.tabs.count())]
        open_tabs = sorted((w for w in shown if _is_stream_tab(w)),
                           key=lambda t: self.controllers.index(t.controller)
                           if t.controller in self.controllers else len(self.controllers))
        for tab, tag in zip(open_tabs, tags([(t.base_title(), t.controller.spec.url)
                                             for t in open_tabs]), strict=True):
            if tab.tag != tag:
                tab.tag = tag
                self.tabs.setTabText(self.tabs.indexOf(tab), _tab_text(tab.title()))

    def _update_stop(self) -> None:
        """Stop is enabled only while the current tab's stream runs."""
        tab = self.current_tab()
        running = tab is not None and tab.controller.state.running
        self.stop_action.setEnabled(running)
        self.editor.stop_button.setEnabled(running)

    def current_tab(self) -> StreamTab | None:
        widget = self.tabs.currentWidget()
        return widget if _is_stream_tab(widget) else None

    @asyncSlot()
    async def stop_current(self) -> None:
        tab = self.current_tab()
        if tab is not None and tab.controller.running:
            self.statusBar().showMessage("Stopping…", 2000)
            try:
                await tab.controller.stop()
            finally:
                self.statusBar().showMessage("Stopped.", 3000)

    def _show_placeholder(self) -> None:
        """The start hint as the only tab (no close button): at start, and once the last
        stream tab is closed (the lower half was blank grey then)."""
        self.tabs.addTab(self.placeholder, "Start")
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)

    def close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if not _is_stream_tab(widget):
            return
        self.tabs.removeTab(index)
        if self.tabs.count() == 0:
            self._show_placeholder()
        self._retag()
        controller = widget.controller
        if controller.running:
            task = asyncio.ensure_future(controller.stop())
            self._stopping.add(task)
            task.add_done_callback(lambda t: self._forget(t, controller, widget))
        else:
            self._forget(None, controller, widget)

    def _forget(self, task: asyncio.Task[None] | None, controller: StreamController,
                widget: QWidget) -> None:
        if task is not None:
            self._stopping.discard(task)
        if controller in self.controllers:
            self.controllers.remove(controller)
        self.captures.forget(controller)
        widget.deleteLater()
        controller.deleteLater()
        # Once both are deleted (next turns of the loop), what they held goes back to the OS.
        from gui.services.memory import give_back

        QTimer.singleShot(50, give_back)

    async def shutdown(self) -> None:
        """Stop every stream and wait for each to close its response."""
        self.proxy.stop()
        self.sending.cancel()
        running = [c.stop() for c in self.controllers if c.running]
        if running:
            await asyncio.gather(*running)
        if self._stopping:
            await asyncio.wait(set(self._stopping))
        if self._captures is not None:
            self._captures.cleanup()

    def states(self) -> list[State]:
        return [c.state for c in self.controllers]

    # -- closing -----------------------------------------------------------------------------
    async def wait_closed(self) -> None:
        if self.was_closed:
            return
        if self._closed_future is None:
            self._closed_future = asyncio.get_running_loop().create_future()
        await self._closed_future

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.quit_guard.allow():  # streams or the proxy running: asked first
            event.ignore()
            return
        self.save_settings()
        event.accept()
        self.was_closed = True
        if self._closed_future is not None and not self._closed_future.done():
            self._closed_future.set_result(None)
        self.closed.emit()

    def history_entries(self) -> list[HistoryEntry]:
        return self.settings.history()


def _tab_text(title: str) -> str:
    """A title as a tab shows it: Qt reads ``&`` as a shortcut mark (a query's ``a=1&b=2``
    showed as ``a=1b=2``, its ``b`` underlined), so each one is doubled."""
    return title.replace("&", "&&")


def _is_stream_tab(widget: QWidget | None) -> TypeGuard[StreamTab]:
    """``isinstance(widget, StreamTab)`` without importing the tab's modules before one exists."""
    module = sys.modules.get("gui.views.stream_tab")
    return module is not None and isinstance(widget, module.StreamTab)
