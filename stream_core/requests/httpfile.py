"""``.http`` request files: the plain-text format of the JetBrains HTTP Client and the VS Code
REST Client, read, written and edited in place.

Why this format: files that also open in an IDE's HTTP client and live in git beside the code.
What is read (both tools' documented syntax)::

    @host = http://127.0.0.1:8000          file variable: outside any request it holds for
                                            the whole file; above a request, from there on
    ### Stream events                       separator; the text after it names the request
    # @name events                          a name (``// @name`` and ``# @name = x`` too)
    # @no-redirect                          other ``@`` directives: kept, written back
    # @expect first_event < 500ms           expectations (``stream_core.expect``), kept as
                                            written
    #### Banner ####                         comments: ``#`` or ``//`` lines, four or more ``#``
    GET {{host}}/events?count=3 HTTP/1.1   method optional (GET), HTTP version optional
        &interval=0.1                       indented lines continue the URL (query)
    Accept: text/event-stream               headers up to the first blank line
                                            blank line, then the body ...
    < ./body.json                           ... inline, or a file (``<@`` substitutes variables);
                                            comment lines in a body are left out, as both
                                            IDE clients do; ``< file`` lines inside a body
                                            (multipart parts) are read at send time
    > {% client.test(...) %}                response handlers, ``>> out.json`` redirects,
    <> 2022-10-02T003823.200.json           IntelliJ's response references: kept untouched,
                                            never run, never sent

A UTF-8 byte-order mark at the start is skipped (and kept on write).

Edits keep the rest of the file byte for byte: each request remembers the source spans of its
request text and of its name, and ``update`` / ``rename`` / ``delete`` / ``append`` splice
only those (``write`` renders a whole file, for new files and round-trip tests).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

__all__ = ["FILE_LINE", "HttpFile", "HttpFileError", "HttpRequest", "append", "delete", "parse", "rename",
           "render_request", "set_expectations", "update", "write"]

log = logging.getLogger(__name__)

#: Request-line methods; any other all-caps first word followed by a URL is a method too.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT")
_SEPARATOR = re.compile(r"^###(?!#)(.*)$")
_VARIABLE = re.compile(r"^@([A-Za-z_][\w.\-]*)\s*=\s?(.*)$")
_NAME = re.compile(r"^(?:#|//)\s*@name(?:\s*=\s*|\s+)(\S.*?)\s*$")
_EXPECT = re.compile(r"^(?:#|//)\s*@expect(?:\s+(.*?))?\s*$")
_DIRECTIVE = re.compile(r"^(?:#|//)\s*@([A-Za-z][\w\-]*)(?:\s+(.*?))?\s*$")
_VERSION = re.compile(r"\s+(HTTP/[0-9.]+)\s*$")
_METHOD = re.compile(r"^([A-Z]+)\s+(\S.*)$")
#: ``< ./file`` or ``<@ ./file`` (variables substituted in it): a body, or a line of one
FILE_LINE = re.compile(r"^<(@\S*)?\s+(\S.*?)\s*$")
_HEADER = re.compile(r"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*:\s?(.*)$")


class HttpFileError(ValueError):
    """A request file that cannot be edited as asked (an unknown name, a clash)."""


@dataclass(slots=True)
class HttpRequest:
    """One request of a file; the spans (offsets into the file's text) are not compared."""

    name: str
    method: str = "GET"
    url: str = ""
    http_version: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None  # inline text, variables not yet substituted
    body_file: str | None = None  # ``< path`` (relative to the file)
    body_file_variables: bool = False  # ``<@ path``: substitute variables in the file's text
    handlers: list[str] = field(default_factory=list)  # ``> {% ... %}`` / ``>> file`` lines
    directives: list[str] = field(default_factory=list)  # ``# @no-redirect`` etc. (without @)
    expectations: list[str] = field(default_factory=list)  # ``# @expect EXPR``: the EXPRs
    expect_spans: list[tuple[int, int]] = field(default_factory=list, compare=False)  # EXPRs
    line: int = field(default=0, compare=False)  # 1-based line of the request line (0: none)
    # The file variables in effect at this request (a ``@name`` holds from its line on):
    variables: dict[str, str] = field(default_factory=dict, compare=False)
    # Where it is in the source (-1 when built in memory):
    span: tuple[int, int] = field(default=(-1, -1), compare=False)  # request line .. last line
    name_span: tuple[int, int] = field(default=(-1, -1), compare=False)  # the name's text
    block: tuple[int, int] = field(default=(-1, -1), compare=False)  # separator .. next one

    @property
    def named(self) -> bool:
        return self.name_span[0] >= 0

    @property
    def label(self) -> str:
        """How messages name it: its name, or its method and URL when it has none."""
        return repr(self.name) if self.named else f"{self.method} {self.url}"


@dataclass(slots=True)
class HttpFile:
    text: str
    variables: dict[str, str] = field(default_factory=dict)
    requests: list[HttpRequest] = field(default_factory=list)

    def find(self, name: str) -> HttpRequest:
        for request in self.requests:
            if request.name == name:
                return request
        names = ", ".join(r.name for r in self.requests) or "none"
        raise HttpFileError(f"no request named {name!r} (requests: {names})")

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"


@dataclass(slots=True)
class _Line:
    start: int  # offset of the first character
    end: int  # offset after the content (before the line end)
    text: str


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    if text.startswith("\ufeff"):  # a byte-order mark: not part of the first line
        pos = 1
        text = text[1:]
    for raw in text.splitlines(keepends=True):
        content = raw.rstrip("\r\n")
        out.append(_Line(pos, pos + len(content), content))
        pos += len(raw)
    return out


def _is_comment(text: str) -> bool:
    s = text.lstrip()
    return s.startswith("#") or s.startswith("//")


def _is_handler(text: str) -> bool:
    """A response handler (``> {% %}``, ``> file.js``), a redirect (``>> file``) or IntelliJ's
    response reference (``<> file.json``): never part of the request."""
    return text.startswith((">", "<>"))


def parse(text: str) -> HttpFile:
    """Every request and file variable of ``text``; never raises (odd lines are logged)."""
    result = HttpFile(text)
    lines = _lines(text)
    line_no = {line.start: n + 1 for n, line in enumerate(lines)}
    blocks: list[tuple[int, int, _Line | None]] = []  # (first line, end line, separator line)
    start, sep = 0, None
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line.text):
            blocks.append((start, i, sep))
            start, sep = i + 1, line
    blocks.append((start, len(lines), sep))
    shared: dict[str, str] = {}  # variables of blocks without a request
    scoped: list[dict[str, str]] = []  # variables above each request, in its own block
    for first, end, sep_line in blocks:
        block_start = sep_line.start if sep_line is not None else (
            lines[first].start if first < len(lines) else len(text))
        block_end = lines[end].start if end < len(lines) else len(text)
        local: dict[str, str] = {}
        request = _parse_block(lines[first:end], sep_line, local)
        result.variables.update(local)
        if request is None:  # a block of variables only: they hold for the whole file
            shared.update(local)
            continue
        request.block = (block_start, block_end)
        request.line = line_no.get(request.span[0], 0)
        if not request.name:
            request.name = f"#{len(result.requests) + 1}"
        result.requests.append(request)
        scoped.append(dict(local))
    for request, upto in zip(result.requests, _running(scoped), strict=True):
        request.variables = {**shared, **upto}
    _unique_names(result.requests)
    return result


