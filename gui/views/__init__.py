"""One stream tab and every sub-view (events, chunks, raw, headers, download, timeline,
diagnostics, LLM, compare) with their small widgets. May import ``gui.stream``, ``gui.services``
and the engine; never the window or the app."""
