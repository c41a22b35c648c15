"""Exit statuses of the command-line tools (`capture`, `test`, `compare`, `proxy`, `serve`),
modelled on curl's where one exists, so that a script can tell failures apart.

One table, read by the commands, `--help` and README (*Exit status*); tests check each.
"""

from __future__ import annotations

OK = 0
#: An expectation (`--expect`, `# @expect`) failed, or `compare` found a difference it was
#: asked about; the stream itself may have been fine.
EXPECTATION_FAILED = 1
#: Bad arguments, an unreadable saved request, bad expectation syntax: nothing was sent.
USAGE = 2
#: A local file could not be read or written (`-o`, `--save`, `-d @file`).
LOCAL_IO = 3
#: The host name did not resolve (curl 6).
DNS = 6
#: Could not connect (curl 7).
CONNECT = 7
#: A reply that is not HTTP, or malformed framing before the body (curl 8).
PROTOCOL = 8
#: The stream was cut short: the connection was lost mid-body, a chunked body or a
#: Content-Length body ended early (curl 18).
CUT_SHORT = 18
#: The server answered with a status the mode cannot accept (curl 22, as with `--fail`).
HTTP_STATUS = 22
#: A read or the whole exchange (`--timeout`, `--max-time`) timed out (curl 28).
TIMEOUT = 28
#: TLS failed (curl 35).
TLS = 35
#: The body could not be decoded (Content-Encoding, an over-long line) (curl 61).
DECODE = 61
#: Interrupted by Ctrl-C / SIGINT (128 + 2), as a shell reports it.
INTERRUPTED = 130
#: Stdout was closed early (``| head -3``): the status a writer killed by SIGPIPE has
#: (128 + 13), without the traceback Python would print.
CLOSED_STDOUT = 141
#: Stopped by SIGTERM (128 + 15), as a shell reports it.
TERMINATED = 143

#: For `--help` and README, in order.
TABLE: tuple[tuple[int, str], ...] = (
    (OK, "the stream ended cleanly (also after --max-events)"),
    (EXPECTATION_FAILED, "an expectation failed (or compare found a difference)"),
    (USAGE, "bad arguments; nothing was sent"),
    (LOCAL_IO, "a local file could not be read or written"),
    (DNS, "the host name did not resolve"),
    (CONNECT, "could not connect"),
    (PROTOCOL, "the reply was not valid HTTP"),
    (CUT_SHORT, "the stream was cut short"),
    (HTTP_STATUS, "an HTTP error status"),
    (TIMEOUT, "timed out (--timeout, --max-time)"),
    (TLS, "TLS failed"),
    (DECODE, "the body could not be decoded"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
    (CLOSED_STDOUT, "stdout was closed early (| head)"),
    (TERMINATED, "stopped by SIGTERM"),
)


def epilog(codes: tuple[int, ...] | None = None) -> str:
    """The exit-status table as a ``--help`` epilog (``codes``: only these, in order)."""
    rows = [(code, text) for code, text in TABLE if codes is None or code in codes]
    return "exit status:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in rows)
