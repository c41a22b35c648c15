"""``gui.app.main`` argument handling: bad input exits 2 before any window or request."""

from __future__ import annotations

import pytest

from gui.app import main
from gui.demos import NAMES


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
