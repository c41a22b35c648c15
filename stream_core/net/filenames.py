"""Names for downloaded files: from Content-Disposition, else the URL; safe on any file system.

Why: a server chooses the name (``Content-Disposition``), and a server may be hostile or just
careless: a name must never leave the download folder (no path parts), hide itself (leading
dots), carry control characters, or be longer than the file system accepts (255 bytes on
most, ``File name too long`` otherwise), counting the ``.part.json`` the download adds.
"""

from __future__ import annotations

import mimetypes
import os
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["DEFAULT_NAME", "download_name", "free_path", "name_max", "sanitize"]

DEFAULT_NAME = "download"
#: What the download adds to a name while it runs (``.part`` and its ``.part.json``), plus
#: room for `` (99)`` when the name is taken.
_RESERVED = len(".part.json") + len(" (99)")
_FORBIDDEN = set('/\\:*?"<>|')


def name_max(folder: str) -> int:
    """The longest file name (bytes) ``folder``'s file system accepts (255 when unknown)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _shorten(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` UTF-8 bytes, keeping a short extension whole."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    tail = f".{ext}" if ext else ""
    room = limit - len(tail.encode("utf-8")) - len("…".encode())
    cut = stem.encode("utf-8")[:max(room, 1)].decode("utf-8", "ignore")
    return f"{cut}…{tail}"


def sanitize(name: str, limit: int = 255) -> str:
    """A plain file name from ``name``: its last path part, no control or reserved characters,
    no leading dots or spaces, at most ``limit`` bytes minus what a running download adds;
    "" when nothing usable is left."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if c in _FORBIDDEN else c for c in name
                   if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.strip().lstrip(".").strip()
    if name in ("", ".", ".."):
        return ""
    return _shorten(name, max(limit - _RESERVED, 16))


def disposition_name(value: str | None) -> str:
    """The ``filename*`` (RFC 6266 / 5987) or ``filename`` of a Content-Disposition, or ""."""
    if not value:
        return ""
    from email.message import Message  # (~15 ms: with the first download, not at startup)

    msg = Message()
    msg["content-disposition"] = value
    try:
        name = msg.get_filename()
    except (ValueError, LookupError):
        return ""
    return name if isinstance(name, str) else ""


def download_name(url: str, content_disposition: str | None = None,
                  content_type: str | None = None, limit: int = 255) -> str:
    """The file name for a download: Content-Disposition's, else the URL's last path segment,
    else ``download``; with an extension from ``content_type`` when the name has none."""
    name = sanitize(disposition_name(content_disposition), limit)
    if not name:
        segment = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
        name = sanitize(segment, limit) or DEFAULT_NAME
    if "." not in name.strip(".") and content_type:
        ext = mimetypes.guess_extension(content_type.split(";", 1)[0].strip().lower())
        if ext:
            name = _shorten(name, max(limit - _RESERVED - len(ext), 16)) + ext
    return name


def free_path(path: Path) -> Path:
    """``path``, or ``name (2).ext`` etc. when taken: a download never overwrites a file."""
    candidate, n = path, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".part").exists():
        n += 1
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return candidate
