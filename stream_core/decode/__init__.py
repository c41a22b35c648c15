"""Incremental decoders with no I/O: SSE (WHATWG), lines and NDJSON, framing detection.
May import ``stream_core.records`` only."""
