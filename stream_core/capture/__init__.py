"""Everything about captures and the command line: the `capture` command and its arguments,
the records file (``*.sicap``), HAR, code generation, OpenAPI reading. May import every
other part of ``stream_core``."""
