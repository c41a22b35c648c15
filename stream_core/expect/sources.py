"""Where expectations come from: ``--expect EXPR``, ``--expect-file FILE`` and the
``# @expect`` lines of a request in a ``.http`` file; all parsed before any request is sent.

Errors are ``ExpectationError``: one line naming where (``--expect 'EXPR'``, ``FILE:LINE:COL``)
and what, for the command to print before it exits 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from stream_core.expect.syntax import Expectation, ExpectationError, ExpectSyntaxError, parse
from stream_core.requests import httpfile
from stream_core.userfiles import UserFileError, read_user_text

__all__ = ["ExpectationError", "from_arguments", "from_file", "from_request", "from_saved"]

MAX_FILE = 1 << 20
"""Largest expectation file read (1 MiB: thousands of lines)."""
MAX_HTTP_FILE = 16 * 1024 * 1024
"""Largest ``.http`` file read (as ``capture --from``)."""


def from_arguments(exprs: Iterable[str], files: Iterable[str]) -> list[Expectation]:
    """The expectations of ``--expect`` (relative paths from the working folder) and
    ``--expect-file`` (relative to the file)."""
    out: list[Expectation] = []
    for text in exprs:
        try:
            out.append(parse(text))
        except ExpectSyntaxError as exc:
            raise ExpectationError(f"--expect {text!r}: {exc}") from None
    for name in files:
        out += from_file(Path(name))
    return out


def from_file(path: Path) -> list[Expectation]:
    try:
        text = read_user_text(path, "expectations", MAX_FILE)
    except UserFileError as exc:
        raise ExpectationError(str(exc)) from None
    out: list[Expectation] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        try:
            out.append(parse(line.strip(), base_dir=path.parent, source=f"{path}:{number}"))
        except ExpectSyntaxError as exc:
            raise ExpectationError(f"{path}:{number}:{indent + exc.column}: {exc.message}"
                                   ) from None
    return out


def from_request(doc: httpfile.HttpFile, request: httpfile.HttpRequest,
                 path: Path) -> list[Expectation]:
    """The ``# @expect`` lines of ``request`` (``matches FILE`` relative to the file)."""
    out: list[Expectation] = []
    for text, (start, _end) in zip(request.expectations, request.expect_spans, strict=True):
        line = doc.text.count("\n", 0, start) + 1
        column = start - (doc.text.rfind("\n", 0, start) + 1)  # 0-based, of the expression
        try:
            out.append(parse(text, base_dir=path.parent, source=f"{path}:{line}"))
        except ExpectSyntaxError as exc:
            raise ExpectationError(f"{path}:{line}:{column + exc.column}: {exc.message}"
                                   ) from None
    return out


def from_saved(source: str) -> list[Expectation]:
    """The expectations of ``--from FILE.http#NAME`` (none if the request cannot be found:
    the request's own loading says why)."""
    path_text, _, name = source.partition("#")
    path = Path(path_text)
    try:
        doc = httpfile.parse(read_user_text(path, ".http file", MAX_HTTP_FILE))
    except UserFileError:
        return []
    request: httpfile.HttpRequest | None = None
    if not name:
        request = doc.requests[0] if len(doc.requests) == 1 else None
    else:
        try:
            request = doc.find(name)
        except httpfile.HttpFileError:  # FILE#3: the third, as ``capture --from`` reads it
            if name.isdigit() and 0 < int(name) <= len(doc.requests):
                request = doc.requests[int(name) - 1]
    return [] if request is None else from_request(doc, request, path)
