"""Embedded demo server of Stream Inspector: every kind of HTTP stream, on a local port.

``create_app()`` (in :mod:`embedded_server.app`) builds the FastAPI app and
``ServerThread`` (in :mod:`embedded_server.runner`) runs it in a thread of its own.
This package never imports Qt, qasync or ``gui``, and of ``stream_core`` only the capture
reader (``replay`` reads captures with it; layering contract).
"""
