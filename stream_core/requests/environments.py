"""Environments and ``{{variables}}`` for saved requests, the JetBrains HTTP Client convention.

``http-client.env.json`` (shared, in git) and ``http-client.private.env.json`` (secrets, kept
out of git) sit next to the ``.http`` files; each maps an environment name to its variables,
the private file's values overriding the shared ones, ``$shared`` giving values to every
environment. At send time ``{{name}}`` is replaced in the URL, headers and body, looked up in
the file's own ``@name = value`` variables, then the environment, then ``{{demo}}`` (the
embedded demo server's base URL). Dynamic variables: ``{{$uuid}}`` (``$guid``,
``$random.uuid``), ``{{$timestamp}}``, ``{{$isoTimestamp}}``, ``{{$randomInt [min max]}}``,
``{{$env.NAME}}`` (the process environment; VS Code's ``$processEnv.NAME`` too).

An undefined variable is an error naming it and where it is used: nothing half-resolved is
ever sent.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stream_core.net.spec import RequestSpec
from stream_core.records import is_secret_name, loads_bounded
from stream_core.requests.auth import encode_basic
from stream_core.requests.httpfile import HttpFile, HttpRequest

__all__ = ["ENV_FILE", "PRIVATE_ENV_FILE", "Environments", "UndefinedVariable", "Variables",
           "load_environments", "request_spec"]

log = logging.getLogger(__name__)

ENV_FILE = "http-client.env.json"
PRIVATE_ENV_FILE = "http-client.private.env.json"
SHARED = "$shared"
#: ``{{ name }}`` or ``{{$randomInt 1 10}}``
PATTERN = re.compile(r"\{\{\s*(\$?[A-Za-z_][\w.\-]*)((?:\s+[^{}\s]+)*)\s*\}\}")
MAX_DEPTH = 10  # variables made of variables, at most this deep (no cycle runs forever)


class UndefinedVariable(ValueError):
    """``{{name}}`` with no value: the message names it and where it is used."""

    def __init__(self, name: str, where: str, environment: str | None) -> None:
        env = f"environment {environment!r}" if environment else "no environment selected"
        super().__init__(f"undefined variable {{{{{name}}}}} in {where} ({env})")
        self.name = name
        self.where = where


@dataclass(slots=True)
class Environments:
    """The environments found next to a file: name -> variables, and which are private."""

    values: dict[str, dict[str, str]] = field(default_factory=dict)
    private: dict[str, set[str]] = field(default_factory=dict)  # names from the private file
    errors: list[str] = field(default_factory=list)  # unreadable files, each one line

    @property
    def names(self) -> list[str]:
        return sorted(self.values)


def _read_env_file(path: Path, errors: list[str]) -> dict[str, dict[str, str]]:
    try:
        doc = loads_bounded(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: bad or too deep
        errors.append(f"{path.name}: {exc}")
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
        out[str(env)] = {str(k): _scalar(v) for k, v in variables.items()
                         if isinstance(v, (str, int, float, bool))}
    return out


def _scalar(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_environments(folder: str | Path) -> Environments:
    """The environments of ``folder`` (both files missing: none, not an error)."""
    folder = Path(folder)
    result = Environments()
    public = _read_env_file(folder / ENV_FILE, result.errors)
    private = _read_env_file(folder / PRIVATE_ENV_FILE, result.errors)
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

    @classmethod
    def for_file(cls, doc: HttpFile | None, envs: Environments | None, env: str | None,
                 demo: str | None) -> Variables:
        values = envs.values.get(env, {}) if envs is not None and env else {}
        private = envs.private.get(env, set()) if envs is not None and env else set()
        return cls(dict(doc.variables) if doc is not None else {}, values, env, demo,
                   set(private))

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

    def resolve(self, text: str, where: str, *, _depth: int = 0) -> str:
        """``text`` with every ``{{...}}`` replaced; UndefinedVariable for a missing one."""
        if "{{" not in text:
            return text

        def one(match: re.Match[str]) -> str:
            name, args = match.group(1), match.group(2).split()
            if name.startswith("$"):
                return _dynamic(name, args, where, self.environment_name)
            value = self.lookup(name)
            if value is None:
                raise UndefinedVariable(name, where, self.environment_name)
            if _depth < MAX_DEPTH:
                return self.resolve(value, where, _depth=_depth + 1)
            return value

        return PATTERN.sub(one, text)

    def describe(self, name: str) -> str:
        """What hovering ``{{name}}`` shows: its value (masked if secret) and where from."""
        if name.startswith("$"):
            return f"{{{{{name}}}}}: a new value at each send"
        value = self.lookup(name)
        if value is None:
            env = self.environment_name or "no environment"
            return f"{{{{{name}}}}} is undefined ({env})"
        source = ("file variable" if name in self.file else
                  f"environment {self.environment_name!r}" if name in self.environment
                  else "the demo server")
        try:
            shown = self.resolve(value, name)
        except UndefinedVariable as exc:
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
            raise UndefinedVariable(name, where, env)
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


def request_spec(request: HttpRequest, variables: Variables, base_dir: str | Path) -> RequestSpec:
    """The request as it will be sent: every variable resolved, a ``< file`` body read.

    Raises UndefinedVariable, or ValueError for a body file that cannot be read.
    """
    url = variables.resolve(request.url, "the URL")
    headers = [(variables.resolve(k, f"header {k!r}"), variables.resolve(v, f"header {k!r}"))
               for k, v in request.headers]
    body: bytes | None = None
    if request.body_file is not None:
        path = Path(base_dir) / variables.resolve(request.body_file, "the body file name")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read body file {str(path)!r}: {exc.strerror}") from None
        if request.body_file_variables:
            raw = variables.resolve(raw.decode("utf-8", "replace"),
                                    f"body file {request.body_file!r}").encode("utf-8")
        body = raw
    elif request.body:
        body = variables.resolve(request.body, "the body").encode("utf-8")
    spec = RequestSpec(url=url, method=request.method.upper(), headers=encode_basic(headers),
                       body=body)
    if "no-redirect" in request.directives:
        spec.follow_redirects = False
    return spec
