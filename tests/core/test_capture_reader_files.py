"""The capture reader opens only regular files (issue 25.8): ``read_capture``,
``check_capture`` (the window, the command line) and ``read_capture_bytes`` (replay) refuse a
link to ``/dev/zero`` and a FIFO with a ``CaptureError`` naming the file, without reading or
waiting; ``read_capture_bytes`` reads at most its limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from stream_core.capture.reader import (
    CaptureError,
    check_capture,
    read_capture,
    read_capture_bytes,
)
from tests.core.conftest import SPECIAL_FILES, special_file

HEADER = b'{"format":"stream-inspector-capture","version":"1.0"}\n'


@pytest.mark.parametrize(("kind", "what"), SPECIAL_FILES)
@pytest.mark.parametrize("read", [read_capture, check_capture, read_capture_bytes])
def test_only_regular_files_are_read(tmp_path: Path, kind: str, what: str,
                                     read: Callable[[Path], object]) -> None:
    path = special_file(tmp_path, kind)
    message = (f"cannot read capture {str(path)!r}: it is {what}; only regular files are read")
    with pytest.raises(CaptureError, match=re.escape(message)):
        read(path)


def test_a_missing_capture_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="No such file or directory"):
        read_capture(tmp_path / "missing.sicap")


def test_read_capture_bytes_reads_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "x.sicap"
    path.write_bytes(HEADER)
    assert read_capture_bytes(path, len(HEADER)) == HEADER
    with pytest.raises(CaptureError, match=f"larger than {len(HEADER) - 1} bytes"):
        read_capture_bytes(path, len(HEADER) - 1)
