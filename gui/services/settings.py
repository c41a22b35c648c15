"""One typed wrapper over an injected ``QSettings``.

Every persisted value goes through here so that keys and types live in one place and tests
(and demos) can point the app at a temporary ini file instead of the user's real settings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

HISTORY_LIMIT = 100
#: The default bound on one tab's recording, MiB (see ``spool_cap_mib``).
SPOOL_CAP_MIB = 2048


@dataclass(slots=True)
class HistoryEntry:
    """One sent request, as the editor can refill it."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    mode: str = "auto"

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> HistoryEntry:
        return cls(method=str(obj.get("method", "GET")), url=str(obj.get("url", "")),
                   headers=[(str(k), str(v)) for k, v in obj.get("headers", [])],
                   body=str(obj.get("body", "")), mode=str(obj.get("mode", "auto")))


@dataclass(slots=True)
class RequestOptions:
    """The editor's option row, remembered between runs."""

    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    follow_redirects: bool = True
    verify_tls: bool = True
    reconnect: bool = False
    identity_encoding: bool = False


class Settings:
    """Typed access to the app's persistent state.

    ``QSettings`` returns strings for everything read back from an ini file, so each getter
    converts and falls back to a default on garbage rather than trusting the stored type.
    """

    def __init__(self, qsettings: QSettings) -> None:
        self._s = qsettings

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
            return json.loads(raw)
        except ValueError:
            return default

    # -- window ------------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

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
            return HistoryEntry.from_json(obj)
        except (TypeError, ValueError):
            return None

    def set_last_request(self, entry: HistoryEntry) -> None:
        self._s.setValue("request/last", json.dumps(asdict(entry)))

    def openapi_url(self) -> str:
        value = self._s.value("picker/openapi_url", "")
        return value if isinstance(value, str) else ""

    def set_openapi_url(self, url: str) -> None:
        self._s.setValue("picker/openapi_url", url)

    # -- history -----------------------------------------------------------------------------
    def history(self) -> list[HistoryEntry]:
        items = self._json("history/requests", [])
        if not isinstance(items, list):
            return []
        out = []
        for obj in items:
            if isinstance(obj, dict):
                try:
                    out.append(HistoryEntry.from_json(obj))
                except (TypeError, ValueError):
                    continue
        return out

    def set_history(self, entries: list[HistoryEntry]) -> None:
        data = [asdict(e) for e in entries[:HISTORY_LIMIT]]
        self._s.setValue("history/requests", json.dumps(data))

    def add_history(self, entry: HistoryEntry) -> list[HistoryEntry]:
        """Put ``entry`` first (dropping an identical older one) and return the new list."""
        entries = [e for e in self.history() if e != entry]
        entries.insert(0, entry)
        self.set_history(entries)
        return entries[:HISTORY_LIMIT]

    # -- recording ---------------------------------------------------------------------------
    def spool_cap_mib(self) -> int:
        """The bound on one tab's recording, in MiB (``[recording] spool_cap_mib``; default
        2048); beyond it Save holds the stream's beginning (README, "Captures")."""
        value = self._s.value("recording/spool_cap_mib", SPOOL_CAP_MIB)
        try:
            mib = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return SPOOL_CAP_MIB
        return mib if mib > 0 else SPOOL_CAP_MIB

    def set_spool_cap_mib(self, mib: int) -> None:
        self._s.setValue("recording/spool_cap_mib", int(mib))
