"""`make run` on a fresh machine: the libraries Qt's xcb plugin lacks are named with the one
command that installs them (issue 23.21), instead of Qt's abort."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gui.app import qtdeps

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f36)
\tlibxcb-cursor.so.0 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f36)
"""


def test_missing_libraries_are_read_from_ldd() -> None:
    assert qtdeps.missing_libraries(LDD) == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]


def test_install_command_names_the_packages() -> None:
    missing = ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libweird.so.3"]
    assert qtdeps.install_command(missing, "apt") == (
        "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0 libweird.so.3")
    assert qtdeps.install_command(missing, "dnf") == (
        "sudo dnf install xcb-util-cursor libxkbcommon-x11 libweird.so.3")


def test_this_machine_has_what_the_plugin_needs() -> None:
    if qtdeps.xcb_plugin() is None or shutil.which("ldd") is None:
        pytest.skip("no xcb plugin or no ldd here")
    assert qtdeps.check() == []


def test_a_plugin_with_a_missing_library_is_reported(tmp_path: Path) -> None:
    """A real shared object linked to a library that is then removed: ldd says 'not found'.
    (A name no system has: this machine has the real libxcb-cursor.so.0.)"""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or shutil.which("ldd") is None:
        pytest.skip("needs a C compiler and ldd to build a plugin with a missing library")
    (tmp_path / "stub.c").write_text("int stub(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int stub(void);\nint plugin(void) { return stub(); }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libsi-gone.so.0"),
                    "-Wl,-soname,libsi-gone.so.0", str(tmp_path / "stub.c")], check=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libqxcb.so"),
                    str(tmp_path / "plugin.c"), str(tmp_path / "libsi-gone.so.0")],
                   check=True)
    (tmp_path / "libsi-gone.so.0").unlink()
    done = subprocess.run([sys.executable, "-m", "gui.app.qtdeps", str(tmp_path / "libqxcb.so")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "needs libraries this system lacks: libsi-gone.so.0." in done.stderr
    assert "install libsi-gone.so.0" in done.stderr
    assert done.stdout == ""
