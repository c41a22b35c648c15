"""``gui.app.lifetime.main``: bad input exits 2 before any window or request; a URL run end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from gui.app.demos import NAMES
from gui.app.lifetime import main

pytestmark = pytest.mark.window  # left out of `make check`


@pytest.mark.parametrize("argv, words", [
    (["ftp://127.0.0.1/x"], "only http"),
    (["http://127.0.0.1:1/", "-H", "no colon"], "bad header"),
    (["--demo", "nope"], "unknown demo"),
    (["--demo", "events", "--no-server"], "needs the embedded server"),
])
def test_bad_arguments_exit_2(argv: list[str], words: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err
    assert err.count("\n") == 1


def test_list_demos(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-demos"]) == 0
    listed = capsys.readouterr().out.split()
    assert set(listed) == set(NAMES)
    assert {"logs", "events", "tour", "llm", "ndjson", "download", "fault"} <= set(listed)


def test_url_with_screenshot_runs_the_real_app(demo_server: str, tmp_path: Path) -> None:
    """``stream-inspector URL --screenshot`` end to end in this process (offscreen)."""
    out = tmp_path / "shot.png"
    argv = [f"{demo_server}/events?interval=0&count=5", "--mode", "sse", "--no-server",
            "--settings", str(tmp_path / "s.ini"), "--screenshot", str(out)]
    assert main(argv) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)
    assert "history" in (tmp_path / "s.ini").read_text()
