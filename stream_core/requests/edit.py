"""Edits of a ``.http`` file that hold when the file changed on disk since it was read.

Why: the user's files are often open in an IDE at the same time, and a write from a stale
copy silently undoes the other editor's work. An edit here says *what* the user changed
(update this request, add one, rename one, delete one), not the file's whole new text; at
write time it is applied to the file as it is on disk then (``commit``):

- the file is still what was read: the edit is spliced into it (``httpfile``'s splices keep
  every other byte);
- it changed elsewhere but the request concerned did not: the same splice on the new text
  (the request found by its name, or, for an unnamed one, by its unchanged text; its place
  otherwise), and the outcome says it was merged;
- the request itself changed, moved away or vanished on disk: ``Conflict``, and the caller
  asks the user (``force`` then applies the edit over the request's new text).

Every written text is read back (``parse``) to check that it says what was meant: a body line
that would start a new request (``###``) or a response handler (``>``) is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from stream_core.requests import httpfile
from stream_core.requests.files import Snapshot, StaleFile, read_text, write_text
from stream_core.requests.httpfile import HttpFile, HttpFileError, HttpRequest

__all__ = ["Append", "Conflict", "Delete", "Edit", "Outcome", "Rename", "Update", "apply",
           "commit"]

log = logging.getLogger(__name__)

#: How many times a write starts over when the file changes again while it is being written.
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Update:
    """Request ``name`` becomes ``request`` (whose name may differ: a rename too)."""

    name: str
    request: HttpRequest


@dataclass(frozen=True, slots=True)
class Append:
    """``request`` is added at the end of the file (a new file if there is none)."""

    request: HttpRequest


@dataclass(frozen=True, slots=True)
class Rename:
    name: str
    new_name: str


@dataclass(frozen=True, slots=True)
class Delete:
    name: str


Edit = Update | Append | Rename | Delete


class Conflict(HttpFileError):
    """The edit cannot be applied to the file on disk without asking the user.

    ``kind``: "changed" (the request was edited there too: ``force`` overwrites it) or "gone"
    (it is no longer there: renamed or deleted elsewhere).
    """

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``commit`` did: the file as now on disk, and whether others' changes were kept."""

    snapshot: Snapshot
    merged: bool = False  # the file had changed on disk; the edit went into its new text
    written: bool = True  # False when there was nothing to do (already deleted there)


def _own_text(doc: HttpFile, request: HttpRequest) -> str:
    a, b = request.span
    return doc.text[a:b] if a >= 0 else ""


def _locate(base: HttpFile, now: HttpFile, name: str, file: str) -> tuple[HttpRequest, bool]:
    """Request ``name`` of ``base`` in ``now``, and whether its text is unchanged there."""
    old = base.find(name)
    text = _own_text(base, old)
    if not old.named:  # named by its place, which others' edits move: found by its text
        same = [r for r in now.requests if not r.named and _own_text(now, r) == text]
        if len(same) == 1:
            return same[0], True
    else:
        for request in now.requests:
            if request.name == name and request.named:
                return request, _own_text(now, request) == text
    raise Conflict(f"request {name!r} is no longer in {file}: it was renamed or deleted there",
                   "gone")


def apply(edit: Edit, base: HttpFile, now: HttpFile, *, file: str = "the file",
          force: bool = False) -> str:
    """The text of ``now`` with ``edit`` (made on ``base``) applied; HttpFileError (Conflict
    among them) when it cannot be."""
    return _apply(edit, base, now, file, force)[0]


def _apply(edit: Edit, base: HttpFile, now: HttpFile, file: str,
           force: bool) -> tuple[str, HttpRequest | None]:
    """``apply``, and the request as it should read back from the text (None: none)."""
    if isinstance(edit, Append):
        return httpfile.append(now, edit.request), edit.request
    current, unchanged = _locate(base, now, edit.name, file)
    if isinstance(edit, Rename):
        return httpfile.rename(now, current.name, edit.new_name), None
    if not unchanged and not force:
        verb = "deleting" if isinstance(edit, Delete) else "saving over"
        raise Conflict(f"request {edit.name!r} was changed in {file} since it was read:"
                       f" {verb} it would lose that change", "changed")
    if isinstance(edit, Delete):
        return httpfile.delete(now, current.name), None
    request = edit.request
    if request.name == edit.name:  # not renamed: it keeps its name there (``#3`` if moved)
        request = replace(request, name=current.name)
    text = httpfile.update(now, current.name, request)
    if request.expectations != current.expectations:  # its ``# @expect`` lines, above it
        text = httpfile.set_expectations(httpfile.parse(text), request.name,
                                         request.expectations)
    return text, request


def _lines(body: str | None) -> list[str]:
    """A body as ``parse`` gives it back: line ends aside, no blank lines around it."""
    lines = [line.rstrip("\r") for line in (body or "").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _meaning(request: HttpRequest) -> tuple[object, ...]:
    return (request.method, request.url.strip(),
            [(k.strip(), v.strip()) for k, v in request.headers], _lines(request.body),
            request.body_file)


def _check(request: HttpRequest, text: str) -> None:
    """Read the new text back: the request written says exactly what was meant."""
    try:
        written = httpfile.parse(text).find(request.name)
    except HttpFileError:
        raise HttpFileError(f"not saved: request {request.name!r} would not read back under"
                            " its name") from None
    got, want = _meaning(written), _meaning(request)
    if got != want:
        why = ("a body line that starts with ### or > would be read as another request or a"
               " response handler") if got[:3] == want[:3] else (
            "the request would not read back as written")
        raise HttpFileError(f"not saved: {why}")


def commit(path: str | Path, base: Snapshot, edit: Edit, *, force: bool = False) -> Outcome:
    """Apply ``edit``, made on ``base`` (the file as read), to ``path`` as it is on disk now.

    Raises Conflict (ask the user), HttpFileError (the edit itself is refused: a name in use,
    a body that would not read back), FileError (the file on disk is not a text file) or
    OSError (the system refused the write).
    """
    path = Path(path)
    base_doc = httpfile.parse(base.text)
    merged = False
    for _ in range(ATTEMPTS):
        now = read_text(path)
        same = now.same_file(base)
        merged = merged or not same
        try:
            text, written = _apply(edit, base_doc, base_doc if same else
                                   httpfile.parse(now.text), path.name, force)
        except Conflict as exc:
            if isinstance(edit, Delete) and exc.kind == "gone":  # nothing left to delete
                return Outcome(now, merged, written=False)
            raise
        if now.exists and text == now.text:
            return Outcome(now, merged, written=False)
        if written is not None:
            _check(written, text)
        try:
            snapshot = write_text(path, text, now)
        except StaleFile:
            log.info("%s changed again while being written: starting over", path)
            continue
        if merged:
            log.info("%s had changed on disk: the edit went into its new text", path)
        return Outcome(snapshot, merged)
    raise HttpFileError(f"not saved: {path.name} keeps changing on disk; try again")
