"""`stream-inspector FILE.sicap` opens a saved capture in the window (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from stream_core.capture.reader import read_capture

pytestmark = pytest.mark.window  # left out of `make check`


def _run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "gui", *args], capture_output=True,
                          env=env, timeout=timeout)


def test_open_capture_from_the_command_line(demo_server: str, tmp_path: Path) -> None:
    saved = tmp_path / "tour.sicap"
    proc = _run("capture", f"{demo_server}/sse/tour?interval=0", "--save", str(saved))
    assert proc.returncode == 0, proc.stderr
    assert len(read_capture(str(saved)).records) > 10

    shot = tmp_path / "shot.png"
    proc = _run(str(saved), "--no-server", "--screenshot", str(shot))
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 800


def test_missing_capture_file_is_a_bad_argument(tmp_path: Path) -> None:
    proc = _run(str(tmp_path / "missing.sicap"), "--no-server")
    assert proc.returncode == 2
    assert b"no capture file" in proc.stderr


PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
NOT_CAPTURES = {
    "empty": (b"", b"is empty"),
    "png": (PNG, b"is not a Stream Inspector capture"),
    "capture-output": (b'{"type":"request","t":0,"method":"GET","url":"http://127.0.0.1/",'
                       b'"headers":[]}\n', b"`capture` NDJSON output"),
    "newer-version": (b'{"format":"stream-inspector-capture","version":"9.0"}\n',
                      b"version 9.0 capture"),
}


@pytest.mark.parametrize("kind", NOT_CAPTURES)
def test_screenshot_of_a_file_that_is_not_a_capture_exits_2(tmp_path: Path, kind: str) -> None:
    """It waited forever for a tab that never opened (issue 13, item 12)."""
    content, why = NOT_CAPTURES[kind]
    bad = tmp_path / f"{kind}.sicap"
    bad.write_bytes(content)
    proc = _run(str(bad), "--no-server", "--screenshot", str(tmp_path / "shot.png"),
                timeout=30)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and why.decode() in lines[0], proc.stderr
    assert not (tmp_path / "shot.png").exists()


def test_screenshot_with_nothing_to_show_shoots_the_bare_window(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    proc = _run("--no-server", "--screenshot", str(shot), timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert not QImage(str(shot)).isNull()