def _running(scoped: list[dict[str, str]]) -> list[dict[str, str]]:
    """For each request, the variables defined above it inside request blocks (in order)."""
    out: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for local in scoped:
        current = {**current, **local}
        out.append(current)
    return out


def _unique_names(requests: list[HttpRequest]) -> None:
    """Same names get their position appended, as the JetBrains client does."""
    seen: dict[str, int] = {}
    for r in requests:
        seen[r.name] = seen.get(r.name, 0) + 1
    for i, r in enumerate(requests):
        if seen[r.name] > 1:
            r.name = f"{r.name} #{i + 1}"


def _parse_block(lines: list[_Line], sep: _Line | None,
                 variables: dict[str, str]) -> HttpRequest | None:
    name, name_span = "", (-1, -1)
    if sep is not None:
        after = _SEPARATOR.match(sep.text)
        label = after.group(1) if after else ""
        if label.strip():
            offset = sep.start + 3 + (len(label) - len(label.lstrip()))
            name, name_span = label.strip(), (offset, offset + len(label.strip()))
    directives: list[str] = []
    expectations: list[tuple[str, tuple[int, int]]] = []
    i = 0
    while i < len(lines):  # before the request line: blanks, comments, names, variables
        text = lines[i].text
        stripped = text.strip()
        if not stripped:
            i += 1
            continue
        named = _NAME.match(stripped)
        if named:
            name = named.group(1)
            col = lines[i].text.index(name, lines[i].text.index("@name") + 5)
            name_span = (lines[i].start + col, lines[i].start + col + len(name))
        elif (expect := _EXPECT.match(stripped)) is not None:
            text = expect.group(1) or ""
            col = lines[i].text.index("@expect") + 7
            col += len(lines[i].text[col:]) - len(lines[i].text[col:].lstrip())
            expectations.append((text, (lines[i].start + col, lines[i].start + col + len(text))))
        elif (directive := _DIRECTIVE.match(stripped)) is not None:
            directives.append(" ".join(p for p in directive.groups() if p))
        elif (variable := _VARIABLE.match(stripped)) is not None:
            variables[variable.group(1)] = variable.group(2).strip()
        elif not _is_comment(text):
            break
        i += 1
    if i >= len(lines):
        return None
    request = HttpRequest(name=name, name_span=name_span, directives=directives,
                          expectations=[e for e, _ in expectations],
                          expect_spans=[s for _, s in expectations])
    span_start = lines[i].start
    line = lines[i].text.strip()
    i += 1
    while i < len(lines) and lines[i].text[:1] in (" ", "\t") and lines[i].text.strip():
        line += lines[i].text.strip()  # an indented query continuation
        i += 1
    version = _VERSION.search(line)
    if version:
        request.http_version = version.group(1)
        line = line[:version.start()].rstrip()
    method = _METHOD.match(line)
    if method and not method.group(1).startswith("HTTP"):
        request.method, request.url = method.group(1), method.group(2).strip()
    else:
        request.url = line
    last = i - 1
    while i < len(lines) and lines[i].text.strip():  # headers
        text = lines[i].text
        if _is_handler(text):
            break
        if not _is_comment(text):
            header = _HEADER.match(text.strip())
            if header:
                request.headers.append((header.group(1), header.group(2).strip()))
            else:
                log.info("not a header, skipped: %r", text)
        last = i
        i += 1
    body_lines: list[_Line] = []
    handler_at = len(lines)
    for j in range(i, len(lines)):
        if _is_handler(lines[j].text):
            handler_at = j
            break
        if not _is_comment(lines[j].text):  # comments in a body are comments (both clients)
            body_lines.append(lines[j])
    while body_lines and not body_lines[-1].text.strip():
        body_lines.pop()
    while body_lines and not body_lines[0].text.strip():
        body_lines.pop(0)
    if body_lines:
        last = lines.index(body_lines[-1])
        ref = FILE_LINE.match(body_lines[0].text)
        if len(body_lines) == 1 and ref is not None:  # ``<root/>`` is XML, not a file
            request.body_file_variables = ref.group(1) is not None
            request.body_file = ref.group(2)
        else:
            request.body = "\n".join(b.text for b in body_lines)
    in_script = False
    for j in range(handler_at, len(lines)):
        text = lines[j].text
        if not (in_script or _is_handler(text)):
            continue  # blank lines and comments between handlers
        request.handlers.append(text)
        last = j
        if in_script:
            in_script = "%}" not in text
        elif text.startswith("> {%"):
            in_script = "%}" not in text[4:]
    request.span = (span_start, lines[last].end)
    return request


