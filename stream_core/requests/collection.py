"""What an import produces (``Imported``), and the checks that keep its ``.http`` file honest.

Why apart: the HAR and Postman importers share it, and it is where an imported value is kept
from writing a line it did not mean (issue 25.9): a header value holding
``\\n\\n### evil\\nPOST ...`` would add a request to the file, a URL holding ``\\n> {% ... %}`` a
response-handler script that an IDE client would run. Every field is checked for control
characters and lone surrogates before writing; the written text is read back, and a request
that does not come back the same is left out of the file and named in the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stream_core.requests.httpfile import HttpRequest, parse, write

__all__ = ["CollectionImportError", "Imported", "Names"]

#: C0 controls but TAB, DEL, and lone surrogates (``\udcff`` from a broken HAR)
_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
_BAD_IN_BODY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class CollectionImportError(ValueError):
    """A file that is neither a Postman collection nor a HAR, is not JSON, or holds a field
    of the wrong type; the message names the field."""


class Names:
    """Unique request names in one pass: ``GET /x``, ``GET /x (2)``, ... (a counter per
    name, so 10,000 entries for one URL cost 10,000 steps, not 50 million)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}

    def unique(self, name: str) -> str:
        name = " ".join(name.replace("#", "").split()) or "request"
        candidate, n = name, self.next.get(name, 1)
        while candidate in self.taken:
            n += 1
            candidate = f"{name} ({n})"
        self.next[name] = n
        self.taken.add(candidate)
        return candidate


def _problem(request: HttpRequest) -> str | None:
    """Which field of ``request`` the ``.http`` format cannot hold as it is."""
    fields = [("the name", request.name), ("the method", request.method),
              ("the URL", request.url)]
    for k, v in request.headers:
        fields += [(f"header name {k!r}", k), (f"header {k!r}", v)]
    for what, value in fields:
        bad = _BAD.search(value)
        if bad is not None:
            return f"{what} holds the control character U+{ord(bad.group()):04X}"
    if request.body is not None and (bad := _BAD_IN_BODY.search(request.body)) is not None:
        return f"the body holds the character U+{ord(bad.group()):04X}, not text"
    return None


@dataclass(slots=True)
class Imported:
    name: str
    requests: list[HttpRequest] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    report: list[str] = field(default_factory=list)  # what could not be carried over

    def text(self) -> str:
        """The ``.http`` file of every request that it can hold as it is; the others are
        left out and reported (a control character in a field, or a body line that reads as
        a separator, a handler or a file)."""
        variables = {}
        for k, v in self.variables.items():
            if _BAD.search(k) or _BAD.search(v):
                self.report.append(f"variable {k!r}: holds a control character, not written")
            else:
                variables[k] = v
        keep = []
        for request in self.requests:
            problem = _problem(request)
            if problem is not None:
                self.report.append(f"{request.name}: {problem}, not written")
            else:
                keep.append(request)
        text = write(variables, keep)
        back = {r.name: r for r in parse(text).requests}
        same = [r for r in keep if back.get(r.name) == r]
        for request in keep:
            if back.get(request.name) != request:
                self.report.append(f"{request.name}: does not read back the same from a .http"
                                   " file (a body line starting with ###, #, //, > or <?),"
                                   " not written")
        if len(same) != len(keep) or len(back) != len(keep):
            text = write(variables, same)
        return text
