"""Singular JSONPath queries (RFC 9535's "singular query"): ``$``, ``.name``, ``['name']``,
``["name"]`` and ``[N]`` (negative from the end), each step naming one member or element.

Why our own and not a library: an expectation compares one value (``event.data
$.choices[0].finish_reason == stop``), so wildcards, filters and slices would only raise the
question of what comparing many values means; the whole subset is a few lines, adds nothing to
``capture``'s start-up, and reports a bad path with the column our syntax errors use.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MISSING", "JSONPathError", "compile_path", "select"]

MISSING: Any = object()
"""What a path yields where the document has no such member or element."""

_NAME = re.compile(r"\.([A-Za-z_][\w\-]*)")
_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
_QUOTED = re.compile(r"""\[\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\]""")

Step = str | int


class JSONPathError(ValueError):
    """A path outside the subset; ``offset`` is where in the path text (0 = the ``$``)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def compile_path(text: str) -> tuple[Step, ...]:
    """The steps of ``text`` (``$.a[0]['b c']`` -> ``("a", 0, "b c")``)."""
    if not text.startswith("$"):
        raise JSONPathError("a JSONPath starts with $", 0)
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        if (m := _NAME.match(text, pos)) is not None:
            steps.append(m.group(1))
        elif (m := _INDEX.match(text, pos)) is not None:
            steps.append(int(m.group(1)))
        elif (m := _QUOTED.match(text, pos)) is not None:
            quoted = m.group(1)
            if quoted[0] == "'":  # a single-quoted name: JSON escapes, with \' for '
                quoted = '"' + quoted[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'
            try:
                steps.append(json.loads(quoted))
            except ValueError:
                raise JSONPathError("bad escape in a quoted name", pos) from None
        else:
            rest = text[pos:pos + 12]
            if rest.startswith(("[*", ".*", "..", "[?", "[:")) or re.match(r"\[-?\d*:", rest):
                raise JSONPathError(
                    "only single-value paths are supported ($.name, [N], ['name']):"
                    " no wildcards, filters, slices or descendants", pos)
            raise JSONPathError(f"unexpected {rest!r} in the JSONPath", pos)
        pos = m.end()
    return tuple(steps)


def select(document: Any, steps: tuple[Step, ...]) -> Any:
    """The value at ``steps`` in ``document``, or ``MISSING``."""
    value = document
    for step in steps:
        if isinstance(step, str):
            if not isinstance(value, dict) or step not in value:
                return MISSING
            value = value[step]
        else:
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return MISSING
            value = value[step]
    return value
