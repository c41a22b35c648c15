"""The ``stream-inspector`` entry point as a script meets it (issue 28.1, 28.6, 28.13): a
mistyped command, no display, the top-level help, shell completion. Real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stream_core.capture import exitcodes
from tests.core.test_capture import ROOT, env

#: Runs the real entry point, then says which of the modules that start the demo server's
#: child (or Qt) were imported: none may be, for a command that never opens the window.
PROBE = """
import sys
from gui.app.cli import main
try:
    code = main()
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in ("embedded_server.process", "embedded_server.runner", "PySide6")
                if m in sys.modules)
print("LOADED:" + ",".join(loaded))
sys.exit(code)
"""


def entry(*args: str, environ: dict[str, str] | None = None,
          probe: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", PROBE, *args] if probe else [sys.executable, "-m", "gui", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env=environ or env(), timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, said", [
    (["captur", "http://127.0.0.1:9/"], "unknown command 'captur'; did you mean 'capture'?"),
    (["diff", "a.sicap", "b.sicap"], "unknown command 'diff'; did you mean 'compare'?"),
    (["serv"], "unknown command 'serv'; did you mean 'serve'?"),
    (["nosuchcmd"], "unknown command 'nosuchcmd' (commands: capture, compare, serve"),
])
def test_mistyped_command_is_one_line_and_starts_nothing(args: list[str], said: str) -> None:
    proc = entry(*args)
    assert proc.returncode == exitcodes.USAGE
    assert proc.stderr.startswith(f"stream-inspector: {said}") and proc.stderr.count("\n") == 1
    assert proc.stdout == "LOADED:\n", "no demo-server child, no Qt"


def test_compare_without_files_is_one_line() -> None:
    proc = entry("compare")
    assert proc.returncode == exitcodes.USAGE and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("stream-inspector compare: ")


def test_a_file_named_like_a_command_is_not_a_typo(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x")
    from gui.app.commands import unknown_command

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert unknown_command(["notes"]) is None
        assert unknown_command(["other"]) is not None
    finally:
        os.chdir(cwd)
    assert unknown_command(["http://127.0.0.1:8000/x"]) is None
    assert unknown_command(["localhost:8000"]) is None
    assert unknown_command(["--demo", "events"]) is None


def no_display_env() -> dict[str, str]:
    e = env()
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        e.pop(name, None)
    return e


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11/Wayland systems only")
def test_window_without_a_display_is_one_line_exit_two() -> None:
    proc = entry("http://127.0.0.1:9/events", environ=no_display_env())
    assert proc.returncode == exitcodes.USAGE, proc.stderr
    assert proc.stderr.count("\n") == 1 and "no display" in proc.stderr
    assert "stream-inspector capture URL" in proc.stderr
    assert proc.stdout == "LOADED:\n", "no demo-server child, no Qt"
    listed = entry("--list-demos", environ=no_display_env())  # needs no window
    assert listed.returncode == 0 and "events" in listed.stdout


def test_no_display_rules() -> None:
    from gui.app.commands import no_display

    if sys.platform in ("win32", "darwin"):
        assert no_display({}) is None
        return
    assert no_display({}) is not None
    assert no_display({"DISPLAY": ":0"}) is None
    assert no_display({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert no_display({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert no_display({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}) is not None
    assert no_display({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}) is not None


def test_top_level_help_lists_every_command_an_example_and_the_exit_statuses() -> None:
    proc = entry("--help")
    assert proc.returncode == 0 and proc.stderr == ""
    text = proc.stdout
    from gui.app.commands import COMMANDS

    for name, (_what, example) in COMMANDS.items():
        assert f"\n  {name} " in text and example in text, name
    assert {"capture", "compare", "serve", "proxy"} <= set(COMMANDS)
    for status, what in exitcodes.TABLE:
        assert f"  {status:>3}  {what}" in text
    assert "--screenshot" in text, "the window's own options come first"
    assert text.endswith("LOADED:\n")


# -- completion ----------------------------------------------------------------------------------

def complete(line: str, tmp_path: Path) -> list[str]:
    """What argcomplete answers the shell for ``line`` (the protocol bash and zsh use)."""
    out = tmp_path / "completions"
    e = env() | {"_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
                 "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
    proc = subprocess.run([sys.executable, "-m", "gui"], capture_output=True, cwd=ROOT, env=e,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return out.read_text().replace("\013", " ").split()


def test_completion_follows_the_parsers(tmp_path: Path) -> None:
    assert "capture" in complete("stream-inspector ca", tmp_path)
    assert set(complete("stream-inspector ", tmp_path)) >= {"capture", "compare", "serve",
                                                           "proxy", "completion", "--demo"}
    assert complete("stream-inspector capture --mode n", tmp_path) == ["ndjson"]
    assert complete("stream-inspector capture --max-t", tmp_path) == ["--max-time"]
    assert complete("stream-inspector compare a b --tim", tmp_path) == ["--timing"]
    assert complete("stream-inspector --view ti", tmp_path) == ["timeline"]
    assert complete("stream-inspector serve --po", tmp_path) == ["--port"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    proc = entry("completion", shell, probe=False)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "stream-inspector" in proc.stdout and "_ARGCOMPLETE" in proc.stdout
    if shutil.which(shell) and shell != "bash":  # bash is run for real below
        check = ["fish", "--no-execute"] if shell == "fish" else ["zsh", "-n"]
        assert subprocess.run([*check, "-c", proc.stdout], timeout=30).returncode == 0


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_through_the_generated_script(tmp_path: Path) -> None:
    """The script as a user loads it, and bash's own completion function run on a line."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "stream-inspector").write_text(
        f"#!/bin/sh\ncd {str(ROOT)!r} && exec {sys.executable!r} -m gui \"$@\"\n")
    (bindir / "stream-inspector").chmod(0o755)
    script = ('eval "$(stream-inspector completion bash)"\n'
              'COMP_LINE="stream-inspector capture --mode s"; COMP_POINT=${#COMP_LINE}\n'
              "COMP_WORDS=(stream-inspector capture --mode s); COMP_CWORD=3; COMP_TYPE=9\n"
              '_python_argcomplete stream-inspector; echo "REPLY:${COMPREPLY[*]}"\n')
    e = env() | {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=e,
                          timeout=60)
    assert "REPLY:sse" in proc.stdout.split(), (proc.stdout, proc.stderr)


def test_completion_costs_capture_nothing() -> None:
    """argcomplete is imported only when the shell asks for completions."""
    probe = ("import sys\nfrom gui.app.cli import main\nmain(['capture', '--help'])\n"
             "print('argcomplete' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env=env(), timeout=60)
    assert proc.stdout.strip().endswith("False"), proc.stdout
