"""Copy as curl / as Python httpx: any request as a command or a script that streams it too.

Why: the next step after inspecting a stream is often a script or a bug report; both must
stream (``curl -N``, ``client.stream`` with ``aiter_lines``), not buffer the whole body.
Headers httpx adds by itself (Host, Content-Length, Accept-Encoding, ...) are left out.
``secrets=False`` masks them as saved files do (``masking.mask_request``: secret-looking
headers, query parameters and URL user info), for code to paste into a bug report.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from stream_core.capture.masking import mask_request

__all__ = ["curl_command", "httpx_code", "user_headers"]

#: Headers the client computes itself; copying them would pin stale or wrong values.
AUTOMATIC = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}


def user_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers worth copying: not the automatic ones, nor httpx's own User-Agent."""
    return [(k, v) for k, v in headers if k.lower() not in AUTOMATIC
            and not (k.lower() == "user-agent" and v.startswith("python-httpx/"))]


def _printf_escape(data: bytes) -> str:
    """Octal escapes: the only ones every POSIX printf (dash included) understands."""
    return "".join(chr(b) if 32 <= b < 127 and chr(b) not in "\\'%" else f"\\{b:03o}"
                   for b in data)


def curl_command(method: str, url: str, headers: Sequence[tuple[str, str]],
                 body: bytes | None = None, *, secrets: bool = True) -> str:
    """A POSIX shell ``curl -N`` command line (no buffering: output shows as it arrives)."""
    if not secrets:
        url, headers = mask_request(method, url, headers)
    args = ["curl", "-N"]
    method = method.upper()
    if method != "GET" or body:
        if not (method == "POST" and body):
            args += ["-X", method]
    for name, value in user_headers(headers):
        args += ["-H", f"{name}: {value}"]
    prefix = ""
    if body:
        try:
            text = body.decode("utf-8")
            if "\x00" in text:
                raise UnicodeDecodeError("utf-8", body, 0, 1, "NUL")
            # --data-binary would read a body starting with @ from a file
            args += ["--data-raw" if text.startswith("@") else "--data-binary", text]
        except UnicodeDecodeError:
            prefix = f"printf '{_printf_escape(body)}' | "
            args += ["--data-binary", "@-"]
    args.append(url)
    return prefix + " ".join(shlex.quote(a) for a in args)


def httpx_code(method: str, url: str, headers: Sequence[tuple[str, str]],
               body: bytes | None = None, mode: str = "auto", *, secrets: bool = True) -> str:
    """A runnable asyncio script streaming the request with httpx.

    ``mode`` picks the loop: text modes (sse, ndjson, lines) read lines, others bytes.
    """
    if not secrets:
        url, headers = mask_request(method, url, headers)
    hdrs = user_headers(headers)
    lines = ["import asyncio", "", "import httpx", "", "", "async def main() -> None:"]
    lines.append("    headers = [")
    lines += [f"        ({k!r}, {v!r})," for k, v in hdrs]
    lines.append("    ]")
    content = ""
    if body:
        try:
            lines.append(f"    body = {body.decode('utf-8')!r}.encode()")
        except UnicodeDecodeError:
            lines.append(f"    body = {body!r}")
        content = ", content=body"
    lines += [
        "    timeout = httpx.Timeout(10.0, read=300.0)  # a long read timeout for a stream",
        "    async with httpx.AsyncClient(timeout=timeout) as client:",
        f"        async with client.stream({method.upper()!r}, {url!r}, headers=headers{content})"
        " as response:",
        "            print(response.status_code, response.headers.get('content-type'))",
    ]
    if mode in ("sse", "ndjson", "lines", "auto"):
        lines += ["            async for line in response.aiter_lines():",
                  "                print(line)"]
    else:
        lines += ["            size = 0",
                  "            async for chunk in response.aiter_bytes():",
                  "                size += len(chunk)",
                  "                print(f'{len(chunk)} bytes ({size} in all)')"]
    lines += ["", "", "asyncio.run(main())", ""]
    return "\n".join(lines)
