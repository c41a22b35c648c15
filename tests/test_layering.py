"""The entry point loads Qt only for the window: `capture`, `serve` and `proxy` must run where Qt
cannot."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from gui.app.cli import main
try:
    code = main({argv!r})
except SystemExit as exc:
    code = exc.code
qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync', 'pyqtgraph'))
print('QT:' + ','.join(qt))
sys.exit(code)
"""


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)],
                          capture_output=True, text=True, timeout=60)


def test_capture_does_not_import_qt() -> None:
    proc = _run(["capture", "not a url"])
    assert proc.returncode == 2, proc.stderr
    assert "QT:\n" in proc.stdout, proc.stdout


def test_serve_help_does_not_import_qt() -> None:
    proc = _run(["serve", "--help"])
    assert proc.returncode == 0, proc.stderr
    assert "QT:\n" in proc.stdout, proc.stdout


def test_proxy_does_not_import_qt() -> None:
    proc = _run(["proxy", "--target", "ftp://nowhere"])
    assert proc.returncode == 2, proc.stderr
    assert "http:// or https://" in proc.stderr
    assert "QT:\n" in proc.stdout, proc.stdout


def test_compare_and_completion_do_not_import_qt() -> None:
    for argv in (["compare", "--help"], ["completion", "bash"]):
        proc = _run(argv)
        assert proc.returncode == 0, proc.stderr
        assert "QT:\n" in proc.stdout, (argv, proc.stdout)
