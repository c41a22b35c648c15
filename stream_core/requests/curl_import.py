"""Paste a curl command: the request it would send, as a ``RequestSpec``.

Why: requests arrive as curl commands, from browser DevTools (*Copy as cURL (bash)*, Chrome
and Firefox alike) and from every API reference. Bash quoting is split by ``shlex`` after two
rewrites it does not know: line continuations (``\\`` + newline) and ANSI-C ``$'...'`` strings,
which Chrome emits when a value holds a quote or a control character. A shell variable
outside single quotes (``"Authorization: Bearer $OPENAI_API_KEY"``) becomes
``{{$env.OPENAI_API_KEY}}``, resolved from the process environment at send time.

Every option that changes the request is carried over or refused by name (``CurlError``);
options that only change curl's own output (``-s``, ``-v``, ``-i``, ...) are listed in
``CurlRequest.ignored``; nothing is dropped silently. ``codegen.curl_command`` writes commands
this module reads back to the same request.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlsplit, urlunsplit

from stream_core.net.spec import RequestSpec

__all__ = ["CurlError", "CurlRequest", "looks_like_curl", "parse_curl"]


class CurlError(ValueError):
    """A command that cannot be imported; the message names the option or the problem."""


@dataclass(slots=True)
class CurlRequest:
    spec: RequestSpec
    compressed: bool = False
    ignored: list[str] = field(default_factory=list)  # output-only options, named


#: Options that take a value and only change what curl prints or how it retries.
_OUTPUT_WITH_VALUE = {"-w", "--write-out", "--stderr", "--trace", "--trace-ascii", "-D",
                      "--dump-header", "--retry", "--retry-delay", "--retry-max-time"}
#: Flags that only change what curl prints (the request is the same).
_OUTPUT_FLAGS = {"-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i", "--include",
                 "-f", "--fail", "--fail-with-body", "-#", "--progress-bar", "--no-progress-meter",
                 "-N", "--no-buffer", "-L", "--location", "-g", "--globoff", "--compressed",
                 "-k", "--insecure", "--http2", "--http1.1", "-I", "--head", "-G", "--get",
                 "--no-keepalive", "--tcp-nodelay", "--raw"}
_WITH_VALUE = {"-X", "--request", "-H", "--header", "-d", "--data", "--data-ascii",
               "--data-raw", "--data-binary", "--data-urlencode", "--json", "-F", "--form",
               "--form-string", "-u", "--user", "-A", "--user-agent", "-e", "--referer",
               "-b", "--cookie", "--url", "--cacert", "--connect-timeout", "-m", "--max-time",
               "--oauth2-bearer", "-o", "--output"} | _OUTPUT_WITH_VALUE
_ANSI = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
         "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "v": "\v", "?": "?"}


#: ``$NAME`` / ``${NAME}`` outside single quotes: the API references' ``$OPENAI_API_KEY``
_SHELL_VAR = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})")


def looks_like_curl(text: str) -> bool:
    return bool(re.match(r"^\s*(\$\s+)?curl(\.exe)?\s", text))


def _ansi_c(text: str, i: int) -> tuple[bytes, int]:
    """Decode ``$'...'`` starting after the opening quote at ``i``; (bytes, index after)."""
    out = bytearray()
    while i < len(text):
        c = text[i]
        if c == "'":
            return bytes(out), i + 1
        if c != "\\" or i + 1 >= len(text):
            out += c.encode("utf-8")
            i += 1
            continue
        e = text[i + 1]
        i += 2
        if e in _ANSI:
            out += _ANSI[e].encode()
        elif e == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", text[i:])
            if m:
                out.append(int(m.group(), 16))
                i += m.end()
            else:
                out += b"\\x"
        elif e in "uU":
            m = re.match(r"[0-9a-fA-F]{1,4}" if e == "u" else r"[0-9a-fA-F]{1,8}", text[i:])
            if m:
                out += chr(int(m.group(), 16)).encode("utf-8", "surrogatepass")
                i += m.end()
            else:
                out += b"\\" + e.encode()
        elif e in "01234567":
            m = re.match(r"[0-7]{0,2}", text[i:])
            digits = e + (m.group() if m else "")
            out.append(int(digits, 8) & 0xFF)
            i += len(digits) - 1
        elif e == "c" and i < len(text):  # control character
            out.append(ord(text[i]) & 0x1F)
            i += 1
        else:
            out += ("\\" + e).encode("utf-8")
    raise CurlError("unterminated $'...' string")


def _rewrite(command: str) -> str:
    """The command with line continuations joined and every ``$'...'`` made plain quoting."""
    command = re.sub(r"\\\r?\n", " ", command)  # bash line continuations
    out: list[str] = []
    i, quote = 0, ""
    while i < len(command):
        c = command[i]
        if quote == '"' and c == "$" and (var := _SHELL_VAR.match(command, i)) is not None:
            out.append(f"{{{{$env.{var.group(1) or var.group(2)}}}}}")
            i = var.end()
        elif quote:
            out.append(c)
            if c == "\\" and quote == '"' and i + 1 < len(command):
                out.append(command[i + 1])
                i += 1
            elif c == quote:
                quote = ""
            i += 1
        elif c == "\\" and i + 1 < len(command):
            out.append(command[i:i + 2])
            i += 2
        elif c == "$" and command[i + 1:i + 2] == "'":
            raw, i = _ansi_c(command, i + 2)
            out.append(shlex.quote(raw.decode("utf-8", "replace")))
        elif c == "$" and (var := _SHELL_VAR.match(command, i)) is not None:
            out.append(f"{{{{$env.{var.group(1) or var.group(2)}}}}}")
            i = var.end()
        else:
            if c in "'\"":
                quote = c
            out.append(c)
            i += 1
    return "".join(out)


def _split(command: str) -> tuple[list[str], bytes | None]:
    """The words of the command, and stdin from a ``printf '...' |`` prefix (Copy as curl's
    way of giving a binary body)."""
    stdin: bytes | None = None
    command = command.strip()
    m = re.match(r"^printf\s+'((?:[^'\\]|\\[0-7]{3}|\\\\)*)'\s*\|\s*", command)
    if m:
        stdin = re.sub(rb"\\([0-7]{3})", lambda o: bytes([int(o.group(1), 8)]),
                       m.group(1).encode("latin-1", "replace"))
        command = command[m.end():]
    try:
        words = shlex.split(_rewrite(command), comments=False, posix=True)
    except ValueError as exc:  # no closing quotation
        raise CurlError(f"cannot split the command: {exc}") from None
    if words and words[0] == "$":
        words = words[1:]
    if not words or words[0] not in ("curl", "curl.exe"):
        raise CurlError("not a curl command (it should start with 'curl')")
    if any(w in ("|", ";", "&&", "||", ">", "<") for w in words):
        raise CurlError("only one curl command can be imported (no pipes, redirections or ;)")
    return words[1:], stdin


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
    if path == "-":
        raise CurlError(f"{what} @- reads standard input, which a pasted command does not have")
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise CurlError(f"cannot read {what} file {path!r}: {exc.strerror}") from None


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
            filename = next((p.split("=", 1)[1] for p in params if p.startswith("filename=")),
                            Path(path).name)
            files.append((name, (filename if val[0] == "@" else None, content, ctype)))
        else:
            files.append((name, (None, val.encode("utf-8"), None)))
    request = httpx.Request("POST", url, files=files)
    return request.read(), request.headers["Content-Type"]


def parse_curl(command: str) -> CurlRequest:
    """The request ``command`` sends; CurlError naming what cannot be carried over."""
    words, stdin = _split(command)
    method: str | None = None
    urls: list[str] = []
    headers: list[tuple[str, str]] = []
    data: list[str] = []  # pieces joined by &
    raw_body: bytes | None = None
    forms: list[tuple[str, str]] = []
    json_body = get = head = False
    result = CurlRequest(RequestSpec(url=""))
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
            elif opt in ("-L", "--location", "-N", "--no-buffer"):
                pass  # the window streams and follows redirects already
            elif opt in _OUTPUT_FLAGS:
                result.ignored.append(opt)
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
        elif opt in ("-o", "--output"):
            unsupported.append(f"{opt} (save with the Download mode instead)")
        elif opt in _OUTPUT_WITH_VALUE:
            result.ignored.append(f"{opt} {val}")
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
    spec.headers = headers
    spec.body = body
    spec.method = method or ("HEAD" if head else "GET" if get or body is None else "POST")
    return result


def _seconds(opt: str, val: str) -> float:
    try:
        seconds = float(val)
    except ValueError:
        raise CurlError(f"{opt} needs a number of seconds, not {val!r}") from None
    if seconds <= 0:
        raise CurlError(f"{opt} needs a positive number of seconds")
    return seconds
