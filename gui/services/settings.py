"""One typed wrapper over an injected ``QSettings``.

Every persisted value goes through here so that keys and types live in one place and tests
(and demos) can point the app at a temporary ini file instead of the user's real settings.

The file holds no secret typed in the editor, and is readable by its owner only (0600, set
before Qt first writes it; Qt keeps the mode of the file it replaces): History and the last
request are stored with their secrets masked as captures mask them (secret-looking header
values, query values and URL user info as ``***``, the same values wherever else they appear
in the entry), except a value that is only ``{{variable}}`` references (its secret lives in
an environment file). While the app runs, the entries it stored keep their real values in
memory, so a click on one of this run's History entries resends it exactly; an entry from an
earlier run comes back with ``***`` where a secret was (``HistoryEntry.masked``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from stream_core.capture.masking import MASK, Masker, mask_url, masked_value
from stream_core.records import Request, is_secret_name, loads_bounded

HISTORY_LIMIT = 100
#: The default bound on one tab's recording, MiB (see ``spool_cap_mib``).
SPOOL_CAP_MIB = 2048


@dataclass(slots=True)
class HistoryEntry:
    """One sent request, as the editor can refill it, with what came of it.

    ``demo``: ``url`` is a path on the embedded demo server, whose port changes every run
    (``rebased`` puts the current server in front; ``relative_to`` takes it off to store).
    """

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    mode: str = "auto"
    status: int | None = None  # the response's status (None: none yet, or it failed first)
    when: float = 0.0  # when it was sent (seconds since the epoch)
    demo: bool = False

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> HistoryEntry:
        status = obj.get("status")
        when = obj.get("when", 0.0)
        return cls(method=str(obj.get("method", "GET")), url=str(obj.get("url", "")),
                   headers=[(str(k), str(v)) for k, v in obj.get("headers", [])],
                   body=str(obj.get("body", "")), mode=str(obj.get("mode", "auto")),
                   status=status if isinstance(status, int) else None,
                   when=float(when) if isinstance(when, int | float) else 0.0,
                   demo=obj.get("demo") is True)

    def request(self) -> tuple[Any, ...]:
        """What identifies the request (two sends of it are one history entry)."""
        return (self.method, self.url, self.headers, self.body, self.mode, self.demo)

    @property
    def masked(self) -> bool:
        """Whether a secret of this entry was not kept (stored by an earlier run)."""
        return MASK in self.url or any(v == MASK or v.endswith(f" {MASK}")  # Bearer ***
                                       for _k, v in self.headers)

    def relative_to(self, server_url: str | None) -> HistoryEntry:
        """The entry to store: a demo-server URL without the server's (random) address."""
        if server_url and not self.demo and (self.url == server_url
                                             or self.url.startswith(server_url + "/")):
            return replace(self, url=self.url[len(server_url):] or "/", demo=True)
        return self

    def rebased(self, server_url: str | None) -> HistoryEntry:
        """The entry as sent today: a demo-server path on the current demo server."""
        if not self.demo:
            return self
        return replace(self, url=(server_url or "http://demo-server.invalid") + self.url,
                       demo=False)


_VARIABLE = re.compile(r"\{\{[^{}]*\}\}")


def _only_variables(value: str) -> bool:
    """``{{token}}``, ``Bearer {{token}}``: no secret in the text itself."""
    if "{{" not in value:
        return False
    rest = _VARIABLE.sub("", value).split()
    return not rest or (len(rest) == 1 and rest[0].isalpha() and value.split()[0] == rest[0])


def without_secrets(entry: HistoryEntry) -> HistoryEntry:
    """``entry`` as the settings file keeps it: its secrets masked, its variables kept."""
    masker = Masker()
    masker.learn(Request(0.0, entry.method, entry.url,
                         [(k, v) for k, v in entry.headers if not _only_variables(v)]))
    query_vars = all(_only_variables(v) or not v for v in _secret_query_values(entry.url))
    url = entry.url if query_vars and "@" not in entry.url.split("?")[0] else \
        masker.text(mask_url(entry.url))
    headers = [(k, v if _only_variables(v) else masked_value(k, v) if is_secret_name(k)
                else masker.text(v)) for k, v in entry.headers]
    return replace(entry, url=url, headers=headers, body=masker.text(entry.body))


def _secret_query_values(url: str) -> list[str]:
    query = url.partition("?")[2].partition("#")[0]
    return [part.partition("=")[2] for part in query.split("&")
            if "=" in part and is_secret_name(part.partition("=")[0])]


