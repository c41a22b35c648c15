"""The wheel, installed alone into a fresh virtualenv, runs the window, ``capture`` and
``serve`` from a folder of its own, with its icon and its style sheet."""

from __future__ import annotations

import json
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from installed_venv import REPO, Installed
from PySide6.QtGui import QImage

pytestmark = pytest.mark.install  # left out of `make check`

PACKAGES = ("gui", "stream_core", "embedded_server")


def _shipped_sources() -> set[str]:
    """Every module and resource the distribution must hold, as paths in the wheel."""
    files = {p.relative_to(REPO).as_posix() for pkg in PACKAGES for p in (REPO / pkg).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".typed")}
    files |= {"stream_inspector_resources/" + p.relative_to(REPO / "resources").as_posix()
              for p in (REPO / "resources").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    return files


def test_wheel_and_sdist_hold_every_module_and_resource(installed: Installed) -> None:
    expected = _shipped_sources()
    assert "stream_inspector_resources/style.qss" in expected
    assert "embedded_server/endpoints/__init__.py" in expected
    in_wheel = set(zipfile.ZipFile(installed.wheel).namelist())
    assert not expected - in_wheel, f"missing from the wheel: {sorted(expected - in_wheel)}"
    if installed.sdist is not None:
        with tarfile.open(installed.sdist) as sdist:
            names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
        in_sdist = {n.replace("stream_inspector_resources/", "resources/", 1) for n in expected}
        assert not in_sdist - names, f"missing from the sdist: {sorted(in_sdist - names)}"


def test_version_comes_from_the_package_metadata(installed: Installed) -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    done = installed.run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"stream-inspector {version}"
    # The modules and resources come from the venv, not from the checkout.
    where = subprocess.run(
        [str(installed.bin / "python"), "-c",
         "import gui, stream_core, embedded_server, stream_inspector_resources as r;"
         "print(gui.__file__, stream_core.__file__, embedded_server.__file__, r.__file__)"],
        cwd=installed.home, env=installed.env(), capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    for file in where.stdout.split():
        assert Path(file).is_relative_to(installed.bin.parent), file


def test_serve_and_capture_one_of_its_streams(installed: Installed) -> None:
    server = subprocess.Popen([str(installed.exe), "serve", "--port", "0"], cwd=installed.home,
                              env=installed.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith('{"type":"listening","url":"http://127.0.0.1:'), line
        url = json.loads(line)["url"]
        done = installed.run("capture", f"{url}/events?count=3&interval=0.01", "--save",
                             "events.sicap")
        assert done.returncode == 0, done.stderr
        records = [json.loads(r) for r in done.stdout.splitlines()]
        assert [r["type"] for r in records if r["type"] == "event"] == ["event"] * 3
        assert records[-1]["type"] == "end" and records[-1]["complete"] is True
        assert (installed.home / "events.sicap").is_file()
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert server.returncode == 0, err
    assert "Traceback" not in err


def test_demo_screenshot_finds_its_icon_and_style_sheet(installed: Installed) -> None:
    shot = installed.home / "events.png"
    done = installed.run("--demo", "events", "--screenshot", str(shot), "--log-level", "debug",
                         timeout=90)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # strict resources: a missing one would be here
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 800
    log = (installed.home / "state" / "stream-inspector" / "stream-inspector.log").read_text()
    site = str(installed.bin.parent)
    lines = log.splitlines()
    assert any("style sheet style.qss" in line and site in line for line in lines), log
    assert any("icons/stream-inspector.svg" in line and site in line for line in lines), log
    assert any("icons/send.svg" in line and site in line for line in lines), log
    assert not [line for line in lines if " ERROR " in line], log
    assert str(REPO) not in log
