"""errors.py wording for the causes that are awkward to produce over a real socket."""

from __future__ import annotations

import errno
import ssl

import httpx
import pytest

from stream_core.net.errors import Failure, StreamError, classify, file_failure, host_port

URL = "http://127.0.0.1:8123/x"


@pytest.mark.parametrize("code, message", [
    (errno.ENOSPC, "disk full writing /d/f.part"),
    (errno.EACCES, "permission denied writing /d/f.part"),
    (errno.EPERM, "permission denied writing /d/f.part"),
    (errno.EROFS, "read-only file system writing /d/f.part"),
    (errno.ENOENT, "cannot write /d/f.part: the folder does not exist"),
    (errno.EIO, "cannot write /d/f.part: Input/output error"),
])
def test_file_failures(code: int, message: str) -> None:
    import os

    assert file_failure(OSError(code, os.strerror(code)), "/d/f.part") == Failure("io", message)


def test_host_port_defaults() -> None:
    assert host_port("https://example.test/") == "example.test:443"
    assert host_port("http://[::1]/") == "[::1]:80"
    assert host_port(URL) == "127.0.0.1:8123"


def cause(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize("exc, expected", [
    (httpx.ConnectTimeout("x"), Failure("timeout", "could not connect to 127.0.0.1:8123 "
                                                   "within 2 s")),
    (httpx.ReadTimeout("x"), Failure("timeout", "no data for 5 s from 127.0.0.1:8123")),
    (httpx.DecodingError("bad gzip"), Failure("decode", "could not decode the body from "
                                                        "127.0.0.1:8123: bad gzip")),
    (httpx.TooManyRedirects("x"), Failure("http", "too many redirects from 127.0.0.1:8123")),
    (cause(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "cert")),
     Failure("tls", "TLS certificate of 127.0.0.1:8123 is not trusted: cert")),
    (cause(httpx.ReadError(""), ConnectionResetError(104, "reset")),
     Failure("connect", "connection to 127.0.0.1:8123 reset by peer")),
    (StreamError("io", "disk full writing f"), Failure("io", "disk full writing f")),
    (RuntimeError("boom"), Failure("protocol", "unexpected RuntimeError talking to "
                                               "127.0.0.1:8123: boom")),
])
def test_classify(exc: BaseException, expected: Failure) -> None:
    assert classify(exc, URL, read_timeout=5.0, connect_timeout=2.0) == expected
