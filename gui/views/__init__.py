"""One stream tab and every sub-view (events, chunks, raw, headers, download, timeline,
diagnostics, LLM, compare) with their small widgets; the tab's sub-views are listed once, in
``subviews.SUBVIEWS``. May import ``gui.stream``, ``gui.services`` and the engine; never the
window or the app."""
