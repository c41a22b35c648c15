"""Table models on their own: qtmodeltester, batching, formatting, filtering, correlation."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from gui.stream.event_filter import EventFilterProxy
from gui.stream.models import (
    CHUNK_DATA_BUDGET,
    ChunksModel,
    EventsModel,
    SearchRole,
    TextColumn,
)
from stream_core.records import Chunk, Error, Event, Reconnect, Record, Retry


def _events(n: int) -> list[Any]:
    return [Event(i, 0.01 * i, "tick" if i % 2 else "message", f'{{"n": {i}}}', str(i),
                  first_chunk=i, last_chunk=i) for i in range(n)]


def test_events_model_passes_modeltester(qtmodeltester: Any) -> None:
    model = EventsModel(start_wall=1_700_000_000.0)
    model.append_batch(_events(5))
    model.append_batch([Reconnect(0.2, 1, 3000, "4"), Record(5, 0.3, "x", error="bad"),
                        Record(6, 0.31, '{"a": 1}', value={"a": 1}, parsed=True),
                        Error(0.4, "connect", "lost")])
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 9


def test_chunks_model_passes_modeltester(qtmodeltester: Any) -> None:
    model = ChunksModel(start_wall=1_700_000_000.0)
    model.append_batch([Chunk(i, 0.01 * i, i * 4, b"ab\x00\xff") for i in range(6)])
    qtmodeltester.check(model, force_py=True)


def test_one_insert_notification_per_batch(qtbot: Any) -> None:
    model = EventsModel()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    model.append_batch(_events(1000))
    model.append_batch([])
    assert inserted == [(0, 999)]


def test_cells_are_formatted_on_demand() -> None:
    model = EventsModel(start_wall=0.0)
    model.append_batch(_events(3))
    row = 2
    assert model.index(row, model.COL_SEQ).data() == "2"
    assert model.index(row, model.COL_TYPE).data() == "message"
    assert model.index(row, model.COL_ID).data() == "2"
    assert model.index(row, model.COL_DELTA).data() == "+10.0 ms"
    assert model.index(row, model.COL_SIZE).data() == "8 B"
    assert model.index(row, model.COL_DATA).data() == '{"n": 2}'
    assert model.index(0, model.COL_DELTA).data() == ""
    assert model.headerData(model.COL_DATA, Qt.Orientation.Horizontal) == "Data"
    assert model.kinds == {"message": 2, "tick": 1}


def test_chunk_bytes_beyond_budget_keep_a_prefix() -> None:
    model = ChunksModel()
    big = b"x" * (CHUNK_DATA_BUDGET // 2 + 1)
    model.append_batch([Chunk(0, 0.0, 0, big), Chunk(1, 0.1, len(big), big)])
    assert model.row(0).complete
    assert not model.row(1).complete
    assert model.row(1).size == len(big)
    assert model.index(1, model.COL_SIZE).data() == f"{len(big):,}"


def test_filter_proxy_text_regex_and_kind(qtmodeltester: Any) -> None:
    model = EventsModel()
    model.append_batch(_events(10))
    proxy = EventFilterProxy()
    proxy.setSourceModel(model)
    assert proxy.set_filter('"n": 7', regex=False, kind="") is None
    assert proxy.rowCount() == 1
    assert proxy.set_filter(r'"n": [0-3]\}', regex=True, kind="") is None
    assert proxy.rowCount() == 4
    assert proxy.set_filter("", regex=False, kind="tick") is None
    assert proxy.rowCount() == 5
    assert proxy.set_filter("(", regex=True, kind="") is not None  # invalid regex reported
    assert proxy.rowCount() == 5  # and the previous filter kept
    qtmodeltester.check(proxy, force_py=True)
    assert "tick" in model.index(1, 0).data(SearchRole)


def test_correlation_rows_for_chunk() -> None:
    model = EventsModel()
    model.append_batch([
        Event(0, 0.0, "", "a", "", first_chunk=0, last_chunk=0),
        Event(1, 0.0, "", "b", "", first_chunk=0, last_chunk=2),  # spans chunks 0..2
        Reconnect(0.1, 1, 0, ""),
        Event(2, 0.2, "", "c", "", first_chunk=2, last_chunk=2),
        Event(3, 0.3, "", "d", "", first_chunk=5, last_chunk=5),
    ])
    assert model.rows_for_chunk(0) == (0, 1)
    assert model.rows_for_chunk(1) == (1, 1)
    assert model.rows_for_chunk(2) == (1, 3)
    assert model.rows_for_chunk(4) == (-1, -1)
    assert model.rows_for_chunk(5) == (4, 4)
    chunks = ChunksModel()
    chunks.append_batch([Chunk(i, 0.0, i, b"x") for i in range(6)])
    assert chunks.row_of_seq(3) == 3
    assert chunks.row_of_seq(9) == -1
    chunks.set_highlight(1, 2)
    assert chunks.index(2, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert chunks.index(3, 0).data(Qt.ItemDataRole.BackgroundRole) is None


def test_llm_delta_preview() -> None:
    model = EventsModel()
    chunk = '{"id":"c1","choices":[{"index":0,"delta":{"content":" world"}}]}'
    model.append_batch([Event(0, 0.0, "", chunk, ""), Event(1, 0.1, "", "[DONE]", "")])
    assert model.index(0, model.COL_DATA).data().startswith('Δ " world"')
    assert model.index(1, model.COL_DATA).data() == "[DONE]"


def _mixed() -> list[Any]:
    return [
        Event(0, 0.0, "", "plain", "", first_chunk=0, last_chunk=0),
        Event(1, 0.1, "message", "named message", "7", first_chunk=0, last_chunk=1),
        Event(2, 0.2, "tick", "héllo wörld ✓ 🚀 中文", "ид-1", first_chunk=1, last_chunk=1),
        Retry(0.25, 1500),
        Event(3, 0.3, "tick", "", "", first_chunk=2, last_chunk=2),
        Event(4, 0.31, "", "lone \udcff surrogate", "x", first_chunk=-1, last_chunk=-1),
        Record(5, 0.4, '{"a": [1, "é"]}', value={"a": [1, "é"]}, parsed=True,
               first_chunk=3, last_chunk=3),
        Record(6, 0.5, "not json ✗", error="not JSON: x", first_chunk=3, last_chunk=4),
        Record(7, 0.6, "a line", first_chunk=4, last_chunk=4),
        Reconnect(0.7, 1, 3000, "7", "connect: lost"),
        Error(0.8, "protocol", "cut off"),
    ]


def test_columnar_rows_round_trip() -> None:
    """Every row comes back equal to what was appended, whatever batches it came in."""
    items = _mixed()
    model = EventsModel()
    model.append_batch(items[:2])
    model.append_batch(items[2:7])
    model.append_batch(items[7:])
    assert len(model) == model.rowCount() == len(items)
    assert [model.row(i) for i in range(len(items))] == items
    assert model.row(-1) == items[-1]
    assert [model.kind_at(i) for i in range(len(items))] == [model.kind(x) for x in items]
    assert [model.text_at(i) for i in range(len(items))] == [model.text(x) for x in items]
    assert model.kinds == {"message": 3, "tick": 2, "retry": 1, "json": 1, "not json": 1,
                           "line": 1, "reconnect": 1, "error": 1}
    assert model.rows_for_chunk(1) == (1, 2)
    assert model.rows_for_chunk(4) == (7, 8)


def test_columnar_non_ascii_cells() -> None:
    model = EventsModel()
    model.append_batch(_mixed())
    assert model.index(2, model.COL_DATA).data() == "héllo wörld ✓ 🚀 中文"
    assert model.index(2, model.COL_ID).data() == "ид-1"
    assert model.index(2, model.COL_SIZE).data() == f"{len('héllo wörld ✓ 🚀 中文'.encode())} B"
    assert model.index(0, model.COL_TYPE).data() == "message"
    assert model.index(6, model.COL_DATA).data() == '{"a": [1, "é"]}'
    assert model.index(7, model.COL_TYPE).data() == "not json"
    assert model.index(7, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(9, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index(2, model.COL_DATA).data(Qt.ItemDataRole.DecorationRole) is None
    assert "ид-1" in model.index(2, 0).data(SearchRole)


def test_columnar_huge_event_and_many_rows() -> None:
    huge = "é" * (3 * 1024 * 1024) + "end"
    model = EventsModel()
    model.append_batch(_events(20_000))
    model.append_batch([Event(20_000, 9.0, "big", huge, "h", 20_000, 20_003)])
    assert model.row(20_000).data == huge
    assert model.index(20_000, model.COL_SIZE).data() == "6.0 MiB"
    assert len(model.index(20_000, model.COL_DATA).data()) == 200
    assert model.row(12_345) == _events(12_346)[-1]
    assert model.rows_for_chunk(20_002) == (20_000, 20_000)


def test_chunks_model_round_trip() -> None:
    model = ChunksModel()
    chunks = [Chunk(i, 0.5 * i, 10 * i, bytes([i % 256]) * (i + 1)) for i in range(300)]
    model.append_batch(chunks[:100])
    model.append_batch(chunks[100:])
    for i in (0, 1, 99, 100, 299):
        row = model.row(i)
        assert (row.seq, row.t, row.offset, row.size, row.data) == (i, 0.5 * i, 10 * i, i + 1,
                                                                     chunks[i].data)
        assert row.complete
    assert model.index(299, model.COL_SIZE).data() == "300"


def test_text_column_offsets_widen(monkeypatch: Any) -> None:
    """Past ``SMALL_LIMIT`` bytes the offsets switch to 8 bytes; nothing is lost."""
    monkeypatch.setattr(TextColumn, "SMALL_LIMIT", 100)
    column = TextColumn()
    column.extend(["a" * 60, "é" * 10])
    assert column.ends.typecode == "I"
    column.append("b" * 30)
    assert column.ends.typecode == "Q"
    column.extend(["ü", "z" * 200])
    assert [column[i] for i in range(len(column))] == ["a" * 60, "é" * 10, "b" * 30, "ü",
                                                       "z" * 200]


def test_many_event_names() -> None:
    model = EventsModel()
    model.append_batch([Event(i, 0.0, f"kind{i}", "x", "") for i in range(300)])
    assert [model.kind_at(i) for i in (0, 255, 299)] == ["kind0", "kind255", "kind299"]
    assert model.row(299).event == "kind299"