# -- writing -----------------------------------------------------------------------------------
def render_request(request: HttpRequest, newline: str = "\n") -> str:
    """The request's own text: request line, headers, blank line, body, handlers (no name)."""
    line = f"{request.method} {request.url}"
    if request.http_version:
        line += f" {request.http_version}"
    out = [line] + [f"{k}: {v}" for k, v in request.headers]
    if request.body_file is not None:
        out += ["", ("<@ " if request.body_file_variables else "< ") + request.body_file]
    elif request.body:
        out += ["", *request.body.split("\n")]
    if request.handlers:
        out += ["", *request.handlers]
    return newline.join(out)


def _render_named(request: HttpRequest, newline: str) -> str:
    head = [f"### {request.name}", f"# @name {request.name}"]
    head += [f"# @{d}" for d in request.directives]
    head += [f"# @expect {e}" for e in request.expectations]
    return newline.join(head) + newline + render_request(request, newline) + newline


def write(variables: dict[str, str], requests: list[HttpRequest], newline: str = "\n") -> str:
    """A whole file: the variables, then each request under a ``###`` separator."""
    parts = []
    if variables:
        parts.append(newline.join(f"@{k} = {v}" for k, v in variables.items()) + newline)
    parts += [_render_named(r, newline) for r in requests]
    return newline.join(parts)


_NAME_OK = re.compile(r"^[^\r\n#]*\S[^\r\n]*$")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or not _NAME_OK.match(name) or name.startswith("#"):
        raise HttpFileError(f"bad request name {name!r}: one line, not starting with #")
    return name


def _ending(text: str, newline: str) -> str:
    return text if not text or text.endswith(("\n", "\r")) else text + newline


def update(doc: HttpFile, name: str, new: HttpRequest) -> str:
    """The file's text with request ``name`` replaced by ``new`` (and renamed if its name
    differs); everything else is kept byte for byte."""
    old = doc.find(name)
    if old.span[0] < 0:
        raise HttpFileError(f"request {name!r} has no place in the file")
    text = doc.text
    new_text = text[:old.span[0]] + _rendered_over(old, new, text[old.span[0]:old.span[1]],
                                                   doc.newline) + text[old.span[1]:]
    if new.name != old.name:
        return rename(parse(new_text), old.name, new.name)
    return new_text


