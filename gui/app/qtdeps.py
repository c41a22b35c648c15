"""Before a real window: does this system have the libraries Qt's X11 platform plugin needs?

On a fresh Debian (or Fedora) desktop the PySide6 wheel starts, then Qt aborts with "Could not
load the Qt platform plugin "xcb"" because a system library such as ``libxcb-cursor.so.0``
is missing; only a CI script installed them. ``make run`` (and ``python -m gui.app.qtdeps``)
asks the dynamic linker (``ldd`` on the plugin) which libraries it cannot find and prints the
one command that installs them. Qt-free and cheap: it never imports PySide6, only finds it.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["install_command", "missing_libraries", "main"]

#: soname -> (Debian/Ubuntu package, Fedora package): what Qt 6's xcb plugin links to.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}


def xcb_plugin() -> Path | None:
    """The PySide6 wheel's xcb platform plugin, found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        plugin = Path(base) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` printed as ``=> not found``, in its order, once each."""
    found: list[str] = []
    for line in ldd_output.splitlines():
        name, sep, where = line.strip().partition("=>")
        if sep and where.strip() == "not found" and name.strip() not in found:
            found.append(name.strip())
    return found


def install_command(missing: list[str], manager: str) -> str:
    """``sudo apt-get install ...`` (manager "apt") or ``sudo dnf install ...`` ("dnf") for the
    packages that hold ``missing``; a soname this table does not know is named as it is."""
    column = 0 if manager == "apt" else 1
    packages: list[str] = []
    for soname in missing:
        package = PACKAGES.get(soname, (soname, soname))[column]
        if package not in packages:
            packages.append(package)
    verb = "apt-get install" if manager == "apt" else "dnf install"
    return f"sudo {verb} {' '.join(packages)}"


def check(plugin: Path | None = None) -> list[str]:
    """The libraries the plugin needs and cannot find ([] when all are there, or when this
    system has no ``ldd`` or the wheel no xcb plugin: nothing to say then)."""
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    try:
        done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return missing_libraries(done.stdout)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    missing = check(Path(args[0]) if args else None)
    if not missing:
        return 0
    managers = [m for m, tool in (("apt", "apt-get"), ("dnf", "dnf")) if shutil.which(tool)]
    lines = [f"Qt's X11 platform plugin needs libraries this system lacks: {', '.join(missing)}."]
    for manager in managers or ["apt", "dnf"]:
        lines.append(f"Install them with: {install_command(missing, manager)}")
    print("\n".join(lines), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
