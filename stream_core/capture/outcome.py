"""The exit status of a capture, read from its records as they pass (``exitcodes`` has the
table; README *Exit status* documents it).

Why an observer: a script asks "what went wrong", and the records already say it: an error
record's kind, and whether the response had started when it came (a connection lost before
any response is "could not connect", after it "cut short"). The engine's error kinds stay as
they are (the window and capture files use them); only the exit status is finer.
"""

from __future__ import annotations

from stream_core.capture import exitcodes
from stream_core.records import AnyRecord, Error, Request, Response

__all__ = ["ExitStatus", "status_of"]

#: How ``stream_core.net.errors`` words a host name that did not resolve (kind ``connect``):
#: the server's, or a proxy's ("could not resolve the host name of the proxy ...").
_DNS = "could not resolve "
#: How it words a body that ended early (kind ``protocol``): chunked or Content-Length.
_ENDED_EARLY = ("closed after", "closed in the middle of")


def status_of(error: Error, *, responded: bool) -> int:
    """The exit status one error record stands for; ``responded``: the response of this
    connection had arrived (its status line and headers) before the error."""
    kind, message = error.kind, error.message
    if kind == "connect":
        if message.startswith(_DNS):
            return exitcodes.DNS
        return exitcodes.CUT_SHORT if responded else exitcodes.CONNECT
    if kind == "protocol":
        if responded and any(words in message for words in _ENDED_EARLY):
            return exitcodes.CUT_SHORT
        return exitcodes.PROTOCOL
    return {"timeout": exitcodes.TIMEOUT, "tls": exitcodes.TLS, "http": exitcodes.HTTP_STATUS,
            "decode": exitcodes.DECODE, "io": exitcodes.LOCAL_IO,
            "cancelled": exitcodes.INTERRUPTED}.get(kind, exitcodes.PROTOCOL)


class ExitStatus:
    """An observer: ``status`` is ``exitcodes.OK`` until an error record comes, then that of
    the first one, except that an ``http`` error (a status the mode cannot accept, said once
    its error body was read) wins over a failure while reading that same body. ``cancelled``
    errors are not counted: the signal that caused them decides (130, 143)."""

    def __init__(self) -> None:
        self.status = exitcodes.OK
        self._responded = False
        self._this_connection = False  # ``status`` came from the current connection

    def __call__(self, record: AnyRecord) -> None:
        if isinstance(record, Request):
            self._responded = self._this_connection = False
        elif isinstance(record, Response):
            self._responded = record.mode != "redirect"
        elif isinstance(record, Error) and record.kind != "cancelled":
            status = status_of(record, responded=self._responded)
            if self.status == exitcodes.OK or (status == exitcodes.HTTP_STATUS
                                                and self._this_connection):
                self.status = status
                self._this_connection = True

    @property
    def failed(self) -> bool:
        return self.status != exitcodes.OK
