"""How a record's fields go to JSON and come back: declared once per field, used everywhere.

Why: a record has two written forms (``capture`` stdout and the capture file) and one read
form (the capture file, read by the window and by the demo server's replay). Written by hand
in three places they drifted apart (the file patched stdout's objects, stdout lacked a
response's ``reason``, reading was a third copy). Here each field of a record class carries
a :class:`Wire` (its JSON key, its :class:`Codec`, when it is left out, whether it is for
files only), and :meth:`Wired.to_json` / :meth:`Wired.from_json` follow those declarations.

Records are immutable by type, not at run time: :func:`record` makes a slotted dataclass
that mypy treats as frozen (assigning a field is a type error in every checked module),
because ``frozen=True`` sets each field through ``object.__setattr__`` and that halved the
SSE decoder's throughput (measured on the parse benchmark's LF id+data shape, 100,000
events, 7 rounds alternating: 1,376 k events/s slotted, 676 k frozen). A test checks that
the window's whole record path leaves records as they came (tests/core/test_record_schema.py).

No I/O, no imports of the engine: the bottom floor of ``stream_core``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, TypeVar, cast, dataclass_transform

__all__ = ["BASE64", "BIG_INT", "BOOL", "COUNTS", "FLOAT", "HEADERS", "INT", "JSON",
           "MAX_SECONDS", "RATE", "STR", "STRINGS", "TIME", "Codec", "Form", "Wire", "Wired",
           "optional", "record", "wire"]

#: ``"stdout"``: what ``capture`` prints (times to the microsecond, chunk bytes on request);
#: ``"file"``: a capture file's line (exact times, chunk bytes, what replay and reopening need).
Form = Literal["stdout", "file"]

#: The largest time (seconds since the request) a capture may hold: about 31 years. A larger
#: one cannot be a stream's and breaks every figure made of it (``1e308`` overflowed the
#: timeline's bins and left the tab "connecting").
MAX_SECONDS = 1e9

_INT_RANGE = 1 << 63


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Codec:
    """One kind of field value: how it is checked and converted when read from JSON, and
    written in each form. ``problem`` says what is wrong with a JSON value (None: fine)."""

    problem: Callable[[Any], str | None]
    read: Callable[[Any], Any] = _same
    write: Callable[[Any], Any] = _same  # the file form
    brief: Callable[[Any], Any] | None = None  # the stdout form, when it differs


def _int_problem(value: Any) -> str | None:
    if type(value) is not int:
        return "is not an integer"
    if not -_INT_RANGE <= value < _INT_RANGE:
        return "is out of range (beyond 64 bits)"
    return None


def _number_problem(value: Any) -> str | None:
    if type(value) is not float and type(value) is not int:
        return "is not a number"
    try:
        if not math.isfinite(value):
            return f"is {value}, not a finite number"
    except OverflowError:  # an integer beyond any float
        return "is out of range"
    return None


def _time_problem(value: Any) -> str | None:
    problem = _number_problem(value)
    if problem is None and not 0 <= value <= MAX_SECONDS:
        return f"is {value:g}: not a time from 0 to {MAX_SECONDS:g} seconds"
    return problem


def _headers_problem(value: Any) -> str | None:
    if type(value) is not list:
        return "is not a list"
    for pair in value:
        if not (type(pair) is list and len(pair) == 2 and type(pair[0]) is str
                and type(pair[1]) is str):
            return "holds a header that is not a [name, value] pair of strings"
    return None


def _base64_problem(value: Any) -> str | None:
    if type(value) is not str:
        return "is not a string"
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    return None


def _base64_read(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _base64_write(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _round6(value: float) -> float:
    return round(value, 6)


def _round1(value: float) -> float:
    return round(value, 1)


INT = Codec(_int_problem)
#: An integer of any size (``retry:`` milliseconds are kept as the server sent them).
BIG_INT = Codec(lambda v: None if type(v) is int else "is not an integer")
FLOAT = Codec(_number_problem, float)
#: Seconds since the request started: exact in files, to the microsecond on stdout.
TIME = Codec(_time_problem, float, _same, _round6)
#: A rate: exact in files, to a tenth on stdout.
RATE = Codec(_number_problem, float, _same, _round1)
STR = Codec(lambda v: None if type(v) is str else "is not a string")
BOOL = Codec(lambda v: None if type(v) is bool else "is not true or false")
HEADERS = Codec(_headers_problem, lambda v: [(k, x) for k, x in v],
                lambda v: [list(h) for h in v])
#: Bytes as base64 text.
BASE64 = Codec(_base64_problem, _base64_read, _base64_write)
#: Any JSON value, as parsed (its depth is bounded by ``records.loads_bounded``).
JSON = Codec(lambda v: None)


def _counts_problem(value: Any) -> str | None:
    if type(value) is not dict:
        return "is not an object"
    if not all(type(k) is str and _int_problem(n) is None for k, n in value.items()):
        return "holds a count that is not an integer"
    return None


def _strings_problem(value: Any) -> str | None:
    if type(value) is not list or not all(type(x) is str for x in value):
        return "is not a list of strings"
    return None


#: Named counts (``{"unfinished_events": 2}``), copied both ways.
COUNTS = Codec(_counts_problem, dict, dict)
#: A list of sentences, copied both ways.
STRINGS = Codec(_strings_problem, list, list)


def optional(codec: Codec) -> Codec:
    """``codec`` or JSON null (None)."""
    return Codec(lambda v: None if v is None else codec.problem(v),
                 lambda v: None if v is None else codec.read(v),
                 lambda v: None if v is None else codec.write(v),
                 None if codec.brief is None else
                 (lambda v: None if v is None else codec.brief(v)))  # type: ignore[misc]  # checked just before


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True, slots=True)
class Wire:
    """How one field of a record is written and read.

    ``key``: its JSON key (the field's name when empty). ``when``: written only when it
    holds for the record (``Reconnect.reason`` only when there is one). ``file_only``: in
    capture files, not on stdout (chunk spans, replay's needs). ``on_request``: on stdout
    only when asked (chunk bytes with ``--chunks-data``). ``sized``: a key written just
    before this one with the value's length, and checked against it on reading (a chunk's
    ``size``). ``default``: the value when a file lacks the key (older files); without one
    the key is required. ``derive``: the value is made from the whole JSON object instead of
    one key, and never written (whether an NDJSON record was parsed).
    """

    codec: Codec
    key: str = ""
    when: Callable[[Any], bool] | None = None
    file_only: bool = False
    on_request: bool = False
    sized: str = ""
    default: Any = REQUIRED
    derive: Callable[[dict[str, Any]], Any] | None = None
    factory: Callable[[], Any] | None = None  # a new default per record (a dict, a list)


def wire(codec: Codec, *, default: Any = dataclasses.MISSING,
         default_factory: Any = dataclasses.MISSING, read_default: Any = REQUIRED,
         **kw: Any) -> Any:
    """A record field (``dataclasses.field``) with its :class:`Wire`. ``default`` (or
    ``default_factory``) is the field's default; a file lacking the key reads as
    ``read_default``, else as the default (a new one from the factory each time)."""
    if read_default is REQUIRED and default is not dataclasses.MISSING:
        read_default = default
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata={"wire": Wire(
            codec, default=read_default, factory=default_factory, **kw)})
    return dataclasses.field(default=default,
                             metadata={"wire": Wire(codec, default=read_default, **kw)})


_T = TypeVar("_T")


class Wired:
    """What every record class has: ``type`` (its JSON ``type``), ``t`` and the wire forms.

    ``WIRES`` lists ``(attribute, JSON key, Wire)`` in JSON order (``t`` first), made by
    :func:`record` from the class's fields.
    """

    __slots__ = ()
    type: ClassVar[str]
    WIRES: ClassVar[tuple[tuple[str, str, Wire], ...]] = ()
    t: float

    def to_json(self, with_data: bool = False, form: Form = "stdout") -> dict[str, Any]:
        """The record's JSON object in ``form``; ``with_data`` adds what stdout gives only on
        request (a chunk's bytes). Keys come in a fixed order: ``type``, ``t``, the rest."""
        file = form == "file"
        out: dict[str, Any] = {"type": self.type}
        for name, key, w in self.WIRES:
            if (w.file_only and not file) or w.derive is not None:
                continue
            if w.when is not None and not w.when(self):
                continue
            value = getattr(self, name)
            if w.sized:
                out[w.sized] = len(value)
            if w.on_request and not (file or with_data):
                continue
            codec = w.codec
            out[key] = codec.write(value) if file or codec.brief is None else codec.brief(value)
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Self:
        """The record of a JSON object (a capture file's line); ``ValueError`` naming the
        key for a missing or malformed field. Unknown keys are skipped."""
        values: dict[str, Any] = {}
        for name, key, w in cls.WIRES:
            if w.derive is not None:
                values[name] = w.derive(obj)
                continue
            if key in obj:
                raw = obj[key]
                problem = w.codec.problem(raw)
                if problem is not None:
                    raise ValueError(f"{key!r} {problem}")
                value = values[name] = w.codec.read(raw)
                if w.sized:
                    size = obj.get(w.sized)
                    if size != len(value):
                        raise ValueError(f"{key!r} holds {len(value)} bytes, but"
                                         f" {w.sized!r} is {size!r}")
            elif w.factory is not None:
                values[name] = w.factory()
            elif w.default is not REQUIRED:
                values[name] = w.default
            else:
                raise ValueError(f"{key!r} is missing")
        return cls(**values)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, wire))
def record(cls: type[_T]) -> type[_T]:
    """A record class: a slotted dataclass, frozen for type checkers (see the module's
    docstring for why not at run time), whose fields' ``wire`` metadata give its JSON.

    A field without metadata is not part of the JSON (none has that today)."""
    made: Any = dataclasses.dataclass(slots=True)(cls)
    wires = [(f.name, f.metadata["wire"].key or f.name, f.metadata["wire"])
             for f in dataclasses.fields(made) if "wire" in f.metadata]
    wires.sort(key=lambda item: item[0] != "t")  # ``t`` first (a stable sort keeps the rest)
    made.WIRES = tuple(wires)
    return cast(type[_T], made)
