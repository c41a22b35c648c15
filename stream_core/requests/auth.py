"""Auth helpers: Bearer, Basic and API key (header or query), applied to a request at send time.

Why apart from the headers: the values are secrets the editor masks and History never keeps;
they may be ``{{variables}}`` resolved from the environment when the request is sent. Saving
to a collection writes them as the header (or query parameter) the request carries, as the
``.http`` format has no other place for them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["Auth", "apply_auth", "encode_basic"]

Resolve = Callable[[str, str], str]
KINDS = ("none", "bearer", "basic", "apikey")


@dataclass(slots=True)
class Auth:
    kind: str = "none"  # one of KINDS
    token: str = ""  # bearer
    user: str = ""  # basic
    password: str = ""  # basic
    key_name: str = "X-API-Key"  # apikey
    key_value: str = ""  # apikey
    in_query: bool = False  # apikey: a query parameter instead of a header


def encode_basic(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``Authorization: Basic user password`` (or ``user:password``), as both IDE clients
    write it in ``.http`` files, encoded as it must go on the wire; other values unchanged.
    Unambiguous: base64 has neither spaces nor colons."""
    out = []
    for k, v in headers:
        scheme, _, cred = v.partition(" ")
        cred = cred.strip()
        if k.lower() == "authorization" and scheme.lower() == "basic" and (
                " " in cred or ":" in cred):
            user, _, password = cred.partition(" " if " " in cred else ":")
            v = "Basic " + base64.b64encode(f"{user}:{password.strip()}".encode()).decode()
        out.append((k, v))
    return out


def apply_auth(auth: Auth, url: str, headers: list[tuple[str, str]],
               resolve: Resolve | None = None) -> tuple[str, list[tuple[str, str]]]:
    """``(url, headers)`` with the auth added (replacing a header of the same name).

    ``resolve`` substitutes variables and raises ValueError naming an undefined one; without
    it (saving to a collection) ``{{...}}`` stays and Basic is written ``Basic user password``
    as the ``.http`` clients read it. A field left empty is an error: a request must not go out
    with ``Bearer `` and nothing after it.
    """
    if auth.kind == "none":
        return url, list(headers)
    sending = resolve is not None
    res: Resolve = resolve if resolve is not None else (lambda text, _where: text)
    name, value = "Authorization", ""
    if auth.kind == "bearer":
        value = "Bearer " + _required(res(auth.token, "the Bearer token"), "Bearer token")
    elif auth.kind == "basic":
        user = _required(res(auth.user, "the Basic user"), "Basic user name")
        password = res(auth.password, "the Basic password")
        value = f"Basic {user} {password}"
        if sending:
            value = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    elif auth.kind == "apikey":
        name = _required(auth.key_name.strip(), "API key name")
        value = _required(res(auth.key_value, f"the API key {name!r}"), "API key value")
        if auth.in_query:
            parts = urlsplit(url)
            pair = f"{quote(name, safe='')}={quote(value, safe='{}$') if sending else value}"
            query = f"{parts.query}&{pair}" if parts.query else pair
            return urlunsplit(parts._replace(query=query)), list(headers)
    else:
        raise ValueError(f"unknown auth kind {auth.kind!r}")
    low = name.lower()
    return url, [(k, v) for k, v in headers if k.lower() != low] + [(name, value)]
def _required(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"the {what} is empty (Auth tab)")
    return value
