"""Captures and the command line: the `capture` and `proxy` commands and their arguments, the
records file (``*.sicap``), masking, HAR export, code generation. May import every other part
of ``stream_core`` (``requests`` for ``--from`` and ``--curl``)."""
