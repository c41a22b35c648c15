"""A fresh virtualenv holding only the built wheel (see conftest.py for why)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    """A fresh venv holding the wheel: its ``bin``, the wheel, the sdist, a home to run in."""

    bin: Path
    wheel: Path
    sdist: Path | None
    home: Path  # cwd of every command: no checkout in sight

    @property
    def exe(self) -> Path:
        return self.bin / "stream-inspector"

    def env(self, **extra: str) -> dict[str, str]:
        """A user's environment: no PYTHONPATH or venv of ours, XDG homes in the test's tmp,
        offscreen Qt, and resources strict (a missing one is an error, not a fallback)."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update(QT_QPA_PLATFORM="offscreen", STREAM_INSPECTOR_STRICT_RESOURCES="1",
                   XDG_STATE_HOME=str(self.home / "state"), XDG_DATA_HOME=str(self.home / "data"),
                   PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}")
        env.update(extra)
        return env

    def run(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.exe), *args], cwd=self.home, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)


def build(out: Path) -> tuple[Path, Path | None]:
    given = os.environ.get("STREAM_INSPECTOR_WHEEL")
    if given:
        return Path(given).resolve(), None
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                           str(REPO)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout}\n{done.stderr}"
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist
