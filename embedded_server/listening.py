"""``Listening``: the URL of a server on a bound port (thread or child process).

A module of its own so that starting the server's child process (``process``) imports
nothing heavy: not even asyncio, which ``runner`` needs for the thread.
"""

from __future__ import annotations


class Listening:
    """``url`` and ``port`` of a server on ``_host`` and the port it bound (``_port``)."""

    _host: str
    _port: int | None

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321`` (after ``start()``)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def port(self) -> int:
        """The port actually bound (after ``start()``)."""
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port
