"""Paste a curl command: the request it would send, as a ``RequestSpec``.

Why: requests arrive as curl commands, from browser DevTools (*Copy as cURL (bash)*, Chrome
and Firefox alike) and from every API reference. The words are split as bash splits them
(``Splitter``, linear): quotes, line continuations, ANSI-C ``$'...'`` strings (which Chrome
emits when a value holds a quote or a control character); an unquoted line end ends the
command. A shell variable outside single quotes (``"Authorization: Bearer $OPENAI_API_KEY"``)
becomes ``{{$env.OPENAI_API_KEY}}``, resolved from the process environment at send time
(empty when unset, as in a shell, and said); ``$1`` is empty, and said.

Every option is honoured, or ignored with the reason (``CurlRequest.notes``: ``-s``, ``-o``,
``--retry``...), or refused by name (``CurlError``: ``-x``, ``-K``, ``--unix-socket``...);
nothing is dropped silently. A copied ``Content-Length`` is recomputed from the body. Without
``-L`` redirects are not followed, as in curl. ``codegen.curl_command`` writes commands
this module reads back to the same request.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlsplit, urlunsplit

from stream_core.net.spec import RequestSpec
from stream_core.requests.shellwords import ShellError, Splitter
from stream_core.userfiles import UserFileError, read_user_bytes

__all__ = ["CurlError", "CurlRequest", "looks_like_curl", "parse_curl"]


class CurlError(ShellError):
    """A command that cannot be imported; the message names the option or the problem."""


@dataclass(slots=True)
class CurlRequest:
    spec: RequestSpec
    compressed: bool = False
    ignored: list[str] = field(default_factory=list)  # options that change nothing here
    notes: list[str] = field(default_factory=list)  # each ignored option and why, and more

    def ignore(self, option: str, shown: str) -> None:
        self.ignored.append(shown)
        self.notes.append(f"{shown}: ignored, it only changes {_IGNORED[option]}"
                          if not _IGNORED[option].startswith("curl would") else
                          f"{shown}: ignored: {_IGNORED[option]}")


#: Options that change nothing this tool can carry over, each with why it is ignored.
_IGNORED = {
    "-s": "curl's progress output", "--silent": "curl's progress output",
    "-S": "curl's error output", "--show-error": "curl's error output",
    "-v": "curl's trace output", "--verbose": "curl's trace output",
    "-i": "curl's output (the response headers are in the response record)",
    "--include": "curl's output (the response headers are in the response record)",
    "-#": "curl's progress bar", "--progress-bar": "curl's progress bar",
    "--no-progress-meter": "curl's progress output",
    "-f": "curl's exit status on HTTP errors (the status is in the response record)",
    "--fail": "curl's exit status on HTTP errors (the status is in the response record)",
    "--fail-with-body": "curl's exit status on HTTP errors (the status is in the response"
                        " record)",
    "--no-keepalive": "a socket option", "--tcp-nodelay": "a socket option",
    "--raw": "the body is shown as it arrives already",
    "-w": "curl's output format", "--write-out": "curl's output format",
    "--stderr": "where curl writes its messages",
    "--trace": "curl's trace output", "--trace-ascii": "curl's trace output",
    "-D": "curl's output (the response headers are in the response record)",
    "--dump-header": "curl's output (the response headers are in the response record)",
    "-o": "curl's output file (capture writes records; use capture -o FILE to save the body)",
    "--output": "curl's output file (capture writes records; use capture -o FILE to save the"
                " body)",
    "-O": "curl's output file (use capture -o FILE to save the body)",
    "--remote-name": "curl's output file (use capture -o FILE to save the body)",
    "--create-dirs": "curl's output file",
    "--retry": "curl would retry a failed transfer that many times; here the request is sent"
               " once (use --reconnect for a stream that drops)",
    "--retry-delay": "curl's retries (the request is sent once)",
    "--retry-max-time": "curl's retries (the request is sent once)",
    "--retry-all-errors": "curl's retries (the request is sent once)",
    "--retry-connrefused": "curl's retries (the request is sent once)",
}
#: Flags this tool does anyway (streaming without a buffer, no URL globbing).
_DONE_ANYWAY = {"-N", "--no-buffer", "-g", "--globoff"}
_WITH_VALUE = {"-X", "--request", "-H", "--header", "-d", "--data", "--data-ascii",
               "--data-raw", "--data-binary", "--data-urlencode", "--json", "-F", "--form",
               "--form-string", "-u", "--user", "-A", "--user-agent", "-e", "--referer",
               "-b", "--cookie", "--url", "--cacert", "--connect-timeout", "-m", "--max-time",
               "--oauth2-bearer", "-o", "--output", "-w", "--write-out", "--stderr", "--trace",
               "--trace-ascii", "-D", "--dump-header", "--retry", "--retry-delay",
               "--retry-max-time", "-x", "--proxy", "-K", "--config", "--unix-socket", "-T",
               "--upload-file", "-E", "--cert", "--key", "--max-redirs", "-c", "--cookie-jar",
               "--resolve", "--connect-to", "--interface", "--limit-rate", "-r", "--range",
               "-z", "--time-cond", "--proto", "--local-port"}
#: curl's own table of file extensions for -F (lib/mime.c); anything else is octet-stream
_FORM_TYPES = {"gif": "image/gif", "jpg": "image/jpeg", "jpeg": "image/jpeg",
               "png": "image/png", "svg": "image/svg+xml", "txt": "text/plain",
               "htm": "text/html", "html": "text/html", "pdf": "application/pdf",
               "xml": "application/xml"}


def looks_like_curl(text: str) -> bool:
    return bool(re.match(r"^\s*(\$\s+)?curl(\.exe)?\s", text))


def _split(command: str) -> tuple[list[str], bytes | None, list[str]]:
    """The words of the command, stdin from a ``printf '...' |`` prefix (Copy as curl's
    way of giving a binary body), and notes on what was read differently."""
    stdin: bytes | None = None
    command = command.strip()
    m = re.match(r"^printf\s+'((?:[^'\\]|\\[0-7]{3}|\\\\)*)'\s*\|\s*", command)
    if m:
        stdin = re.sub(rb"\\([0-7]{3})", lambda o: bytes([int(o.group(1), 8)]),
                       m.group(1).encode("latin-1", "replace"))
        command = command[m.end():]
    splitter = Splitter(command)
    try:
        words = splitter.split()
    except CurlError:
        raise
    except ShellError as exc:
        raise CurlError(str(exc)) from None
    if words and words[0] == "$":
        words = words[1:]
    if not words or words[0] not in ("curl", "curl.exe"):
        raise CurlError("not a curl command (it should start with 'curl')")
    return words[1:], stdin, splitter.notes


def _expand(words: list[str]) -> list[tuple[str, str | None]]:
    """(option, value) pairs; ``-XPOST``, ``-sS``, ``--opt=value`` split; URLs as (``""``, url)."""
    out: list[tuple[str, str | None]] = []
    it = iter(range(len(words)))
    for i in it:
        w = words[i]

        def value(opt: str, i: int = i) -> str:
            try:
                j = next(it)
            except StopIteration:
                raise CurlError(f"option {opt} needs a value") from None
            return words[j]

        if w == "--":
            out += [("", u) for u in words[i + 1:]]
            break
        if w.startswith("--"):
            name, eq, val = w.partition("=")
            if eq and name in _WITH_VALUE:
                out.append((name, val))
            elif name in _WITH_VALUE:
                out.append((name, value(name)))
            else:
                out.append((w, None))
        elif w.startswith("-") and len(w) > 1:
            j = 1
            while j < len(w):
                opt = "-" + w[j]
                if opt in _WITH_VALUE:
                    out.append((opt, w[j + 1:] or value(opt)))
                    break
                out.append((opt, None))
                j += 1
        else:
            out.append(("", w))
    return out


def _read(path: str, what: str) -> bytes:
    """A file the command names (regular files only, bounded: ``userfiles``)."""
    if path == "-":
        raise CurlError(f"{what} @- reads standard input, which a pasted command does not have")
    try:
        return read_user_bytes(Path(path).expanduser(), f"{what} file")
    except UserFileError as exc:
        raise CurlError(str(exc)) from None


def _multipart(forms: list[tuple[str, str]], url: str) -> tuple[bytes, str]:
    """Encode ``-F`` fields with httpx (public API); returns (body, content type)."""
    import httpx

    files: list[tuple[str, tuple[str | None, bytes, str | None]]] = []
    for opt, spec in forms:
        name, eq, val = spec.partition("=")
        if not eq:
            raise CurlError(f"bad {opt} value {spec!r}: expected name=value")
        if opt != "--form-string" and val.startswith(("@", "<")):
            path, *params = val[1:].split(";")
            content = _read(path, opt)
            ctype = next((p.split("=", 1)[1] for p in params if p.startswith("type=")), None)
            if ctype is None and val[0] == "@":  # curl's table, not the system's
                ctype = _FORM_TYPES.get(Path(path).suffix[1:].lower(), "application/octet-stream")
            filename = next((p.split("=", 1)[1] for p in params if p.startswith("filename=")),
                            Path(path).name)
            files.append((name, (filename if val[0] == "@" else None, content, ctype)))
        else:
            files.append((name, (None, val.encode("utf-8"), None)))
    request = httpx.Request("POST", url, files=files)
    return request.read(), request.headers["Content-Type"]


def parse_curl(command: str) -> CurlRequest:
    """The request ``command`` sends; CurlError naming what cannot be carried over."""
    words, stdin, result_notes = _split(command)
    follow = False
    method: str | None = None
    urls: list[str] = []
    headers: list[tuple[str, str]] = []
    data: list[str] = []  # pieces joined by &
    raw_body: bytes | None = None
    forms: list[tuple[str, str]] = []
    json_body = get = head = False
    result = CurlRequest(RequestSpec(url=""), notes=result_notes)
    spec = result.spec
    unsupported: list[str] = []
    for opt, val in _expand(words):
        if opt == "":
            urls.append(val or "")
        elif val is None:
            if opt in ("-k", "--insecure"):
                spec.verify = False
            elif opt == "--compressed":
                result.compressed = True
            elif opt == "--http2":
                spec.http2 = True
            elif opt == "--http1.1":
                spec.http2 = False
            elif opt in ("-G", "--get"):
                get = True
            elif opt in ("-I", "--head"):
                head = True
            elif opt in ("-L", "--location"):
                follow = True
            elif opt in _DONE_ANYWAY:
                pass  # streamed as it arrives, no URL globbing: as asked
            elif opt in _IGNORED:
                result.ignore(opt, opt)
            else:
                unsupported.append(opt)
        elif opt in ("-X", "--request"):
            method = val.upper()
        elif opt in ("-H", "--header"):
            name, sep, value = val.partition(":")
            if val.startswith("@"):
                unsupported.append(f"{opt} @file")
            elif not sep and val.endswith(";"):  # curl's way of sending an empty header
                headers.append((val[:-1].strip(), ""))
            elif sep and value.strip():
                headers.append((name.strip(), value.strip()))
            elif sep:  # "Name:" removes a header curl would add: nothing to send
                result.ignored.append(f"{opt} {val}")
            else:
                raise CurlError(f"bad header {val!r}: expected 'Name: value'")
        elif opt in ("-d", "--data", "--data-ascii"):
            data.append(_read(val[1:], opt).decode("utf-8", "replace").replace("\r", "")
                        .replace("\n", "") if val.startswith("@") else val)
        elif opt == "--data-binary":
            data.append((stdin if val == "@-" and stdin is not None else
                         _read(val[1:], opt) if val.startswith("@") else
                         val.encode("utf-8")).decode("utf-8", "surrogateescape"))
        elif opt == "--data-raw":
            data.append(val)
        elif opt == "--data-urlencode":
            name, eq, content = val.partition("=")
            if content.startswith("@") or (not eq and name.startswith("@")):
                unsupported.append(f"{opt} with @file")
            else:
                data.append(f"{name}={quote_plus(content)}" if eq and name else
                            quote_plus(content if eq else name))
        elif opt == "--json":
            json_body = True
            data.append(_read(val[1:], opt).decode("utf-8", "replace")
                        if val.startswith("@") else val)
        elif opt in ("-F", "--form", "--form-string"):
            forms.append((opt, val))
        elif opt in ("-u", "--user"):
            user = val if ":" in val else val + ":"
            token = base64.b64encode(user.encode("utf-8")).decode("ascii")
            headers.append(("Authorization", f"Basic {token}"))
        elif opt == "--oauth2-bearer":
            headers.append(("Authorization", f"Bearer {val}"))
        elif opt in ("-A", "--user-agent"):
            headers.append(("User-Agent", val))
        elif opt in ("-e", "--referer"):
            headers.append(("Referer", val))
        elif opt in ("-b", "--cookie"):
            if "=" not in val:
                unsupported.append(f"{opt} FILE (a cookie jar)")
            else:
                headers.append(("Cookie", val))
        elif opt == "--url":
            urls.append(val)
        elif opt == "--cacert":
            spec.verify = val
        elif opt == "--connect-timeout":
            spec.timeouts.connect = _seconds(opt, val)
        elif opt in ("-m", "--max-time"):
            spec.timeouts.total = _seconds(opt, val)
        elif opt in _IGNORED:
            result.ignore(opt, f"{opt} {val}")
        else:
            unsupported.append(opt)
    if unsupported:
        raise CurlError("unsupported curl option" + ("s " if len(unsupported) > 1 else " ")
                        + ", ".join(unsupported))
    if len(urls) != 1:
        raise CurlError("no URL in the command" if not urls else
                        f"one URL at a time, not {len(urls)}: {' '.join(urls)}")
    url = urls[0]
    if "://" not in url:
        url = "http://" + url  # curl's default
    body: bytes | None = None
    if forms:
        if data:
            raise CurlError("-F and -d cannot be used together (curl refuses too)")
        body, ctype = _multipart(forms, url)
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"] + [
            ("Content-Type", ctype)]
    elif data and get:
        parts = urlsplit(url)
        query = "&".join(p for p in (parts.query, *data) if p)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    elif data:
        raw_body = "&".join(data).encode("utf-8", "surrogateescape")
        body = raw_body
        names = {k.lower() for k, _ in headers}
        if json_body:
            if "content-type" not in names:
                headers.append(("Content-Type", "application/json"))
            if "accept" not in names:
                headers.append(("Accept", "application/json"))
        elif "content-type" not in names:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    spec.url = url
    spec.headers = _content_length(headers, body, result.notes)
    spec.body = body
    spec.follow_redirects = follow  # curl follows redirects only with -L
    spec.method = method or ("HEAD" if head else "GET" if get or body is None else "POST")
    return result


def _content_length(headers: list[tuple[str, str]], body: bytes | None,
                    notes: list[str]) -> list[tuple[str, str]]:
    """Without a copied ``Content-Length``: the client computes it from the body (a stale one,
    from a request edited after copying, would make the request fail), said when it differed."""
    size = len(body or b"")
    for k, v in headers:
        if k.lower() == "content-length" and v.strip() != str(size):
            notes.append(f"-H '{k}: {v}': the body has {size} bytes; the Content-Length sent"
                         " is computed from it")
    return [(k, v) for k, v in headers if k.lower() != "content-length"]


def _seconds(opt: str, val: str) -> float:
    try:
        seconds = float(val)
    except ValueError:
        raise CurlError(f"{opt} needs a number of seconds, not {val!r}") from None
    if not math.isfinite(seconds):
        raise CurlError(f"{opt} needs a finite number of seconds, not {val!r}")
    if seconds <= 0:
        raise CurlError(f"{opt} needs a positive number of seconds")
    return seconds