def _rendered(request: HttpRequest) -> tuple[object, ...]:
    """What ``render_request`` writes of a request."""
    return (request.method, request.url, request.http_version, request.headers, request.body,
            request.body_file, request.body_file_variables, request.handlers)


def _rendered_over(old: HttpRequest, new: HttpRequest, old_text: str, newline: str) -> str:
    """The text of ``new`` in the place of ``old`` (whose text is ``old_text``), keeping what
    the user wrote there that a request does not hold (comment lines in its body, its
    blank lines, its line ends) where ``new`` did not change it: all of it when ``new``
    says the same, the body and what follows when only the request line or headers
    changed."""
    if _rendered(old) == _rendered(new):
        return old_text
    if _rendered(old)[4:] == _rendered(new)[4:]:  # the body, its file and handlers unchanged
        head = render_request(replace(new, body=None, body_file=None, handlers=[]), newline)
        pos, first = 0, True
        for line in old_text.splitlines(keepends=True):
            if not first and not line.strip():  # the blank line before the body
                return head + newline + old_text[pos:]
            first = False
            pos += len(line)
    return render_request(new, newline)


def rename(doc: HttpFile, name: str, new_name: str) -> str:
    new_name = _check_name(new_name)
    if new_name != name and any(r.name == new_name for r in doc.requests):
        raise HttpFileError(f"a request named {new_name!r} already exists")
    old = doc.find(name)
    text = doc.text
    if old.named:
        a, b = old.name_span
        return text[:a] + new_name + text[b:]
    return text[:old.span[0]] + f"# @name {new_name}{doc.newline}" + text[old.span[0]:]


def delete(doc: HttpFile, name: str) -> str:
    """The file without request ``name``: its block and the separator that opened it (in
    the first block, which has none, from its name or request line: variables stay)."""
    old = doc.find(name)
    text = doc.text
    a, b = old.block
    if not text[a:].startswith("###"):
        a = old.span[0]
        if old.named and old.name_span[0] < a:
            a = text.rfind("\n", 0, old.name_span[0]) + 1
    elif b == len(text) and text[:a].strip():  # the last block: and the blank lines before it,
        a = len(text[:a].rstrip("\r\n")) + len(doc.newline)  # as ``append`` put them
    return text[:a] + text[b:]


def append(doc: HttpFile, new: HttpRequest) -> str:
    """The file with ``new`` added at the end under its own separator."""
    _check_name(new.name)
    if any(r.name == new.name for r in doc.requests):
        raise HttpFileError(f"a request named {new.name!r} already exists")
    nl = doc.newline
    text = _ending(doc.text, nl)
    if text.strip():
        text += nl
    return text + _render_named(new, nl)


def set_expectations(doc: HttpFile, name: str, expectations: list[str]) -> str:
    """``doc``'s text with request ``name``'s ``# @expect`` lines (between its ``###`` line
    and its request line) made ``expectations``, and nothing else: unchanged lines keep their
    exact text (``//`` or ``#``, spacing), removed ones leave with their line end, new ones
    take the first one's place (or go just above the request line). ``update`` rewrites the
    request's own text, below them."""
    request = doc.find(name)
    if request.span[0] < 0:
        raise HttpFileError(f"request {name!r} has no place in the file")
    wanted = [e.strip() for e in expectations if e.strip()]
    for text in wanted:
        if "\n" in text or "\r" in text:
            raise HttpFileError(f"an expectation is one line: {text[:40]!r}")
    if wanted == request.expectations:
        return doc.text
    text, nl = doc.text, doc.newline
    lines: list[tuple[int, int, str]] = []  # start, end with its line end, the line's text
    for start, _end in request.expect_spans:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end + 1
        lines.append((line_start, line_end, text[line_start:line_end]))
    kept = dict(zip(request.expectations, (raw for _s, _e, raw in lines), strict=True))
    style = lines[0][2].lstrip()[:2] if lines else "# "
    prefix = "// " if style.startswith("//") else "# "
    block = ""
    for expr in wanted:
        raw = kept.pop(expr, None)
        block += raw if raw is not None and raw.endswith("\n") else f"{prefix}@expect {expr}{nl}"
    at = lines[0][0] if lines else request.span[0]
    out, pos = [], 0
    for start, end, _raw in lines:
        out.append(text[pos:start])
        pos = end
    out.append(text[pos:])
    rest = "".join(out)  # nothing was removed before ``at``: it is the first removed line
    return rest[:at] + block + rest[at:]
