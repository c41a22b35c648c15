"""The built wheel installed into a fresh virtualenv outside the repository.

Why: ``make`` installs the project editable, which hides a package or a resource left out of
the wheel (``embedded_server.endpoints`` once was) and any path into the source tree. Here the
sdist is built from the checkout, the wheel from the sdist (``python -m build``, without
isolation: this venv has the pyproject's setuptools), and only that wheel is installed, with
its dependencies resolved as a user's pip would (from pip's usual sources, its cache warm)
into a venv without system site-packages; its commands then run from a folder of their own.
``STREAM_INSPECTOR_WHEEL=PATH`` installs an already built wheel instead (after ``make dist``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from installed_venv import Installed, build


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("install")
    wheel, sdist = build(root / "dist")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    # This venv's pip, pointed at the fresh interpreter (no pip bootstrap in the new venv);
    # --no-compile: bytecode is written on first import instead of for every dependency now.
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                           "install", "--quiet", "--no-compile", str(wheel)],
                          capture_output=True, text=True, timeout=240, cwd=root)
    assert done.returncode == 0, f"pip install {wheel.name} failed:\n{done.stderr}"
    home = root / "home"
    home.mkdir()
    yield Installed(venv / "bin", wheel, sdist, home)
