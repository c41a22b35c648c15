"""File > Open of a capture reads only regular files (issue 25.8): a ``.sicap`` linked to
``/dev/zero`` was read until memory ran out (its one line never ends), a FIFO waited forever
for a writer. Both are refused with a message naming the file and why, and no tab opens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gui.window.main_window import MainWindow
from tests.core.conftest import SPECIAL_FILES, special_file
from tests.gui.conftest import Runner


@pytest.mark.parametrize(("kind", "what"), SPECIAL_FILES)
def test_open_refuses_what_is_not_a_regular_file(window: MainWindow, arun: Runner[Any],
                                                 tmp_path: Path, kind: str, what: str) -> None:
    path = special_file(tmp_path, kind)
    count = window.tabs.count()
    expected = (f"Cannot open {path.name}: cannot read capture {str(path)!r}: it is {what};"
                " only regular files are read")
    assert window.open_capture(str(path)) is None
    assert window.captures.last_message == expected
    # File > Open and drops: read by a worker thread, refused the same way
    assert arun(window.captures.open_capture_async(str(path))) is None
    assert window.captures.last_message == expected
    assert window.tabs.count() == count
