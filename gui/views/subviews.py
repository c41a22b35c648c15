"""The stream tab's sub-views, listed once: ``SUBVIEWS``.

Why one list: the stream tab builds and refreshes its sub-tabs from it, ``--view`` takes its
names, the demos and ``make screenshots`` render each entry's view, and the warm-up imports
its modules ahead of the first tab. Adding a view is one new module (a widget that is a
``SubView``, with a ``for_tab`` class method) and one line here.

Importing this module is cheap (no Qt, no view): the entry point reads ``NAMES`` before it
imports Qt, and the views' modules are imported when the first tab is built.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from gui.services.settings import Settings
    from gui.stream.controller import StreamController

__all__ = ["NAMES", "SUBVIEWS", "Entry", "SubView", "TabContext"]


class SubView(Protocol):
    """One sub-tab of a stream tab: a widget over the tab's ``StreamController`` that talks
    upward only through its signals. Its class has ``for_tab(controller, context, parent)``
    (the constructor the tab calls)."""

    def title(self) -> str:
        """Its sub-tab's title now (it may carry a count: "Diagnostics (2)")."""
        ...

    def applies(self) -> bool:
        """Whether its sub-tab shows for this stream now (a download's, an LLM reply's);
        once shown it stays."""
        ...

    def refresh(self, final: bool = False) -> None:
        """Bring the view up to date from the controller (called on its throttled updates
        while the view is shown, or always for a ``background`` entry). ``final``: the
        stream has ended, the view shows everything (not only what is cheap)."""
        ...


@dataclass(frozen=True, slots=True)
class TabContext:
    """What the window gives a tab's sub-views besides the controller."""

    settings: Settings | None = None  # per-host choices (the LLM view's format)


@dataclass(frozen=True, slots=True)
class Entry:
    """One sub-view: its ``--view`` name (also the tab's attribute), where its class is
    (``module:Class``), the built-in demo that shows it best (its ``--view`` screenshot), and
    how the tab treats it."""

    name: str
    where: str
    demo: str
    background: bool = False  # refreshed while another sub-tab is shown (cheap: labels)
    front: bool = False  # brought to the front when it first applies (a download)

    @property
    def module(self) -> str:
        return self.where.partition(":")[0]

    def build(self, controller: StreamController, context: TabContext,
              parent: QWidget) -> SubView:
        """The view for one tab (its module imported on the first call)."""
        module, _, name = self.where.partition(":")
        cls = getattr(importlib.import_module(module), name)
        return cast(SubView, cls.for_tab(controller, context, parent))


#: In the order of the sub-tabs.
SUBVIEWS: tuple[Entry, ...] = (
    Entry("download", "gui.views.download_view:DownloadView", "download", background=True,
          front=True),
    Entry("events", "gui.views.events_panel:EventsPanel", "events", background=True),
    Entry("chunks", "gui.views.chunks_panel:ChunksPanel", "ndjson"),
    Entry("raw", "gui.views.raw_view:RawView", "tour"),
    Entry("headers", "gui.views.headers_view:HeadersView", "llm"),
    Entry("timeline", "gui.views.timeline_view:TimelineView", "logs"),
    Entry("diagnostics", "gui.views.diagnostics_view:DiagnosticsView", "fault",
          background=True),  # its count is in its title
    Entry("llm", "gui.views.llm_view:LLMView", "llm"),
)
NAMES = tuple(entry.name for entry in SUBVIEWS)
