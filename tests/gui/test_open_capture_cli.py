"""`stream-inspector FILE.sicap` opens a saved capture in the window (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from stream_core.capture.records_file import read_capture


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "gui", *args], capture_output=True,
                          env=env, timeout=90)


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
