"""Download file names: from Content-Disposition or the URL, always a safe plain name."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_core.net.filenames import download_name, name_max, sanitize


@pytest.mark.parametrize(("value", "expected"), [
    ('attachment; filename="report.csv"', "report.csv"),
    ("attachment; filename*=UTF-8''caf%C3%A9%20menu.pdf", "café menu.pdf"),
    ('attachment; filename="../../etc/passwd"', "passwd"),
    ('attachment; filename="..\\\\..\\\\boot.ini"', "boot.ini"),
    ('attachment; filename=".bashrc"', "bashrc"),
    ('attachment; filename="a\\x07b\\x1b[31mc.txt"', "ab[31mc.txt"),
    ('attachment; filename=".."', "fallback"),
    ("attachment", "fallback"),
])
def test_content_disposition_names_are_plain_names(value: str, expected: str) -> None:
    value = value.encode().decode("unicode_escape") if "\\x" in value else value
    assert download_name("http://127.0.0.1/fallback", value) == expected


def test_url_name_and_content_type_extension() -> None:
    assert download_name("http://127.0.0.1/files/a%20b.zip?x=1") == "a b.zip"
    assert download_name("http://127.0.0.1/v1/data", None, "application/json") == "data.json"
    assert download_name("http://127.0.0.1/", None, "application/octet-stream") == "download.bin"
    assert download_name("http://127.0.0.1/x.tar.gz", None, "application/json") == "x.tar.gz"
    assert download_name("http://127.0.0.1/%00%0a") == "download"


def test_a_name_too_long_for_the_file_system_is_shortened(tmp_path: Path) -> None:
    """Issue 13.18: a last path segment over 255 bytes crashed with 'File name too long'."""
    limit = name_max(str(tmp_path))
    for segment, ext in (("a" * 400 + ".iso", ".iso"), ("é" * 300, ""), ("b" * 300, "")):
        name = download_name(f"http://127.0.0.1/{segment}", limit=limit)
        assert len((name + ".part.json").encode()) <= limit
        assert name.endswith(ext) and name.startswith(segment[:10])
        (tmp_path / (name + ".part.json")).write_bytes(b"")  # the file system accepts it
    long_disposition = 'attachment; filename="' + "c" * 500 + '.zip"'
    name = download_name("http://127.0.0.1/x", long_disposition, limit=limit)
    assert name.endswith(".zip") and len(name.encode()) < limit


def test_sanitize_keeps_ordinary_names() -> None:
    assert sanitize("notes (2).txt") == "notes (2).txt"
    assert sanitize("  spaced.txt ") == "spaced.txt"
    assert sanitize('we<ird>:na|me?.txt') == "we_ird__na_me_.txt"
