"""The real ``stream-inspector`` process in a real X window (Xvfb), checked by its screenshot.

Runs ``python -m gui --demo events --screenshot OUT.png`` under ``xvfb-run`` with the xcb
platform plugin (not offscreen), so window creation, the X connection, fonts and painting are
the ones a user gets. Skipped only where xvfb-run is missing and CI is not "true"; in CI a
missing Xvfb is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
XVFB_RUN = shutil.which("xvfb-run")

pytestmark = pytest.mark.e2e


def _distinct_colours(image: QImage, step: int = 7) -> int:
    colours = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            colours.add(image.pixel(x, y))
    return len(colours)


def test_demo_events_in_a_real_x_window(tmp_path: Path) -> None:
    if XVFB_RUN is None:
        if os.environ.get("CI") == "true":
            pytest.fail("xvfb-run is required in CI (apt-get install xvfb xauth)")
        pytest.skip("xvfb-run not installed")
    out = tmp_path / "events.png"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["QT_QPA_PLATFORM"] = "xcb"
    env["HOME"] = str(tmp_path)  # nothing of the user's (settings, caches) is touched
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    cmd = [XVFB_RUN, "-a", "-s", "-screen 0 1600x1000x24",
           sys.executable, "-m", "gui", "--demo", "events", "--screenshot", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
                          check=False)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert out.is_file()
    image = QImage(str(out))
    assert not image.isNull()
    assert (image.width(), image.height()) == (1400, 900)
    assert _distinct_colours(image) >= 40, "screenshot looks blank"
