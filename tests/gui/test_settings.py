"""Settings wrapper: round trip through a temporary ini file, garbage tolerated."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from gui.services.settings import HistoryEntry, RequestOptions, Settings


def test_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "s.ini")
    s = Settings.from_path(path)
    s.set_geometry(QByteArray(b"\x01\x02geometry"))
    s.set_splitter("main", QByteArray(b"split"))
    s.set_options(RequestOptions(connect_timeout=3.5, read_timeout=42.0, follow_redirects=False,
                                 verify_tls=False, reconnect=True, identity_encoding=True))
    s.set_last_mode("sse")
    s.add_history(HistoryEntry("GET", "http://127.0.0.1:1/a"))
    s.add_history(HistoryEntry("POST", "http://127.0.0.1:1/b", [("Authorization", "Bearer x")],
                               '{"a": 1}', "sse"))
    s.add_history(HistoryEntry("GET", "http://127.0.0.1:1/a"))  # moves to the top, no duplicate
    s.sync()
    del s

    again = Settings.from_path(path)
    assert again.geometry() == QByteArray(b"\x01\x02geometry")
    assert again.splitter("main") == QByteArray(b"split")
    assert again.splitter("other") is None
    opts = again.options()
    assert (opts.connect_timeout, opts.read_timeout, opts.follow_redirects, opts.verify_tls,
            opts.reconnect, opts.identity_encoding) == (3.5, 42.0, False, False, True, True)
    assert again.last_mode() == "sse"
    history = again.history()
    assert [h.url for h in history] == ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]
    assert history[1].headers == [("Authorization", "Bearer ***")]  # no secret in the file
    assert history[1].body == '{"a": 1}'


def test_garbage_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "bad.ini"
    path.write_text("[request]\noptions=not json\n[history]\nrequests=garbage\n")
    s = Settings.from_path(str(path))
    assert s.options() == RequestOptions()
    assert s.history() == []
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    raw.setValue("history/requests", '[1, {"url": "http://127.0.0.1:1/x"}]')
    raw.sync()
    assert [h.url for h in Settings(raw).history()] == ["http://127.0.0.1:1/x"]
    assert s.geometry() is None


def test_llm_choice_per_host(tmp_path: Path) -> None:
    from gui.services.settings import LLMChoice
    s = Settings.from_path(str(tmp_path / "s.ini"))
    assert s.llm_choice("api.example:443") is None
    s.set_llm_choice("api.example:443", LLMChoice("gemini", ""))
    s.set_llm_choice("other", LLMChoice("", "a.b.0"))
    s.sync()
    again = Settings.from_path(str(tmp_path / "s.ini"))
    assert again.llm_choice("api.example:443") == LLMChoice("gemini", "")
    assert again.llm_choice("other") == LLMChoice("", "a.b.0")
    again.set_llm_choice("other", None)
    assert again.llm_choice("other") is None
    again._s.setValue("llm/hosts", "{not json")  # garbage reads as nothing saved
    assert again.llm_choice("api.example:443") is None