def _key(entry: HistoryEntry) -> str:
    return json.dumps([*entry.request(), entry.when])


def _owner_only(path: str) -> None:
    """Make ``path`` 0600 (created empty when missing) before Qt writes it."""
    if not path:
        return
    with contextlib.suppress(OSError):
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)


@dataclass(slots=True)
class RequestOptions:
    """The editor's option row, remembered between runs."""

    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    follow_redirects: bool = True
    verify_tls: bool = True
    reconnect: bool = False
    identity_encoding: bool = False
    max_line_mib: float = 16.0  # one SSE event / NDJSON or text line, at most (--max-line)
    decode_guard: bool = True  # refuse decompression bombs (off: --no-decode-guard)


@dataclass(slots=True)
class LLMChoice:
    """How the LLM tab reads a host's streams: a format name ("" detects) or a JSON path."""

    fmt: str = ""
    path: str = ""


class Settings:
    """Typed access to the app's persistent state.

    ``QSettings`` returns strings for everything read back from an ini file, so each getter
    converts and falls back to a default on garbage rather than trusting the stored type.
    """

    def __init__(self, qsettings: QSettings) -> None:
        self._s = qsettings
        if qsettings.format() == QSettings.Format.IniFormat:
            _owner_only(qsettings.fileName())
        # The entries this run stored, with their secrets, by what the file holds of them.
        self._real: dict[str, HistoryEntry] = {}

    def _store(self, entry: HistoryEntry) -> dict[str, Any]:
        """The entry as the file keeps it; this run remembers the real one."""
        kept = without_secrets(entry)
        if kept != entry:
            self._real[_key(kept)] = entry
        return asdict(kept)

    def _load(self, entry: HistoryEntry) -> HistoryEntry:
        """An entry read from the file, with its secrets when this run stored it."""
        real = self._real.get(_key(entry))
        if real is None:
            return entry
        return replace(real, status=entry.status) if real.status != entry.status else real

    @classmethod
    def from_path(cls, path: str) -> Settings:
        return cls(QSettings(path, QSettings.Format.IniFormat))

    def sync(self) -> None:
        self._s.sync()

    @property
    def file_name(self) -> str:
        return self._s.fileName()

    # -- raw helpers -------------------------------------------------------------------------
    def _bytes(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def _json(self, key: str, default: Any) -> Any:
        raw = self._s.value(key)
        if not isinstance(raw, str):
            return default
        try:
            return loads_bounded(raw)
        except ValueError:  # not JSON, or nested too deep: the default
            return default

    # -- window ------------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    def window_size(self) -> tuple[int, int] | None:
        """The window's last normal size (width, height), kept apart from the geometry."""
        value = self._json("window/size", None)
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, int) and 100 <= v <= 100_000 for v in value)):
            return value[0], value[1]
        return None

    def set_window_size(self, width: int, height: int) -> None:
        self._s.setValue("window/size", json.dumps([width, height]))

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window_state(self, value: QByteArray) -> None:
        self._s.setValue("window/state", value)

    def splitter(self, name: str) -> QByteArray | None:
        return self._bytes(f"splitters/{name}")

    def set_splitter(self, name: str, value: QByteArray) -> None:
        self._s.setValue(f"splitters/{name}", value)

    # -- request editor ----------------------------------------------------------------------
    def options(self) -> RequestOptions:
        obj = self._json("request/options", {})
        opts = RequestOptions()
        if isinstance(obj, dict):
            for name in RequestOptions.__slots__:
                if name in obj and isinstance(obj[name], type(getattr(opts, name))):
                    setattr(opts, name, obj[name])
        return opts

    def set_options(self, opts: RequestOptions) -> None:
        self._s.setValue("request/options", json.dumps(asdict(opts)))

    def network(self) -> dict[str, Any]:
        """The Network tab's defaults (``gui.window.network_panel`` checks each value)."""
        obj = self._json("request/network", {})
        return obj if isinstance(obj, dict) else {}

    def set_network(self, values: dict[str, Any]) -> None:
        self._s.setValue("request/network", json.dumps(values))

    def last_mode(self) -> str:
        value = self._s.value("request/mode", "auto")
        return value if isinstance(value, str) else "auto"

    def set_last_mode(self, mode: str) -> None:
        self._s.setValue("request/mode", mode)

    def download_dir(self) -> str:
        """The folder the user chose for downloads ("" for the platform's default)."""
        value = self._s.value("downloads/folder", "")
        return value if isinstance(value, str) else ""

    def set_download_dir(self, folder: str) -> None:
        self._s.setValue("downloads/folder", folder)

    def last_request(self) -> HistoryEntry | None:
        """The request the editor held when the window closed (restored whole at start)."""
        obj = self._json("request/last", None)
        if not isinstance(obj, dict):
            return None
        try:
            return self._load(HistoryEntry.from_json(obj))
        except (TypeError, ValueError):
            return None

    def set_last_request(self, entry: HistoryEntry) -> None:
        self._s.setValue("request/last", json.dumps(self._store(entry)))

    def openapi_url(self) -> str:
        value = self._s.value("picker/openapi_url", "")
        return value if isinstance(value, str) else ""

    def set_openapi_url(self, url: str) -> None:
        self._s.setValue("picker/openapi_url", url)

    # -- collections -------------------------------------------------------------------------
    def collection_paths(self) -> list[str]:
        """The collection folders (or files) open at the last run, opened again at start."""
        value = self._json("collections/paths", [])
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def set_collection_paths(self, paths: list[str]) -> None:
        self._s.setValue("collections/paths", json.dumps(paths))

    def collection_environment(self) -> str:
        value = self._s.value("collections/environment", "")
        return value if isinstance(value, str) else ""

    def set_collection_environment(self, name: str) -> None:
        self._s.setValue("collections/environment", name)

    # -- history -----------------------------------------------------------------------------
    def history(self) -> list[HistoryEntry]:
        items = self._json("history/requests", [])
        if not isinstance(items, list):
            return []
        out = []
        for obj in items:
            if isinstance(obj, dict):
                try:
                    out.append(self._load(HistoryEntry.from_json(obj)))
                except (TypeError, ValueError):
                    continue
        return out

    def set_history(self, entries: list[HistoryEntry]) -> None:
        data = [self._store(e) for e in entries[:HISTORY_LIMIT]]
        self._s.setValue("history/requests", json.dumps(data))

    def add_history(self, entry: HistoryEntry) -> list[HistoryEntry]:
        """Put ``entry`` first (dropping an older send of the same request, also one an
        earlier run stored without its secrets); the new list."""
        same = without_secrets(entry).request()
        entries = [e for e in self.history() if without_secrets(e).request() != same]
        entries.insert(0, entry)
        self.set_history(entries)
        return entries[:HISTORY_LIMIT]

    def set_history_status(self, entry: HistoryEntry, status: int) -> list[HistoryEntry]:
        """Record the response status of ``entry`` (the latest send of its request)."""
        entries = self.history()
        for e in entries:
            if e.request() == entry.request() and e.when == entry.when:
                e.status = status
                self.set_history(entries)
                break
        return entries

    # -- recording ---------------------------------------------------------------------------
    def spool_cap_mib(self) -> int:
        """The bound on one tab's recording, in MiB (``[recording] spool_cap_mib``; default
        2048); beyond it Save holds the stream's beginning (README, "Captures")."""
        value = self._s.value("recording/spool_cap_mib", SPOOL_CAP_MIB)
        try:
            mib = int(str(value))  # QSettings gives str (ini) or int (native)
        except (TypeError, ValueError):
            return SPOOL_CAP_MIB
        return mib if mib > 0 else SPOOL_CAP_MIB

    def set_spool_cap_mib(self, mib: int) -> None:
        self._s.setValue("recording/spool_cap_mib", int(mib))

    # -- LLM tab: the format chosen per host -------------------------------------------------
    def llm_choice(self, host: str) -> LLMChoice | None:
        """The format or JSON path saved for ``host`` (None when nothing was saved)."""
        hosts = self._json("llm/hosts", {})
        obj = hosts.get(host) if isinstance(hosts, dict) else None
        if not isinstance(obj, dict):
            return None
        fmt, path = obj.get("fmt", ""), obj.get("path", "")
        return LLMChoice(fmt, path) if isinstance(fmt, str) and isinstance(path, str) else None

    def set_llm_choice(self, host: str, choice: LLMChoice | None) -> None:
        """Save (or, with None, forget) how ``host``'s streams are read."""
        hosts = self._json("llm/hosts", {})
        hosts = hosts if isinstance(hosts, dict) else {}
        if choice is None:
            hosts.pop(host, None)
        else:
            hosts[host] = asdict(choice)
        self._s.setValue("llm/hosts", json.dumps(hosts))
