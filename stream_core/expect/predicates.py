"""Predicates applied to values: a final value (pass or fail), or a lower bound that only
grows (a count so far, the time waited so far), which can decide early.

Why lower bounds: "no event yet after 600 ms" already fails ``first_event < 500ms``, and
"12 events so far" already passes ``events >= 10``; a value that can only grow decides a
comparison once it crosses the bound, and a value that grows with time alone tells the runner
when to look again (``threshold``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from stream_core.expect.jsonpath import MISSING
from stream_core.expect.syntax import TIME, Predicate
from stream_core.records import loads_bounded

__all__ = ["NOT_JSON", "STRICT", "bound_outcome", "quick", "said", "shown", "test", "text_of",
           "threshold"]

NOT_JSON: Any = object()
"""What an item's JSON is when its data does not parse."""
SHOWN = 200
"""Characters of a value kept in a record or a message."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def text_of(value: Any) -> str:
    """A value as text for ``~`` and ``contains``: strings as they are, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def test(pred: Predicate, value: Any, parsed: Any = MISSING) -> tuple[bool, str]:
    """Whether ``value`` passes ``pred``, and for a failure why (empty when the value says
    it). ``parsed`` is the value's JSON for ``is json`` / ``matches`` on event data (taken
    from ``value`` when not given)."""
    op, want = pred.op, pred.value
    if op == "exists":
        return value is not None and value is not MISSING, ""
    if op == "missing":
        return value is None or value is MISSING, ""
    if op == "is true":
        return value is True, ""
    if op == "is false":
        return value is False, ""
    if value is None or value is MISSING:
        return False, "none"
    if op in ("is json", "is not json", "matches") and parsed is MISSING:
        # event data comes with its JSON; a JSONPath's value is JSON already
        parsed = _parse(value) if isinstance(value, str) and op != "matches" else value
    if op == "is json":
        return parsed is not NOT_JSON, "" if parsed is not NOT_JSON else "not JSON"
    if op == "is not json":
        return parsed is NOT_JSON, ""
    if op == "matches":
        if parsed is NOT_JSON:
            return False, "not JSON"
        errors = want.errors(parsed)
        return not errors, f"breaks {want.name}: {errors[0]}" if errors else ""
    if op in ("~", "!~"):
        found = want.search(text_of(value)) is not None
        return found == (op == "~"), ""
    if op in ("contains", "not contains"):
        if isinstance(value, list):
            found = want in value
        else:
            found = text_of(want) in text_of(value)
        return found == (op == "contains"), ""
    if op in ("in", "not in"):
        found = any(_equal(value, item) for item in want)
        return found == (op == "in"), ""
    if op in ("==", "!="):
        return _equal(value, want) == (op == "=="), ""
    if not (_number(value) and _number(want)):
        return False, "not a number"
    if op == "<":
        return value < want, ""
    if op == "<=":
        return value <= want, ""
    if op == ">":
        return value > want, ""
    return value >= want, ""  # ">="


def _equal(value: Any, want: Any) -> bool:
    if _number(value) and _number(want):
        return bool(value == want)
    if type(value) is not type(want) and isinstance(want, str):
        return text_of(value) == want if not isinstance(value, dict | list) else False
    return bool(value == want)


def _parse(text: str) -> Any:
    try:
        return loads_bounded(text)
    except ValueError:
        return NOT_JSON


def bound_outcome(pred: Predicate, low: float) -> bool | None:
    """What a value known to be at least ``low`` (and only growing) already decides: True
    (passes whatever comes), False (fails whatever comes), None (not yet known)."""
    op, want = pred.op, pred.value
    if op in ("in", "not in"):
        if low > max(want):
            return op == "not in"
        return None
    if not _number(want):
        return None
    if op in ("<", "<=", "=="):
        return False if (low >= want if op == "<" else low > want) else None
    if op in (">", ">=", "!="):
        return True if (low >= want if op == ">=" else low > want) else None
    return None


#: How far past its bound a growing value must be to decide a strict comparison
#: (``<=``: a value just at the bound still passes).
STRICT = 1e-6


def threshold(pred: Predicate) -> float | None:
    """The value at which a growing value decides ``pred`` (None: it never does alone)."""
    if pred.op in ("<", ">=") and _number(pred.value):
        return float(pred.value)
    if pred.op in ("<=", "==", ">", "!=") and _number(pred.value):
        return float(pred.value) + STRICT
    if pred.op in ("in", "not in"):
        return float(max(pred.value)) + STRICT
    return None


def shown(value: Any, kind: str = "") -> Any:
    """``value`` for an ``expect`` record: times rounded to the microsecond, long text and
    large JSON cut to ``SHOWN`` characters (a record stays one short line)."""
    if value is MISSING or value is NOT_JSON:
        return None
    if kind == TIME and _number(value):
        return round(float(value), 6)
    if isinstance(value, str):
        return value if len(value) <= SHOWN else value[:SHOWN] + "…"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return value if len(text) <= SHOWN else text[:SHOWN] + "…"
    return value


def said(value: Any, kind: str = "") -> str:
    """``value`` for a message: times in ms or s, text quoted and cut."""
    if value is None or value is MISSING:
        return "none"
    if kind == TIME and _number(value):
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.3f} s"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 80 else value[:80] + "…", ensure_ascii=False)
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 80 else text[:80] + "…"
    return json.dumps(value)


def quick(pred: Predicate) -> Callable[[Any, Any], bool]:
    """``test(pred, value, parsed)[0]`` as a function made once, for the tests run on every
    event (``every event.data ...``): the common cases on text take one comparison."""
    op, want = pred.op, pred.value
    slow: Callable[[Any, Any], bool] = lambda v, p: test(pred, v, p)[0]  # noqa: E731
    if op == "is json":
        return lambda v, p: p is not NOT_JSON if p is not MISSING else slow(v, p)
    if not isinstance(want, str) and op not in ("~", "!~"):
        return slow
    if op == "==":
        return lambda v, p: v == want if type(v) is str else slow(v, p)
    if op == "!=":
        return lambda v, p: v != want if type(v) is str else slow(v, p)
    if op == "contains":
        return lambda v, p: want in v if type(v) is str else slow(v, p)
    if op == "~":
        search = want.search
        return lambda v, p: search(v) is not None if type(v) is str else slow(v, p)
    return slow
