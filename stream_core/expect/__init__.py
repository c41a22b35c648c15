"""Stream expectations for CI: a small declarative language (``first_event < 500ms``,
``every event.data is json``, ``llm.finish_reason == stop``), its parser, and an evaluator fed
the records of one stream as they arrive, which decides each expectation as soon as it is
known. No Qt, no code execution. May import ``stream_core.requests``, ``stream_core.analysis``,
``stream_core.net``, ``stream_core.decode`` and ``stream_core.records``."""
