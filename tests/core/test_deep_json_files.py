"""Deeply nested JSON in the files and text the user hands over is malformed input, never a
RecursionError: the editor's body check, settings, a download's .part.json, environments and
imported collections (issue 13.11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_core.net.download import Download, meta_path, part_path
from stream_core.requests.environments import load_environments
from stream_core.requests.postman import CollectionImportError, import_file

DEEP = "[" * 100_000


def test_a_deep_part_json_is_no_metadata(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    Path(part_path(str(target))).write_bytes(b"x")
    Path(meta_path(str(target))).write_text(DEEP)
    assert Download(str(target), resume=True)._read_meta() == {}


def test_a_deep_environment_file_is_an_error_named(tmp_path: Path) -> None:
    (tmp_path / "http-client.env.json").write_text(DEEP)
    envs = load_environments(tmp_path)
    assert envs.errors and "http-client.env.json" in envs.errors[0]


def test_a_deep_collection_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    with pytest.raises(CollectionImportError, match="deep.json"):
        import_file(path)
