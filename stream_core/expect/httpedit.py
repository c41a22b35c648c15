"""Write a request's expectations back into its ``.http`` file: the ``# @expect`` lines
between its ``###`` separator and its request line, and nothing else.

Why apart from ``httpfile.update``: that one rewrites the request's own text (request line
to body), while expectation lines sit above it with the name and the other directives; the
promise is the same (every other byte as it was), so unchanged expectation lines keep their
exact text (``//`` or ``#``, spacing) and removed ones leave with their line end.
"""

from __future__ import annotations

from stream_core.requests.httpfile import HttpFile, HttpFileError

__all__ = ["set_expectations"]


def set_expectations(doc: HttpFile, name: str, expectations: list[str]) -> str:
    """``doc``'s text with request ``name``'s expectation lines made ``expectations``."""
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
