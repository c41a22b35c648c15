"""A secret value the request sent never appears in a masked capture, its own request body
included (issue 25.20): the capture file's header holds the body before any record, so the
writer learns the request's secrets first and blanks them there, one ``*`` per byte."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from stream_core.capture.records_file import CaptureWriter
from stream_core.records import Request
from tests.core.test_capture import ROOT, command, env

SECRET = "sk-planted-body-0001"
BODY = json.dumps({"echo": SECRET, "n": 1}).encode()
REQUEST = Request(0.0, "POST", "http://127.0.0.1:9/x", [("Authorization", f"Bearer {SECRET}")])


def header_body(path: Path) -> bytes:
    header = json.loads(path.read_bytes().splitlines()[0])
    return base64.b64decode(header["request_body_b64"])


def test_the_writer_blanks_the_request_body(tmp_path: Path) -> None:
    masked, kept = tmp_path / "masked.sicap", tmp_path / "kept.sicap"
    CaptureWriter(masked, request_body=BODY, request=REQUEST).close()
    CaptureWriter(kept, save_secrets=True, request_body=BODY, request=REQUEST).close()
    assert header_body(kept) == BODY
    assert header_body(masked) == BODY.replace(SECRET.encode(), b"*" * len(SECRET))


def test_capture_save_blanks_the_request_body(demo_server: str, tmp_path: Path) -> None:
    saved = tmp_path / "post.sicap"
    done = subprocess.run(
        command(f"{demo_server}/events?count=1&interval=0.01", "-X", "POST", "-H",
                f"Authorization: Bearer {SECRET}", "-d", BODY.decode(), "--save", str(saved)),
        capture_output=True, cwd=ROOT, env=env(), timeout=60)
    assert done.returncode in (0, 22), done.stderr  # the demo GET endpoint may refuse a POST
    body = header_body(saved)
    assert SECRET.encode() not in body and SECRET not in saved.read_text()
    assert body == BODY.replace(SECRET.encode(), b"*" * len(SECRET))
