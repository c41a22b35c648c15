"""The guard in tests/conftest.py fails a test during which a task's exception was never
retrieved or Python ignored an exception (run on a scratch suite in a subprocess)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # left out of `make check`

SCRATCH = '''
import asyncio
import gc


def test_task_exception_never_retrieved():
    async def fail():
        raise RuntimeError("nobody awaits me")

    loop = asyncio.new_event_loop()
    task = loop.create_task(fail())
    loop.run_until_complete(asyncio.sleep(0.01))
    loop.close()
    del task
    gc.collect()


def test_exception_ignored_in_del():
    class Broken:
        def __del__(self):
            raise ValueError("ignored in __del__")

    Broken()


def test_clean():
    assert True
'''


def test_guard_fails_unhandled_failures(tmp_path: Path) -> None:
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_scratch.py").write_text(SCRATCH)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's filterwarnings=error
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-W", "ignore::pytest.PytestUnraisableExceptionWarning", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    out = done.stdout
    assert "3 passed" in out, out  # the tests themselves pass; their teardown fails:
    assert "ERROR at teardown of test_task_exception_never_retrieved" in out, out
    assert "ERROR at teardown of test_exception_ignored_in_del" in out, out
    assert "unhandled failures in the session" in out, out  # the session-wide guard too
    assert "asyncio: Task exception was never retrieved" in out, out
    assert "Exception ignored in" in out and "ignored in __del__" in out, out
