"""``/download``: deterministic bytes, Content-Length or chunked, ETag, ranges, throttle."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from server_helpers import receive

from embedded_server import content
from embedded_server.content import block, etag, expected_sha256, pattern

MIB = 1024 * 1024


def test_content_follows_its_documented_definition() -> None:
    size = 3 * MIB + 5
    p = b"".join(hashlib.sha256(b"stream-inspector:%d:%d" % (size, j)).digest()
                 for j in range(2048))
    assert pattern(size) == p and len(p) == 65536
    whole = (p * 50)[:size]
    for offset, length in [(0, 10), (65530, 20), (123, 2 * MIB + 7), (size - 3, 10), (size, 5)]:
        assert block(size, offset, length) == whole[offset:offset + length]
    assert hashlib.sha256(whole).hexdigest() == expected_sha256(size)
    assert expected_sha256(size, 100, 5000) == hashlib.sha256(whole[100:5000]).hexdigest()


def test_different_sizes_give_different_bytes_and_etags() -> None:
    assert block(1000, 0, 64) != block(2000, 0, 64)
    assert etag(1000) != etag(2000)


@pytest.mark.parametrize("size", [0, 1, 65537, 5 * MIB + 3])
def test_whole_download_matches_expected_sha256(demo_server: str, client: httpx.Client,
                                               size: int) -> None:
    got = receive(client, "GET", f"{demo_server}/download?size={size}")
    assert got.status == 200
    assert got.headers["content-type"] == "application/octet-stream"
    assert int(got.headers["content-length"]) == size
    assert got.headers["etag"] == content.etag(size)
    assert got.headers["accept-ranges"] == "bytes"
    assert got.headers["content-disposition"] == f'attachment; filename="download-{size}.bin"'
    assert hashlib.sha256(got.body).hexdigest() == expected_sha256(size)


def test_without_length_the_body_is_chunked(demo_server: str, client: httpx.Client) -> None:
    size = 2 * MIB + 1
    got = receive(client, "GET", f"{demo_server}/download?size={size}&length=false")
    assert "content-length" not in got.headers
    assert got.headers["transfer-encoding"] == "chunked"
    assert hashlib.sha256(got.body).hexdigest() == expected_sha256(size)


SIZE = 1000


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=10-19", 10, 20),
    ("bytes=990-", 990, 1000),
    ("bytes=-25", 975, 1000),
    ("bytes=-5000", 0, 1000),
    ("bytes=500-99999", 500, 1000),
    ("bytes=0-0", 0, 1),
])
def test_range_gives_206(demo_server: str, client: httpx.Client, header: str, start: int,
                         end: int) -> None:
    response = client.get(f"{demo_server}/download?size={SIZE}", headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/{SIZE}"
    assert int(response.headers["content-length"]) == end - start
    assert response.content == block(SIZE, start, end - start)


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_range_gives_416(demo_server: str, client: httpx.Client, header: str) -> None:
    response = client.get(f"{demo_server}/download?size={SIZE}", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("header", ["bytes=20-10", "items=0-5", "bytes=0-1,5-6", "bytes=x-"])
def test_ignored_range_gives_the_whole_body(demo_server: str, client: httpx.Client,
                                            header: str) -> None:
    response = client.get(f"{demo_server}/download?size={SIZE}", headers={"Range": header})
    assert response.status_code == 200
    assert response.content == block(SIZE, 0, SIZE)


def test_if_range(demo_server: str, client: httpx.Client) -> None:
    url = f"{demo_server}/download?size={SIZE}"
    same = client.get(url, headers={"Range": "bytes=100-", "If-Range": etag(SIZE)})
    assert same.status_code == 206
    assert same.content == block(SIZE, 100, SIZE)
    other = client.get(url, headers={"Range": "bytes=100-", "If-Range": '"another"'})
    assert other.status_code == 200
    assert "content-range" not in other.headers
    assert other.content == block(SIZE, 0, SIZE)


def test_throttle_paces_the_body(demo_server: str, client: httpx.Client) -> None:
    size, rate = 60_000, 100_000  # 0.6 s at the given rate
    got = receive(client, "GET", f"{demo_server}/download?size={size}&rate={rate}")
    assert hashlib.sha256(got.body).hexdigest() == expected_sha256(size)
    elapsed = got.reads[-1][0] - got.started
    assert 0.45 <= elapsed < 3.0
    assert got.reads[0][0] - got.started < 0.4  # the first piece is not held back
    assert len(got.reads) >= 4


@pytest.mark.parametrize("path", ["/download?size=5000", "/download-large-file?size=5000"])
def test_head_gives_the_headers_of_get(demo_server: str, client: httpx.Client, path: str) -> None:
    head = client.head(demo_server + path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == "5000"
    assert head.headers["etag"] == etag(5000)
    ranged = client.head(demo_server + path, headers={"Range": "bytes=10-"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == "bytes 10-4999/5000"
