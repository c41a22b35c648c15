"""The expectation language: one expectation per line, parsed before any request is sent.

Why a language of its own rather than code: expectations live in ``.http`` files and CI
command lines that anyone may hand over, so nothing in them may run; and a declarative form
says *what* is measured, which lets the evaluator decide each expectation the moment it is
known (``first_event < 500ms`` fails at 500 ms, not when the stream ends).

Forms (README, *Stream expectations*, has the full list)::

    status == 200                      a name, then a predicate (``or`` another one)
    header content-type ~ text/event-stream
    first_event < 500ms                times take a unit: us, ms, s, m
    complete   |   not complete   |   no decode_errors
    every event.data is json or == "[DONE]"
    any event.data $.choices[0].delta.content contains "Oslo"
    llm.tool_calls valid

Errors name the column (1-based) of the offending token: ``ExpectSyntaxError``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream_core.expect.jsonpath import JSONPathError, Step, compile_path
from stream_core.records import loads_bounded

__all__ = ["NAMES", "ExpectSyntaxError", "Expectation", "ExpectationError", "Predicate",
           "parse"]

#: Kinds of value a name measures; they decide which predicates make sense.
TIME, COUNT, NUMBER, TEXT, JSON_, DATA, BOOL = ("time", "count", "number", "text", "json",
                                                "data", "bool")

#: Every name, with its kind (``header NAME``, ``gap.pNN`` and ``llm.usage.PATH`` take more).
NAMES: dict[str, str] = {
    "status": NUMBER, "header": TEXT, "http_version": TEXT, "mode": TEXT, "ttfb": TIME,
    "first_event": TIME, "gap.max": TIME, "gap.p50": TIME, "gap.p90": TIME, "gap.p95": TIME,
    "gap.p99": TIME, "duration": TIME, "comment.every": TIME, "events": COUNT,
    "chunks": COUNT, "bytes": COUNT, "errors": COUNT, "decode_errors": COUNT,
    "reconnects": COUNT, "comments": COUNT, "complete": BOOL,
    "llm.ttft": TIME, "llm.tokens_per_s": NUMBER, "llm.tokens": COUNT,
    "llm.finish_reason": TEXT, "llm.text": TEXT, "llm.reasoning": TEXT, "llm.format": TEXT,
    "llm.model": TEXT, "llm.error": TEXT, "llm.tool_calls": COUNT, "llm.problems": COUNT,
    "llm.usage": JSON_,
}
QUANTIFIERS = ("every", "any", "no", "first", "last")
FIELDS = {"event.data": DATA, "event.type": TEXT, "event.event": TEXT, "event.id": TEXT}

_COMPARE = ("==", "!=", "<", "<=", ">", ">=")
#: Which predicates each kind takes.
_ALLOWED: dict[str, tuple[str, ...]] = {
    TIME: _COMPARE,
    COUNT: (*_COMPARE, "in", "not in"),
    NUMBER: (*_COMPARE, "in", "not in", "exists", "missing"),
    TEXT: ("==", "!=", "~", "!~", "contains", "not contains", "in", "not in", "exists",
           "missing"),
    JSON_: (*_COMPARE, "~", "!~", "contains", "not contains", "in", "not in", "exists",
            "missing", "matches"),
    DATA: ("==", "!=", "~", "!~", "contains", "not contains", "in", "not in", "is json",
           "is not json", "matches"),
}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)(us|µs|ms|s|m)$")
_UNIT = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_PERCENTILE = re.compile(r"^gap\.p(\d{1,2}(?:\.\d+)?)$")
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<path>\$(?:\.[^\s.\[\]<>=!~,"']*|\[(?:[^\]"']|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')*\]?)*)
  | (?P<op>==|!=|<=|>=|!~|<|>|~|=)
  | (?P<punct>[\[\],])
  | (?P<word>[^\s\[\],"'<>=!~]+)
""", re.X)


class ExpectationError(ValueError):
    """Expectations that cannot be used; the message is one line naming where
    (``--expect 'EXPR'``, ``FILE:LINE:COL``, ``expectation line N``)."""


