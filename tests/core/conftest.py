"""Helpers for engine tests: run one stream to completion and keep its records."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stream_core.net.session import Clients, run
from stream_core.net.spec import RequestSpec
from stream_core.records import AnyRecord, End


class Capture:
    """The records of one stream, with shortcuts for what tests look at."""

    def __init__(self, records: list[AnyRecord]) -> None:
        self.records = records

    def of(self, kind: str) -> list[Any]:
        return [r for r in self.records if r.type == kind]

    @property
    def types(self) -> list[str]:
        return [r.type for r in self.records]

    @property
    def end(self) -> End:
        last = self.records[-1]
        assert isinstance(last, End)
        return last

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(r.kind, r.message) for r in self.of("error")]

    def check_shape(self) -> None:
        """The contract every stream keeps: exactly one End, last; Request first."""
        assert self.types.count("end") == 1, self.types
        assert self.types[-1] == "end"
        if "request" in self.types:
            assert self.types[0] == "request"
        chunks = self.of("chunk")
        assert [c.seq for c in chunks] == list(range(len(chunks)))
        offset = 0
        for c in chunks:
            assert c.offset == offset
            offset += c.size
        assert self.end.bytes == offset
        assert self.end.chunks == len(chunks)
        ts = [r.t for r in self.records]
        assert ts == sorted(ts)


async def collect_async(spec: RequestSpec,
                        on_record: Callable[[AnyRecord], None] | None = None) -> Capture:
    records: list[AnyRecord] = []

    def observer(rec: AnyRecord) -> None:
        records.append(rec)
        if on_record is not None:
            on_record(rec)

    clients = Clients()
    try:
        end = await run(clients, spec, observer)
    finally:
        await clients.aclose()
    assert end is records[-1]
    cap = Capture(records)
    cap.check_shape()
    return cap


def collect(spec: RequestSpec) -> Capture:
    """Run ``spec`` on a fresh event loop and return what it reported."""
    return asyncio.run(collect_async(spec))


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key (made with the openssl CLI)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not available")
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def fast_spec() -> Callable[..., RequestSpec]:
    """A RequestSpec with short timeouts, so that fault tests fail fast when they fail."""
    from stream_core.net.spec import Timeouts

    def make(url: str, **kw: Any) -> RequestSpec:
        kw.setdefault("timeouts", Timeouts(connect=5.0, read=5.0))
        return RequestSpec(url=url, **kw)

    return make


#: The files that are not regular files a reader must refuse (issue 25.8), and how
#: ``stream_core.userfiles`` names them.
SPECIAL_FILES = [("zero", "a character device"), ("fifo", "a FIFO (named pipe)")]


def special_file(folder: Path, kind: str, suffix: str = ".sicap") -> Path:
    """``folder/KIND.SUFFIX``: a link to ``/dev/zero`` (never ends) or a FIFO nobody writes
    to (opening it to read waits for a writer)."""
    path = folder / f"{kind}{suffix}"
    if kind == "zero":
        path.symlink_to("/dev/zero")
    else:
        os.mkfifo(path)
    return path
