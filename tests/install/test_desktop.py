"""``--install-desktop`` from the installed wheel: a valid entry whose Exec line starts the app,
its icon, and a ``*.sicap`` MIME type; ``--uninstall-desktop`` takes them away."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from installed_venv import Installed
from PySide6.QtGui import QImage

pytestmark = pytest.mark.install  # left out of `make check`

DESKTOP = "applications/stream-inspector.desktop"
ICON = "icons/hicolor/scalable/apps/stream-inspector.svg"
MIME = "mime/packages/stream-inspector.xml"


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_install_desktop_writes_a_valid_entry_that_starts_the_app(
        installed: Installed, demo_server: str) -> None:
    data = installed.home / "data"
    done = installed.run("--install-desktop")
    assert done.returncode == 0, done.stderr
    for name in (DESKTOP, ICON, MIME):
        assert (data / name).is_file(), name
        assert f"wrote {data / name}" in done.stdout

    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.fail("desktop-file-validate is missing: apt-get install desktop-file-utils")
    checked = subprocess.run([validate, str(data / DESKTOP)], capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout
    entry = _entry(data / DESKTOP)
    assert entry["TryExec"] == str(installed.exe)
    assert entry["MimeType"] == "application/x-stream-inspector-capture;"
    assert entry["Icon"] == "stream-inspector"
    # update-mime-database ran (it is installed here): *.sicap is typed.
    if shutil.which("update-mime-database"):
        assert "ran update-mime-database" in done.stdout
        globs = (data / "mime" / "globs2").read_text()
        assert "application/x-stream-inspector-capture:*.sicap" in globs

    # The Exec line as a launcher runs it: %u replaced by a URL of the running demo server.
    argv = shlex.split(entry["Exec"])
    assert argv[0] == str(installed.exe) and argv[1:] == ["%u"]
    shot = installed.home / "from-entry.png"
    url = f"{demo_server}/events?count=5&interval=0.01"
    started = subprocess.run([arg.replace("%u", url) for arg in argv]
                             + ["--no-server", "--screenshot", str(shot)],
                             cwd=installed.home, env=installed.env(), capture_output=True,
                             text=True, timeout=90)
    assert started.returncode == 0, started.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 800

    done = installed.run("--uninstall-desktop")
    assert done.returncode == 0, done.stderr
    for name in (DESKTOP, ICON, MIME):
        assert not (data / name).exists(), name
        assert f"removed {data / name}" in done.stdout


def test_a_capture_opened_from_a_file_manager_opens_in_the_window(
        installed: Installed, demo_server: str) -> None:
    """%u from a file manager can be a file:// URL of the capture."""
    saved = installed.home / "a capture.sicap"
    done = installed.run("capture", f"{demo_server}/events?count=3&interval=0.01", "--save",
                         str(saved))
    assert done.returncode == 0, done.stderr
    shot = installed.home / "capture.png"
    opened = installed.run(saved.as_uri(), "--no-server", "--screenshot", str(shot), timeout=90)
    assert opened.returncode == 0, opened.stderr
    assert not QImage(str(shot)).isNull()