class ExpectSyntaxError(ValueError):
    """An expectation that cannot be parsed: ``column`` is 1-based in the expectation's text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class Predicate:
    """One test of a value: ``op`` is ``==``, ``<``, ``~``, ``contains``, ``not in``,
    ``is json``, ``matches``, ``exists``, ``missing``, ``is true``...; ``value`` what it
    compares with (seconds for times, a compiled regex, a list, a schema validator)."""

    op: str
    value: Any = None
    text: str = ""  # as written, for messages: "< 500ms"


@dataclass(frozen=True, slots=True)
class Expectation:
    """One parsed expectation. ``subject`` is a name of ``NAMES`` or ``FIELDS`` (or
    ``llm.tool_calls.valid``); ``arg`` the header name, the percentile or the usage path."""

    text: str
    subject: str
    kind: str
    predicates: tuple[Predicate, ...]
    arg: Any = None
    quantifier: str | None = None
    path: tuple[Step, ...] | None = None
    source: str = field(default="", compare=False)  # "FILE:LINE" or "--expect"
    label: str = field(default="", compare=False)  # what is measured, for messages

    @property
    def timed(self) -> bool:
        """Whether time passing alone can decide it (a deadline the runner waits on)."""
        return self.kind == TIME and self.quantifier is None


@dataclass(slots=True)
class _Token:
    kind: str  # word, string, path, op, punct, end
    text: str
    column: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            what = text[pos]
            if what in "\"'":
                raise ExpectSyntaxError(f"unterminated string (no closing {what})", pos + 1)
            raise ExpectSyntaxError(f"unexpected {what!r}", pos + 1)
        kind = m.lastgroup or "ws"
        if kind != "ws":
            if kind == "op" and m.group() == "=":
                raise ExpectSyntaxError("use == to compare", pos + 1)
            out.append(_Token(kind, m.group(), pos + 1))
        pos = m.end()
    out.append(_Token("end", "", len(text) + 1))
    return out


def parse(text: str, *, base_dir: Path | None = None, source: str = "") -> Expectation:
    """``text`` as an expectation; ``base_dir`` is where ``matches FILE`` looks.

    Raises ``ExpectSyntaxError`` (with the column) for bad syntax, an unknown name, a
    predicate the name cannot take, a bad regular expression or an unreadable schema.
    """
    if not text.strip():
        raise ExpectSyntaxError("empty expectation", 1)
    return _Parser(text, _tokens(text), base_dir or Path.cwd(), source).expectation()


class _Parser:
    def __init__(self, text: str, tokens: list[_Token], base_dir: Path, source: str) -> None:
        self.text, self.tokens, self.base_dir, self.source = text, tokens, base_dir, source
        self.pos = 0
        self.label_end = 0  # column where the first predicate starts

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        tok = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return tok

    def word(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "word" and tok.text in words

    def done(self, what: Expectation) -> Expectation:
        tok = self.peek()
        if tok.kind != "end":
            hint = " (one expectation per line; no 'and')" if tok.text == "and" else ""
            raise ExpectSyntaxError(f"unexpected {tok.text!r} after the expectation{hint}",
                                    tok.column)
        return what

    def make(self, subject: str, kind: str, predicates: tuple[Predicate, ...],
             **extra: Any) -> Expectation:
        label = self.text[:self.label_end - 1].strip() if self.label_end else subject
        return self.done(Expectation(self.text.strip(), subject, kind, predicates,
                                     source=self.source, label=label, **extra))

    # -- the subject ---------------------------------------------------------------------
    def expectation(self) -> Expectation:
        first = self.take()
        if first.kind != "word":
            raise ExpectSyntaxError(f"expected a name such as first_event, status or every;"
                                    f" found {first.text!r}", first.column)
        word = first.text
        if word == "complete":
            return self.make("complete", BOOL, (Predicate("is true", True, "complete"),))
        if word == "not" and self.word("complete"):
            self.take()
            return self.make("complete", BOOL, (Predicate("is false", False, "not complete"),))
        if word in QUANTIFIERS and self.peek().text.startswith("event."):
            return self.quantified(word)
        if word == "no":
            name = self.take()
            kind = NAMES.get(name.text)
            if kind != COUNT:
                raise ExpectSyntaxError(f"'no' takes a count ({_names_of(COUNT)}) or "
                                        f"'event.…'; found {name.text!r}", name.column)
            return self.make(name.text, COUNT, (Predicate("==", 0, f"no {name.text}"),))
        if word in FIELDS:
            raise ExpectSyntaxError(f"say which events: every, any, no, first or last {word}",
                                    first.column)
        subject, kind, arg = self.name(first)
        predicates = self.predicates(subject, kind)
        if subject == "llm.tool_calls" and predicates[0].op == "valid":
            if len(predicates) > 1:
                raise ExpectSyntaxError("'valid' stands alone", first.column)
            self.label_end = 0
            return self.make("llm.tool_calls.valid", BOOL, (Predicate("is true", True,
                                                                       "valid"),))
        return self.make(subject, kind, predicates, arg=arg)

    def name(self, tok: _Token) -> tuple[str, str, Any]:
        word = tok.text
        if word == "header":
            name = self.take()
            if name.kind not in ("word", "string") or name.text in ("~", "=="):
                raise ExpectSyntaxError("'header' takes a header name: header content-type"
                                        " ~ text/event-stream", name.column)
            return "header", TEXT, _unquote(name).lower()
        if (m := _PERCENTILE.match(word)) is not None and word not in NAMES:
            q = float(m.group(1))
            if not 0 < q < 100:
                raise ExpectSyntaxError("a percentile is between p1 and p99", tok.column)
            return "gap.pNN", TIME, q / 100
        if word.startswith("llm.usage."):
            path = tuple(word[len("llm.usage."):].split("."))
            if not all(path):
                raise ExpectSyntaxError(f"bad usage path {word!r}", tok.column)
            return "llm.usage", JSON_, path
        if word in NAMES:
            return word, NAMES[word], () if word == "llm.usage" else None
        raise ExpectSyntaxError(_unknown(word), tok.column)

    def quantified(self, quantifier: str) -> Expectation:
        tok = self.take()
        if tok.text not in FIELDS:
            raise ExpectSyntaxError(f"unknown field {tok.text!r}: expected "
                                    f"{', '.join(f for f in FIELDS if f != 'event.event')}",
                                    tok.column)
        subject = "event.type" if tok.text == "event.event" else tok.text
        kind, path = FIELDS[subject], None
        if self.peek().kind == "path":
            ptok = self.take()
            if subject != "event.data":
                raise ExpectSyntaxError("a JSONPath follows event.data only", ptok.column)
            try:
                path = compile_path(ptok.text)
            except JSONPathError as exc:
                raise ExpectSyntaxError(str(exc), ptok.column + exc.offset) from None
            kind = JSON_
        return self.make(subject, kind, self.predicates(subject, kind),
                         quantifier=quantifier, path=path)

    # -- predicates ----------------------------------------------------------------------
    def predicates(self, subject: str, kind: str) -> tuple[Predicate, ...]:
        self.label_end = self.label_end or self.peek().column
        out = [self.predicate(subject, kind)]
        while self.word("or"):
            self.take()
            out.append(self.predicate(subject, kind))
        return tuple(out)

    def predicate(self, subject: str, kind: str) -> Predicate:
        tok = self.take()
        start = tok.column
        if tok.kind == "op":
            op = tok.text
        elif tok.kind == "word" and tok.text == "not" and self.word("contains", "in"):
            op = "not " + self.take().text
        elif tok.kind == "word" and tok.text == "is":
            negate = self.word("not")
            if negate:
                self.take()
            what = self.take()
            if what.text != "json":
                raise ExpectSyntaxError(f"expected 'json' after 'is'; found {what.text!r}",
                                        what.column)
            op = "is not json" if negate else "is json"
        elif tok.kind == "word" and tok.text in ("contains", "in", "matches", "exists",
                                                 "missing", "valid"):
            op = tok.text
        else:
            found = "the end" if tok.kind == "end" else repr(tok.text)
            raise ExpectSyntaxError(f"expected a predicate after {subject} (==, !=, <, <=, >,"
                                    f" >=, ~, !~, contains, in, is json, matches, exists);"
                                    f" found {found}", start)
        allowed = ("valid",) if subject == "llm.tool_calls" else ()
        if op not in _ALLOWED.get(kind, ()) + allowed:
            takes = ", ".join(_ALLOWED.get(kind, ()) + allowed)
            raise ExpectSyntaxError(f"{subject} ({_KIND_WORDS[kind]}) takes {takes};"
                                    f" not {op!r}", start)
        value: Any = None
        if op in _COMPARE or op in ("contains", "not contains"):
            at = self.peek()
            value = self.literal(subject, TEXT if op.endswith("contains") and kind != JSON_
                                 else kind)
            if op in ("<", "<=", ">", ">=") and (isinstance(value, bool)
                                                 or not isinstance(value, int | float)):
                raise ExpectSyntaxError(f"{op} compares numbers; found {at.text!r}", at.column)
        elif op in ("~", "!~"):
            rtok = self.take()
            if rtok.kind not in ("word", "string"):
                raise ExpectSyntaxError(f"{op} takes a regular expression", rtok.column)
            try:
                value = re.compile(_unquote(rtok))
            except re.error as exc:
                quote = rtok.kind == "string"
                raise ExpectSyntaxError(f"bad regular expression: {exc.msg}",
                                        rtok.column + quote + (exc.pos or 0)) from None
        elif op in ("in", "not in"):
            value = self.items(subject, kind)
        elif op == "matches":
            value = self.schema()
        end = self.tokens[self.pos - 1]
        text = self.text[start - 1:end.column - 1 + len(end.text)]
        return Predicate(op, value, text)

    def literal(self, subject: str, kind: str) -> Any:
        tok = self.take()
        if tok.kind not in ("word", "string"):
            found = "the end" if tok.kind == "end" else repr(tok.text)
            raise ExpectSyntaxError(f"expected a value; found {found}", tok.column)
        text = tok.text
        if kind == TIME:
            m = _DURATION.match(text)
            if m is not None:
                return float(m.group(1)) * _UNIT[m.group(2)]
            if text == "0":
                return 0.0
            hint = (f"{text}ms or {text}s" if _NUMBER.match(text) else "500ms or 0.5s")
            raise ExpectSyntaxError(f"{subject} is a time: write it with a unit, such as"
                                    f" {hint}", tok.column)
        if kind in (COUNT, NUMBER):
            if tok.kind == "word" and _NUMBER.match(text):
                number = float(text)
                if kind == NUMBER or number.is_integer():
                    return int(number) if number.is_integer() else number
            want = "a whole number" if kind == COUNT else "a number"
            raise ExpectSyntaxError(f"{subject} is {_KIND_WORDS[kind]}: expected {want};"
                                    f" found {text!r}", tok.column)
        if tok.kind == "string":
            return _unquote(tok)
        if kind == JSON_:  # a bare word: a JSON number, true, false or null, else a string
            if _NUMBER.match(text):
                number = float(text)
                return int(number) if number.is_integer() and "." not in text else number
            return {"true": True, "false": False, "null": None}.get(text, text)
        return text

    def items(self, subject: str, kind: str) -> list[Any]:
        tok = self.take()
        if tok.text != "[":
            raise ExpectSyntaxError("'in' takes a list: in [a, b]", tok.column)
        out: list[Any] = []
        while True:
            if self.peek().text == "]" and not out:
                raise ExpectSyntaxError("an empty list", self.peek().column)
            out.append(self.literal(subject, kind))
            sep = self.take()
            if sep.text == "]":
                return out
            if sep.text != ",":
                raise ExpectSyntaxError(f"expected , or ] in the list; found {sep.text!r}"
                                        if sep.kind != "end" else "the list has no closing ]",
                                        sep.column)

    def schema(self) -> Any:
        tok = self.take()
        if tok.kind not in ("word", "string"):
            raise ExpectSyntaxError("'matches' takes a JSON Schema file: matches"
                                    " reply.schema.json", tok.column)
        name = _unquote(tok)
        path = self.base_dir / name
        try:
            schema = loads_bounded(path.read_bytes())
        except OSError as exc:
            raise ExpectSyntaxError(f"cannot read schema {str(path)!r}:"
                                    f" {exc.strerror or exc}", tok.column) from None
        except ValueError as exc:
            raise ExpectSyntaxError(f"schema {str(path)!r} is not JSON: {exc}",
                                    tok.column) from None
        # jsonschema (with referencing, rpds, attrs: ~150 ms) only when a schema is used
        from jsonschema import exceptions, validators

        if not isinstance(schema, dict):
            raise ExpectSyntaxError(f"schema {str(path)!r} is not a JSON Schema (an object)",
                                    tok.column)
        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except exceptions.SchemaError as exc:
            raise ExpectSyntaxError(f"schema {str(path)!r} is invalid: {exc.message}",
                                    tok.column) from None
        return _Schema(name, cls(schema))


@dataclass(frozen=True, slots=True)
class _Schema:
    """A JSON Schema validator with the file name it came from (for messages)."""

    name: str
    validator: Any

    def errors(self, value: Any) -> list[str]:
        try:
            found = sorted(self.validator.iter_errors(value), key=lambda e: list(map(str,
                                                                                    e.path)))
        except RecursionError:
            return ["nested too deeply to check against the schema"]
        return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                for e in found]


_KIND_WORDS = {TIME: "a time", COUNT: "a count", NUMBER: "a number", TEXT: "text",
               JSON_: "a JSON value", DATA: "event data", BOOL: "true or false"}


def _unquote(tok: _Token) -> str:
    if tok.kind != "string":
        return tok.text
    text = tok.text
    if text[0] == "'":
        text = '"' + text[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'
    try:
        value = json.loads(text)
    except ValueError:
        raise ExpectSyntaxError("bad escape in a string", tok.column) from None
    return str(value)


def _names_of(kind: str) -> str:
    return ", ".join(n for n, k in NAMES.items() if k == kind)


def _unknown(word: str) -> str:
    known = [*NAMES, *FIELDS, *QUANTIFIERS, "gap.p99", "llm.usage.output_tokens"]
    close = difflib.get_close_matches(word, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown name {word!r}{hint}"
