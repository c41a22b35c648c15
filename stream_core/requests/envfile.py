"""Adding variables to an environment file (``http-client.private.env.json``) in place.

Why in place: the file is the user's, with their layout, their other environments and
values, maybe comments in an IDE's eyes (JSON has none, so none are read here). New members
are spliced into the JSON text after the environment's last member, indented like it; every
other byte stays. The file is created 0600 (it holds secrets); an existing one keeps its mode.
It is written as every user file is (``files.write_text``: checked against what was read,
atomically replaced).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from stream_core.records import loads_bounded
from stream_core.requests.environments import PRIVATE_ENV_FILE
from stream_core.requests.files import Snapshot, StaleFile, read_text, write_text

__all__ = ["EnvFileError", "add_variables", "save_variables"]

log = logging.getLogger(__name__)

_SPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


class EnvFileError(ValueError):
    """The environment file cannot take the variables (not JSON, a value in the way)."""


def _skip(text: str, i: int) -> int:
    match = _SPACE.match(text, i)
    return match.end() if match else i


def _members(text: str, start: int) -> tuple[list[tuple[str, int, int, int]], int]:
    """The members of the object opening at ``start``: (key, key start, value start, value
    end) each, and where its closing brace is. The text is known to be valid JSON."""
    members: list[tuple[str, int, int, int]] = []
    i = _skip(text, start + 1)
    if text[i] == "}":
        return members, i
    while True:
        key, j = _DECODER.raw_decode(text, i)
        j = _skip(text, _skip(text, j) + 1)  # past the colon
        _value, k = _DECODER.raw_decode(text, j)
        members.append((key, i, j, k))
        k = _skip(text, k)
        if text[k] == "}":
            return members, k
        i = _skip(text, k + 1)  # past the comma


def _indent(text: str, at: int) -> str:
    """The indentation of the line holding offset ``at``."""
    line = text[text.rfind("\n", 0, at) + 1:at]
    return line[:len(line) - len(line.lstrip(" \t"))]


def _insert(text: str, open_at: int, entries: list[str], newline: str) -> str:
    """``entries`` (``"key": value``) added to the object opening at ``open_at``."""
    members, close = _members(text, open_at)
    if members:
        last_key, last_end = members[-1][1], members[-1][3]
        if "\n" in text[open_at:last_key]:  # one member a line: follow its indentation
            ind = _indent(text, last_key)
            added = "".join(f",{newline}{ind}{e}" for e in entries)
        else:
            added = "".join(f", {e}" for e in entries)
        return text[:last_end] + added + text[last_end:]
    outer = _indent(text, open_at)
    inner = outer + "  "
    body = f",{newline}".join(f"{inner}{e}" for e in entries)
    return text[:open_at + 1] + newline + body + newline + outer + text[close:]


def add_variables(text: str, environment: str, values: dict[str, str],
                  file: str = PRIVATE_ENV_FILE) -> str:
    """``text`` (an environment file, "" for none) with ``values`` in ``environment``.

    A variable that already has the same value is left; another value is an EnvFileError.
    """
    if not text.strip():
        return json.dumps({environment: values}, indent=2, ensure_ascii=False) + "\n"
    try:
        doc = loads_bounded(text)
    except ValueError as exc:
        raise EnvFileError(f"{file}: not valid JSON ({exc}); not changed") from None
    if not isinstance(doc, dict):
        raise EnvFileError(f"{file}: not a JSON object of environments; not changed")
    newline = "\r\n" if "\r\n" in text else "\n"
    start = _skip(text, 0)
    env = doc.get(environment)
    if env is None:
        block = json.dumps(values, indent=2, ensure_ascii=False).replace("\n", newline)
        members, _close = _members(text, start)
        ind = _indent(text, members[-1][1]) if members else ""
        block = block.replace(newline, newline + ind)
        return _insert(text, start, [f"{json.dumps(environment)}: {block}"], newline)
    if not isinstance(env, dict):
        raise EnvFileError(f"{file}: environment {environment!r} is not an object;"
                           " not changed")
    new: list[str] = []
    for name, value in values.items():
        if name in env:
            if env[name] != value:
                raise EnvFileError(f"{file}: {environment}.{name} already has another value")
            continue
        new.append(f"{json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}")
    if not new:
        return text
    value_at = next(j for key, _i, j, _k in _members(text, start)[0] if key == environment)
    return _insert(text, value_at, new, newline)


def save_variables(folder: str | Path, environment: str, values: dict[str, str]) -> Snapshot:
    """Add ``values`` to ``environment`` in ``folder``'s private environment file (created
    0600); the file as written. Raises EnvFileError, FileError or OSError."""
    path = Path(folder) / PRIVATE_ENV_FILE
    for _ in range(3):
        now = read_text(path)
        text = add_variables(now.text if now.exists else "", environment, values)
        if now.exists and text == now.text:
            return now
        try:
            return write_text(path, text, now, new_mode=0o600)
        except StaleFile:
            log.info("%s changed while being written: starting over", path)
    raise EnvFileError(f"{PRIVATE_ENV_FILE} keeps changing on disk; not changed")
