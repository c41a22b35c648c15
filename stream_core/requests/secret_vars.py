"""Secrets typed into a request, found so that they can be kept out of a ``.http`` file.

Why: ``.http`` files live in git and get shared; a token pasted into the editor (a curl
command from an API's docs, an Auth tab value) must not land in one in clear. Each literal
secret is found where the project's masking looks for them (``records.is_secret_name``):
secret-looking headers (the scheme of ``Bearer X`` kept), query parameters, the URL's
password, and string fields of a JSON body or form parameters with secret-looking names. The
caller stores the values in ``http-client.private.env.json`` (``envfile``) and writes the
request with ``{{variables}}`` in their place (``rewrite``). A value that already is or
holds a ``{{variable}}`` is not a literal secret.

A value is replaced exactly as written (percent-encoding and JSON escapes included), so that
substituting the variable gives back the very same request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import unquote_plus

from stream_core.records import is_secret_name
from stream_core.requests.httpfile import HttpRequest

__all__ = ["Secret", "choose_names", "find", "rewrite"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(\s+)(\S.*)$")
_JSON_FIELD = re.compile(r'("((?:[^"\\\n]|\\.)*)"\s*:\s*)"((?:[^"\\\n]|\\.)*)"')
_NAMES = {"bearer": "token", "token": "token", "basic": "basic_auth"}


@dataclass(frozen=True, slots=True)
class Secret:
    """One literal secret: where it is (for people), what identifies that place, its value
    exactly as written, and the variable name it would get."""

    where: str
    key: tuple[str, str]
    value: str
    suggested: str


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "secret"
    return slug if not slug[0].isdigit() else f"v_{slug}"


def _literal(value: str) -> bool:
    return bool(value.strip()) and "{{" not in value


Namer = Callable[[Secret], str | None]


def _params(text: str, kind: str, name_as: str, namer: Namer) -> str:
    """``a=1&api_key=X``: each secret-looking parameter's value offered to ``namer``."""
    out = []
    for part in text.split("&"):
        name, sep, value = part.partition("=")
        decoded = unquote_plus(name)
        if sep and _literal(value) and is_secret_name(decoded):
            variable = namer(Secret(f"{name_as} {decoded!r}", (kind, decoded), value,
                                    _slug(decoded)))
            if variable is not None:
                part = f"{name}={{{{{variable}}}}}"
        out.append(part)
    return "&".join(out)


def _url(url: str, namer: Namer) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:  # ``{{host}}/path?query``: no user info to look at
        scheme, rest = "", url
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0),
              default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    if sep and "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, colon, password = userinfo.partition(":")
        secret = (Secret("the URL's password", ("url", "password"), password, "password")
                  if colon else Secret("the URL's user (a token)", ("url", "user"), user,
                                       "url_token"))
        if _literal(secret.value) and (variable := namer(secret)) is not None:
            userinfo = f"{user}:{{{{{variable}}}}}" if colon else f"{{{{{variable}}}}}"
            netloc = f"{userinfo}@{host}"
    path, qmark, query = tail.partition("?")
    if qmark:
        query, hash_, fragment = query.partition("#")
        tail = path + "?" + _params(query, "query", "query parameter", namer) + hash_ + fragment
    return f"{scheme}{sep}{netloc}{tail}"


def _header(name: str, value: str, namer: Namer) -> str:
    if not (is_secret_name(name) and _literal(value)):
        return value
    scheme = _SCHEME.match(value.strip())
    if scheme is not None:
        word, space, rest = scheme.groups()
        suggested = _NAMES.get(word.lower(), _slug(name))
        variable = namer(Secret(f"header {name!r}", ("header", name.lower()), rest, suggested))
        return value if variable is None else f"{word}{space}{{{{{variable}}}}}"
    variable = namer(Secret(f"header {name!r}", ("header", name.lower()), value, _slug(name)))
    return value if variable is None else f"{{{{{variable}}}}}"


def _body(body: str, form: bool, namer: Namer) -> str:
    if form and "\n" not in body.strip():
        return _params(body, "form", "form field", namer)

    def field(match: re.Match[str]) -> str:
        try:
            name = json.loads(f'"{match.group(2)}"')
        except ValueError:
            return match.group(0)
        value = match.group(3)
        if not (is_secret_name(name) and _literal(value)):
            return match.group(0)
        variable = namer(Secret(f"body field {name!r}", ("body", name), value, _slug(name)))
        return match.group(0) if variable is None else f'{match.group(1)}"{{{{{variable}}}}}"'

    return _JSON_FIELD.sub(field, body)


def _walk(request: HttpRequest, namer: Namer) -> HttpRequest:
    form = any(k.lower() == "content-type" and "x-www-form-urlencoded" in v.lower()
               for k, v in request.headers)
    return replace(request, url=_url(request.url, namer),
                   headers=[(k, _header(k, v, namer)) for k, v in request.headers],
                   body=_body(request.body, form, namer) if request.body else request.body)


def find(request: HttpRequest) -> list[Secret]:
    """Every literal secret of ``request``, in the order they are written."""
    found: list[Secret] = []

    def collect(secret: Secret) -> None:
        found.append(secret)

    _walk(request, collect)
    return found


def choose_names(secrets: list[Secret], lookup: Callable[[str], str | None]) -> dict[
        tuple[tuple[str, str], str], str]:
    """A variable name for each secret, (key, value) -> name: the suggested one, or with
    ``_2``, ``_3``... when ``lookup`` (what a name means now) gives it another value; a name
    that already holds the same value is used again."""
    taken: dict[str, str] = {}
    names: dict[tuple[tuple[str, str], str], str] = {}
    for secret in secrets:
        for n in range(1, 1000):
            name = secret.suggested if n == 1 else f"{secret.suggested}_{n}"
            current = taken.get(name, lookup(name))
            if current is None or current == secret.value:
                taken[name] = secret.value
                names[(secret.key, secret.value)] = name
                break
    return names


def rewrite(request: HttpRequest, names: Mapping[tuple[tuple[str, str], str], str]
            ) -> HttpRequest:
    """``request`` with each secret of ``names`` written as its ``{{variable}}``."""
    return _walk(request, lambda secret: names.get((secret.key, secret.value)))
