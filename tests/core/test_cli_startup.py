"""``capture`` imports only what the request needs (issue 28.15): its start-up is paid at
every run of a CI job. No timing here (``make bench`` measures it: the ``capture`` scenario);
these tests pin what is imported, so that a stray import cannot creep back unnoticed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.core.rawserver import RawServer, reply
from tests.core.test_capture import ROOT, env

#: The real entry point (it owns the process, as the installed script does); then which
#: modules the run imported, on stderr.
PROBE = """
import sys
from gui.app.cli import main
code = main()
heavy = ("h2", "argcomplete", "stream_core.analysis", "stream_core.requests",
         "stream_core.capture.records_file", "httpx._main", "rich", "click", "PySide6")
print("LOADED:" + ",".join(sorted(m for m in heavy if sys.modules.get(m) is not None)),
      file=sys.stderr)
sys.exit(code)
"""
WIRE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 9\r\n\r\n"
        b"data: x\n\n")


def run(*args: str) -> tuple[int, list[str], list[dict[str, object]]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, "capture", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env(), timeout=60)
    loaded = proc.stderr.strip().splitlines()[-1]
    assert loaded.startswith("LOADED:"), proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc.returncode, [m for m in loaded[7:].split(",") if m], records


def test_plain_capture_imports_only_what_it_needs() -> None:
    with RawServer(reply(WIRE)) as srv:
        code, loaded, records = run(srv.url)
    assert code == 0 and records[-1]["events"] == 1
    assert loaded == []


@pytest.mark.parametrize("extra, needed", [
    (["--http2"], "h2"),  # offered over TLS only; the module must be there to offer it
    (["--llm"], "stream_core.analysis"),
    (["--save", "{tmp}/s.sicap"], "stream_core.capture.records_file"),
])
def test_options_import_what_they_use(extra: list[str], needed: str, tmp_path: object) -> None:
    with RawServer(reply(WIRE)) as srv:
        code, loaded, records = run(srv.url, *(a.format(tmp=tmp_path) for a in extra))
    assert code == 0 and records[-1]["events"] == 1, records
    assert needed in loaded


def test_a_pasted_curl_may_ask_for_http2() -> None:
    with RawServer(reply(WIRE)) as srv:
        code, loaded, _ = run("--curl", f"curl --http2 {srv.url}")
    assert code == 0
    assert "h2" in loaded and "stream_core.requests" in loaded


def test_saved_request_options_still_parse_when_abbreviated() -> None:
    """``--from``/``--curl``/``--env`` are defined only when the command line may use them;
    argparse's prefixes (``--cur``) count as using them."""
    with RawServer(reply(WIRE)) as srv:
        code, loaded, records = run("--cur", f"curl {srv.url}")
    assert code == 0 and records[-1]["events"] == 1
    assert "stream_core.requests" in loaded
