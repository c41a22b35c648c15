"""``serve --replay`` reads only regular files, and at most what an upload may be (issue 25.8,
replay part): a capture linked to ``/dev/zero`` was read until memory ran out, a FIFO waited
forever for a writer. Read by the engine's capture reader (``read_capture_bytes``)."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from embedded_server import replay
from embedded_server.app import create_app
from tests.core.conftest import SPECIAL_FILES, special_file

ROOT = Path(__file__).resolve().parents[2]
#: The server's address space, bounded: without the fix /dev/zero is read until this much is
#: taken (a MemoryError then, not the machine's memory).
ADDRESS_SPACE = 1024 * 1024 * 1024


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def serve_replay(path: Path) -> subprocess.CompletedProcess[str]:
    # (the timeout only ends a hang in the test's run: a FIFO waited on forever without the fix)
    return subprocess.run([sys.executable, "-m", "embedded_server", "--port", "0",
                           "--replay", str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, preexec_fn=_bounded)


@pytest.mark.parametrize(("kind", "what"), SPECIAL_FILES)
def test_serve_replay_refuses_what_is_not_a_regular_file(tmp_path: Path, kind: str,
                                                         what: str) -> None:
    path = special_file(tmp_path, kind)
    proc = serve_replay(path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (f"python -m embedded_server: error: --replay {path}: cannot read"
                           f" capture {str(path)!r}: it is"
                           f" {what}; only regular files are read\n")


def test_serve_replay_refuses_a_capture_larger_than_an_upload(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "MAX_UPLOAD", 1000)
    path = tmp_path / "big.sicap"
    path.write_bytes(b'{"format":"stream-inspector-capture","version":"1.0"}\n' + b" " * 1000)
    with pytest.raises(replay.ReplayError, match=r"is larger than 1000 bytes, the most that"):
        replay.read_file(path)
    path.write_bytes(path.read_bytes()[:1000])
    assert len(replay.read_file(path)) == 1000


@pytest.mark.parametrize(("kind", "what"), SPECIAL_FILES)
def test_add_replay_refuses_what_is_not_a_regular_file(tmp_path: Path, kind: str,
                                                       what: str) -> None:
    app = create_app()
    with pytest.raises(replay.ReplayError, match=re.escape(f"it is {what}; only regular files")):
        replay.add_replay(app, "x", special_file(tmp_path, kind))
    assert "x" not in app.state.replays
