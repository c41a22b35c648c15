"""The network side: request spec, httpx clients and the buffered network backend, the
session that runs one stream (reconnects, downloads), error classification. May import
``stream_core.decode`` and ``stream_core.records``."""
