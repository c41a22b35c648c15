"""``--install-desktop`` / ``--uninstall-desktop`` and ``--version``, without Qt.

Desktop integration for a per-user install (``pipx install .``): under the XDG data home
(``$XDG_DATA_HOME``, by default ``~/.local/share``) the ``.desktop`` entry with ``Exec`` and
``TryExec`` naming this installation's entry point by its absolute path (``%u``: a URL, or a
capture file from a file manager, opens the window on it), the SVG icon in the hicolor theme,
and a shared-mime-info package that types ``*.sicap`` files as
``application/x-stream-inspector-capture`` (the entry's ``MimeType``), then the desktop and
MIME databases are refreshed when their tools exist. The files come from the package's
resources (``gui.services.resources``), so what is installed is what was shipped.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from gui.services import resources

__all__ = ["DESKTOP", "ICON", "MIME", "MIME_TYPE", "data_home", "entry_point", "install",
           "uninstall", "version"]

logger = logging.getLogger(__name__)

DISTRIBUTION = "stream-inspector"
MIME_TYPE = "application/x-stream-inspector-capture"
DESKTOP = Path("applications/stream-inspector.desktop")
ICON = Path("icons/hicolor/scalable/apps/stream-inspector.svg")
MIME = Path("mime/packages/stream-inspector.xml")
SOURCES = {DESKTOP: "stream-inspector.desktop", ICON: "icons/stream-inspector.svg",
           MIME: "stream-inspector-mime.xml"}
# The tool that rebuilds the cache each file's folder needs, with that folder.
REFRESH = (("update-desktop-database", Path("applications")), ("update-mime-database", Path("mime")))
# Characters that make an Exec argument need quotes (Desktop Entry Specification, "Exec key").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def version() -> str:
    """This installation's version, from the package metadata (pyproject is the source)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def data_home(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_DATA_HOME`` (``~/.local/share`` when unset or relative)."""
    base = env.get("XDG_DATA_HOME", "")
    return Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"


def entry_point() -> Path:
    """The absolute path of this installation's ``stream-inspector`` script.

    The one beside the running interpreter (a virtualenv, pipx's venv) first: a ``PATH``
    lookup could find another installation."""
    beside = Path(sys.executable).parent / "stream-inspector"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("stream-inspector")
    if found:
        return Path(found).absolute()
    return Path(sys.argv[0]).absolute()


def _exec_quote(argument: str) -> str:
    """One Exec argument, quoted as the Desktop Entry Specification asks, then escaped as a
    string value (a backslash is written twice)."""
    if _RESERVED.isdisjoint(argument):
        quoted = argument
    else:
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
        quoted = f'"{escaped}"'
    return quoted.replace("\\", "\\\\")


def desktop_entry(template: str, exe: Path) -> str:
    """The shipped entry with ``Exec``/``TryExec`` naming ``exe`` and ``MimeType`` set."""
    lines = []
    for line in template.splitlines():
        key = line.split("=", 1)[0].strip()
        if key == "Exec":
            line = f"Exec={_exec_quote(str(exe))} %u"
        elif key == "TryExec":
            line = f"TryExec={str(exe).replace(chr(92), chr(92) * 2)}"
        elif key == "MimeType":
            line = f"MimeType={MIME_TYPE};"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _write(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file, then ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _refresh(home: Path) -> list[str]:
    """Run the cache tools that exist; what was run, for the report."""
    ran = []
    for tool, folder in REFRESH:
        exe = shutil.which(tool)
        if exe is None or not (home / folder).is_dir():
            continue
        done = subprocess.run([exe, str(home / folder)], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            logger.warning("%s %s failed: %s", tool, home / folder, done.stderr.strip())
        ran.append(f"{tool} {home / folder}")
    return ran


def install(home: Path | None = None, exe: Path | None = None) -> list[str]:
    """Write the entry, the icon and the MIME package under ``home``; lines saying what."""
    home = data_home() if home is None else home
    exe = entry_point() if exe is None else exe
    report = []
    for target, source in SOURCES.items():
        data = resources.read_bytes(source)
        if data is None:
            raise FileNotFoundError(f"the package has no {source} (a broken installation)")
        if target == DESKTOP:
            data = desktop_entry(data.decode("utf-8"), exe).encode("utf-8")
        _write(home / target, data)
        report.append(f"wrote {home / target}")
    report += [f"ran {command}" for command in _refresh(home)]
    return report


def uninstall(home: Path | None = None) -> list[str]:
    """Remove what ``install`` wrote under ``home``; lines saying what."""
    home = data_home() if home is None else home
    report = []
    for target in SOURCES:
        path = home / target
        if path.exists():
            path.unlink()
            report.append(f"removed {path}")
    report += [f"ran {command}" for command in _refresh(home)]
    return report or [f"nothing to remove under {home}"]


def main(*, install_desktop: bool) -> int:
    """``--install-desktop`` (``install_desktop``) or ``--uninstall-desktop``: the status."""
    try:
        lines = install() if install_desktop else uninstall()
    except OSError as exc:
        print(f"stream-inspector: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines), flush=True)
    return 0
