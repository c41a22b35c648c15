"""Environments and ``{{variables}}`` for saved requests, the JetBrains HTTP Client convention.

``http-client.env.json`` (shared, in git) and ``http-client.private.env.json`` (secrets, kept
out of git) sit next to the ``.http`` files; each maps an environment name to its variables,
the private file's values overriding the shared ones, ``$shared`` giving values to every
environment. At send time ``{{name}}`` is replaced in the URL, headers and body, looked up in
the file's own ``@name = value`` variables, then the environment, then ``{{demo}}`` (the
embedded demo server's base URL). Dynamic variables: ``{{$uuid}}`` (``$guid``,
``$random.uuid``), ``{{$timestamp}}``, ``{{$isoTimestamp}}``, ``{{$randomInt [min max]}}``,
``{{$env.NAME}}`` (the process environment; VS Code's ``$processEnv.NAME`` too).

A file variable holds from its line on (``HttpRequest.variables``). Nested objects in an
environment are read by dotted names (``{{db.host}}``). Request references
(``{{login.response.body.$.token}}``, ``references``) read the latest exchange of a named
request. An undefined variable, a cycle (``@a = {{b}}``, ``@b = {{a}}``: the error names the
chain) and an expansion past ``MAX_EXPANDED`` characters are errors naming the variable and
where it is used: nothing half-resolved is ever sent. The request as it will be sent is built
by ``requests.build``.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import random
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream_core.records import is_secret_name, loads_bounded
from stream_core.requests.httpfile import HttpFile, HttpRequest
from stream_core.requests.references import REFERENCE, Exchange, NeedsResponse, extract
from stream_core.userfiles import MissingFile, UserFileError, read_user_text

__all__ = ["ENV_FILE", "MAX_EXPANDED", "PRIVATE_ENV_FILE", "Environments", "UndefinedVariable",
           "VariableError", "Variables", "load_environments"]

log = logging.getLogger(__name__)

ENV_FILE = "http-client.env.json"
PRIVATE_ENV_FILE = "http-client.private.env.json"
SHARED = "$shared"
#: ``{{ name }}`` or ``{{$randomInt 1 10}}``
PATTERN = re.compile(r"\{\{\s*(\$?[A-Za-z_][\w.\-]*)((?:\s+[^{}\s]+)*)\s*\}\}")
#: ``{{...}}`` as resolved: a request reference first, else a variable (with arguments)
_TOKEN = re.compile(REFERENCE.pattern + "|" + PATTERN.pattern)
MAX_EXPANDED = 16 * 1024 * 1024  # characters one text may grow to once variables are resolved
MAX_ENV_FILE = 16 * 1024 * 1024


class VariableError(ValueError):
    """A text whose variables cannot be resolved; the message says which and where."""


class UndefinedVariable(VariableError):
    """``{{name}}`` with no value: the message names it and where it is used."""

    def __init__(self, name: str, where: str, environment: str | None,
                 why: str | None = None) -> None:
        env = f"environment {environment!r}" if environment else "no environment selected"
        super().__init__(f"undefined variable {{{{{name}}}}} in {where} ({why or env})")
        self.name = name
        self.where = where


@dataclass(slots=True)
class Environments:
    """The environments found next to a file: name -> variables, and which are private."""

    values: dict[str, dict[str, str]] = field(default_factory=dict)
    private: dict[str, set[str]] = field(default_factory=dict)  # names from the private file
    errors: list[str] = field(default_factory=list)  # unreadable files, each one line
    # Names that are there but hold no usable value (an object, a list, null): env -> why
    unusable: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return sorted(self.values)


_Unusable = dict[str, dict[str, str]]


def _read_env_file(path: Path, errors: list[str],
                   unusable: _Unusable) -> dict[str, dict[str, str]]:
    """The environments of one file (a BOM is fine; a link to /dev/zero or a FIFO is not)."""
    try:
        doc = loads_bounded(read_user_text(path, "environment file", MAX_ENV_FILE))
    except MissingFile:
        return {}
    except json.JSONDecodeError as exc:
        errors.append(f"{path.name}: not valid JSON at line {exc.lineno}, column {exc.colno}:"
                      f" {exc.msg}")
        log.warning("cannot read %s: %s", path, exc)
        return {}
    except (UserFileError, ValueError) as exc:  # ValueError: nested too deep
        errors.append(str(exc) if isinstance(exc, UserFileError) else f"{path.name}: {exc}")
        log.warning("cannot read %s: %s", path, exc)
        return {}
    if not isinstance(doc, dict):
        errors.append(f"{path.name}: not a JSON object of environments")
        return {}
    out: dict[str, dict[str, str]] = {}
    for env, variables in doc.items():
        if not isinstance(variables, dict):
            errors.append(f"{path.name}: environment {env!r} is not an object")
            continue
        values: dict[str, str] = {}
        _flatten(variables, "", values, unusable.setdefault(str(env), {}), f"{path.name}"
                 f" (environment {env!r})")
        out[str(env)] = values
    return out


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, str], unusable: dict[str, str],
             where: str) -> None:
    """Scalars under their names; nested objects under dotted names (``{{db.host}}``)."""
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, (str, int, float, bool)):
            out[name] = _scalar(value)
        elif isinstance(value, dict):
            unusable[name] = (f"{{{{{name}}}}} is an object in {where}: use one of its"
                              f" fields, such as {{{{{name}.{next(iter(value), 'KEY')}}}}}")
            _flatten(value, name + ".", out, unusable, where)
        else:
            kind = "a list" if isinstance(value, list) else "null"
            unusable[name] = f"{{{{{name}}}}} is {kind} in {where}, not a string or number"


def _scalar(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_environments(folder: str | Path) -> Environments:
    """The environments of ``folder`` (both files missing: none, not an error)."""
    folder = Path(folder)
    result = Environments()
    unusable: _Unusable = {}
    public = _read_env_file(folder / ENV_FILE, result.errors, unusable)
    private = _read_env_file(folder / PRIVATE_ENV_FILE, result.errors, unusable)
    shared_unusable = unusable.pop(SHARED, {})
    for env in set(public) | set(private):
        result.unusable[env] = {**shared_unusable, **unusable.get(env, {})}
    shared = {**public.pop(SHARED, {})}
    private_shared = private.pop(SHARED, {})
    for env in set(public) | set(private):
        result.values[env] = {**shared, **private_shared, **public.get(env, {}),
                              **private.get(env, {})}
        result.private[env] = set(private_shared) | set(private.get(env, {}))
    return result


@dataclass(slots=True)
class Variables:
    """Everything ``{{name}}`` may refer to for one send."""

    file: Mapping[str, str] = field(default_factory=dict)
    environment: Mapping[str, str] = field(default_factory=dict)
    environment_name: str | None = None
    demo: str | None = None
    secret: set[str] = field(default_factory=set)  # names whose values are masked on screen
    unusable: Mapping[str, str] = field(default_factory=dict)  # name -> why it has no value
    requests: frozenset[str] = frozenset()  # names that request references may use
    exchanges: Mapping[str, Exchange] = field(default_factory=dict)  # latest, by request name

    @classmethod
    def for_file(cls, doc: HttpFile | None, envs: Environments | None, env: str | None,
                 demo: str | None, request: HttpRequest | None = None) -> Variables:
        """The variables of ``doc`` (those in effect at ``request`` when given)."""
        values = envs.values.get(env, {}) if envs is not None and env else {}
        private = envs.private.get(env, set()) if envs is not None and env else set()
        unusable = envs.unusable.get(env, {}) if envs is not None and env else {}
        file: dict[str, str] = {}
        if request is not None:
            file = dict(request.variables)
        elif doc is not None:
            file = dict(doc.variables)
        names = frozenset(r.name for r in doc.requests) if doc is not None else frozenset()
        return cls(file, values, env, demo, set(private), dict(unusable), names)

    def lookup(self, name: str) -> str | None:
        if name in self.file:
            return self.file[name]
        if name in self.environment:
            return self.environment[name]
        if name == "demo" and self.demo:
            return self.demo
        return None

    def is_secret(self, name: str) -> bool:
        return name in self.secret or is_secret_name(name)

    def resolve(self, text: str, where: str) -> str:
        """``text`` with every ``{{...}}`` replaced; VariableError (UndefinedVariable for a
        missing one, NeedsResponse for a request reference not yet run) otherwise."""
        if "{{" not in text:
            return text
        return self._expand(text, where, (), {})

    def _expand(self, text: str, where: str, chain: tuple[str, ...],
                done: dict[str, str]) -> str:
        """Each variable is expanded once per call of ``resolve`` (``done``), so that ten
        variables of ten references each cost a hundred steps, and the output is bounded."""
        out: list[str] = []
        size, pos = 0, 0
        for match in _TOKEN.finditer(text):
            value = self._one(match, where, chain, done)
            out += (text[pos:match.start()], value)
            size += match.start() - pos + len(value)
            pos = match.end()
            if size > MAX_EXPANDED:
                raise VariableError(f"{where}: variables expand to more than"
                                    f" {MAX_EXPANDED // 1024 // 1024} MiB of text")
        out.append(text[pos:])
        return "".join(out)

    def _one(self, match: re.Match[str], where: str, chain: tuple[str, ...],
             done: dict[str, str]) -> str:
        request, rest = match.group(1), match.group(2)
        if request is not None and request in self.requests:
            exchange = self.exchanges.get(request)
            if exchange is None:
                raise NeedsResponse(request, f"{request}.{rest}")
            return extract(exchange, request, rest)
        name = match.group(3) or f"{request}.{rest}"
        args = (match.group(4) or "").split()
        if name.startswith("$"):
            return _dynamic(name, args, where, self.environment_name)
        if name in done:
            return done[name]
        if name in chain:
            loop = " -> ".join(f"{{{{{n}}}}}" for n in (*chain[chain.index(name):], name))
            raise VariableError(f"variables refer to each other in a cycle in {where}: {loop}")
        value = self.lookup(name)
        if value is None:
            raise UndefinedVariable(name, where, self.environment_name, self.unusable.get(name))
        if "{{" in value:
            value = self._expand(value, where, (*chain, name), done)
        done[name] = value
        return value

    def describe(self, name: str) -> str:
        """What hovering ``{{name}}`` shows: its value (masked if secret) and where from."""
        if name.startswith("$"):
            return f"{{{{{name}}}}}: a new value at each send"
        value = self.lookup(name)
        if value is None:
            env = self.environment_name or "no environment"
            return self.unusable.get(name) or f"{{{{{name}}}}} is undefined ({env})"
        source = ("file variable" if name in self.file else
                  f"environment {self.environment_name!r}" if name in self.environment
                  else "the demo server")
        try:
            shown = self.resolve(value, name)
        except VariableError as exc:
            shown = f"{value} ({exc})"
        if self.is_secret(name):
            shown = "••••••••"
        return f"{{{{{name}}}}} = {shown}   ({source})"


def _dynamic(name: str, args: list[str], where: str, env: str | None) -> str:
    if name in ("$uuid", "$guid", "$random.uuid"):
        return str(uuid.uuid4())
    if name.startswith(("$env.", "$processEnv.")):
        value = os.environ.get(name.split(".", 1)[1])
        if value is None:
            raise UndefinedVariable(name, where, env, "not set in the process environment")
        return value
    if name == "$timestamp":
        return str(int(time.time()))
    if name == "$isoTimestamp":
        return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")
    if name in ("$randomInt", "$random.integer"):
        try:
            lo, hi = (int(args[0]), int(args[1])) if len(args) >= 2 else (0, 1000)
        except ValueError:
            raise UndefinedVariable(f"{name} {' '.join(args)}", where, env) from None
        return str(random.randrange(lo, hi) if hi > lo else lo)
    raise UndefinedVariable(name, where, env)
