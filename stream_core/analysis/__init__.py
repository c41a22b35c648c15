"""Figures computed from a stream's records, without Qt: statistics, timeline, diagnostics,
LLM assembly and the per-stream aggregate the window feeds in batches. May import
``stream_core.net``, ``stream_core.decode`` and ``stream_core.records``."""
