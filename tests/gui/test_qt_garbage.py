"""A Qt test's garbage is freed on the GUI thread, not by the next thread that collects.

The suite's demo server runs in a thread; when its allocations trigger the collection that
frees what a GUI test left in reference cycles (a qasync loop, a ``QSettings``, a timer),
Qt warns "Timers cannot be stopped from another thread" and the test running then fails.
``tests/conftest.py`` collects after each Qt test; here a small suite in a subprocess leaves
a timer in a cycle and has another thread collect, with that hook and without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

INI = """[pytest]
qt_api = pyside6
qt_log_level_fail = WARNING
addopts = -p no:cacheprovider
"""

WITH_HOOK = f"""
import importlib.util
spec = importlib.util.spec_from_file_location("suite_conftest", {str(CONFTEST)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
pytest_runtest_protocol = module.pytest_runtest_protocol
"""

SUITE = """
import gc
import threading

from PySide6.QtCore import QObject


class Cycle(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.me = self  # only the collector frees it
        self.startTimer(60_000)


def test_a_qt_test_leaves_a_timer_in_a_cycle(qapp) -> None:
    Cycle()


def test_then_another_thread_collects() -> None:
    worker = threading.Thread(target=gc.collect)
    worker.start()
    worker.join()
"""


def _run(tmp_path: Path, conftest: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text(INI)
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_suite.py").write_text(SUITE)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                           str(tmp_path / "test_suite.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_without_the_hook_another_thread_frees_the_timer(tmp_path: Path) -> None:
    """The hazard itself, so that the next test cannot pass for want of it."""
    proc = _run(tmp_path, "")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Timers cannot be stopped from another thread" in proc.stdout, proc.stdout


def test_the_suites_hook_frees_it_on_the_gui_thread(tmp_path: Path) -> None:
    proc = _run(tmp_path, WITH_HOOK)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout, proc.stdout
