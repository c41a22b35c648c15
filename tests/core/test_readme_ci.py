"""README's *In CI* script, run as written: it starts the demo server, gates a stream by the
exit status of ``capture`` and by ``compare`` against a reference capture (issue 28)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_capture import ROOT, command, env


def readme_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### In CI"):]
    match = re.search(r"```sh\n(#!/bin/sh\n.*?)```", section, re.S)
    assert match is not None, "README's In CI section has no sh block"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_the_readme_ci_script_gates_a_stream(demo_server: str, tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "stream-inspector"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable!r} -m gui \"$@\"\n")
    wrapper.chmod(0o755)
    script = tmp_path / "ci-stream-gate.sh"
    script.write_text(readme_script())
    reference = tmp_path / "reference.sicap"
    subprocess.run(command(f"{demo_server}/sse/tour", "--save", str(reference)), cwd=ROOT,
                   env=env(), capture_output=True, timeout=120, check=True)
    e = env() | {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
                 "PORT": str(free_port()), "REFERENCE": str(reference)}
    proc = subprocess.run(["sh", str(script)], cwd=tmp_path, env=e, capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert proc.stdout.rstrip().endswith("same headers and events"), proc.stdout
    assert (tmp_path / "tour.sicap").stat().st_size > 0

    # the same gate against another stream's capture fails it
    other = tmp_path / "other.sicap"
    subprocess.run(command(f"{demo_server}/events?count=2&interval=0", "--save", str(other)),
                   cwd=ROOT, env=env(), capture_output=True, timeout=60, check=True)
    gate = subprocess.run([sys.executable, "-m", "gui", "compare", str(other),
                           str(tmp_path / "tour.sicap"), "--events", "--headers"],
                          cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60)
    assert gate.returncode == 1, gate.stdout
