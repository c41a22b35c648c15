"""``stream-inspector test``: the requests with expectations of files and folders, one line
each and a summary, a JUnit report that a JUnit parser (as CI tools use) reads back, exit 1 on
any failure and 2 before anything is sent; and README's CI example, run as it is written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from junitparser import Error as JError
from junitparser import Failure, JUnitXml, Skipped

from tests.core.test_capture import ROOT, env

EXAMPLE = ROOT / "docs" / "examples" / "ci"


def stream_inspector(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gui", "test", *args], capture_output=True,
                          text=True, cwd=cwd, env=env(), timeout=120)


def collection(tmp_path: Path, demo: str, text: str) -> Path:
    folder = tmp_path / "api"
    (folder / "nested").mkdir(parents=True)
    (folder / "http-client.env.json").write_text(json.dumps({"ci": {"demo": demo}}))
    (folder / "nested" / "http-client.env.json").write_text(json.dumps({"ci": {"demo": demo}}))
    (folder / "streams.http").write_text(text)
    return folder


STREAMS = """### good
# @expect status == 200
# @expect events == 3
GET {{demo}}/events?interval=0&count=3

### late
# @expect ttfb < 20s
# @expect first_event < 300ms
# @expect complete
GET {{demo}}/expect/late-first-event?delay=5

### not run: no expectations
GET {{demo}}/health
"""


def test_failures_lines_and_junit(demo_server: str, tmp_path: Path) -> None:
    folder = collection(tmp_path, demo_server, STREAMS)
    (folder / "nested" / "down.http").write_text(
        "### down\n# @expect status == 200\nGET http://127.0.0.1:9/nothing\n")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "skipped.http").write_text("### x\n# @expect nonsense\nGET /\n")
    proc = stream_inspector("api", "--env", "ci", "--junit", "out.xml", "-j", "2", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4 and proc.stderr == ""
    by_name = {line.split()[1]: line for line in lines[:3]}
    assert by_name["api/streams.http#good"].startswith("PASS  api/streams.http#good  2/2  ")
    late = by_name["api/streams.http#late"]
    assert late.startswith("FAIL  api/streams.http#late  first_event < 300ms: first_event: no"
                           " event yet after"), late
    assert "(1 failed, 1 skipped, 1 passed)" in late
    assert by_name["api/nested/down.http#down"].startswith(
        "FAIL  api/nested/down.http#down  status == 200: status none (no response)")
    assert lines[3].startswith("3 requests: 1 passed, 2 failed; 6 expectations: 3 passed,"
                               " 2 failed, 1 skipped (")

    report = JUnitXml.fromfile(str(tmp_path / "out.xml"))
    suites = {s.name: s for s in report}
    assert set(suites) == {"api/streams.http#good", "api/streams.http#late",
                           "api/nested/down.http#down"}
    late_suite = suites["api/streams.http#late"]
    assert (late_suite.tests, late_suite.failures, late_suite.errors,
            late_suite.skipped) == (3, 1, 0, 1)
    cases = {c.name: c for c in late_suite}
    assert cases["ttfb < 20s"].is_passed
    (failure,) = cases["first_event < 300ms"].result
    assert isinstance(failure, Failure) and failure.type == "expectation"
    assert failure.message.startswith("first_event: no event yet after")
    assert "written at api/streams.http:8" in (failure.text or "")
    assert isinstance(cases["complete"].result[0], Skipped)
    down = {c.name: c for c in suites["api/nested/down.http#down"]}
    assert isinstance(down["(stream)"].result[0], JError)
    assert down["(stream)"].result[0].type == "connect"
    assert (report.tests, report.failures, report.errors, report.skipped) == (7, 2, 1, 1)


def test_report_has_what_ci_schemas_require(demo_server: str, tmp_path: Path) -> None:
    """The attributes the Jenkins/Surefire and xUnit schemas require, times with at most
    three decimals; a report is no secret (the umask's default mode)."""
    collection(tmp_path, demo_server, "### one\n# @expect every event.data == x\n"
                                      "GET {{demo}}/events?interval=0&count=1\n")
    proc = stream_inspector("api", "--env", "ci", "--junit", "r.xml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    root = ET.parse(tmp_path / "r.xml").getroot()
    assert root.tag == "testsuites"
    time = re.compile(r"^\d+(\.\d{1,3})?$")
    for suite in root.iter("testsuite"):
        assert {"name", "tests", "failures", "errors"} <= set(suite.attrib)
        assert time.match(suite.attrib["time"])
        for case in suite.iter("testcase"):
            assert "name" in case.attrib and time.match(case.attrib["time"])
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp_path / "r.xml").st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("text, args, message", [
    ("### a\n# @expect first_evnt < 1s\nGET {{demo}}/events\n", ["--env", "ci"],
     "streams.http:2:11: unknown name 'first_evnt' (did you mean 'first_event'?)"),
    ("### a\n# @expect complete\nGET {{nowhere}}/events\n", ["--env", "ci"],
     "undefined variable {{nowhere}}"),
    ("### a\n# @expect complete\nGET {{demo}}/events\n", ["--env", "prod"],
     "no environment 'prod'"),
    ("### a\nGET {{demo}}/events\n", ["--env", "ci"], "no request with '# @expect' lines"),
    ("### a\n# @expect complete\nGET {{demo}}/events\n", ["--junit", "no/such/r.xml"],
     "cannot write the JUnit report"),
])
def test_mistakes_are_exit_2_before_anything_is_sent(tmp_path: Path, text: str,
                                                     args: list[str], message: str) -> None:
    collection(tmp_path, "http://127.0.0.1:9", text)
    proc = stream_inspector("api", *args, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr


def test_the_ci_example_of_the_readme(tmp_path: Path) -> None:
    """README shows docs/examples/ci/ci.sh as it is; run as a CI job would, with the tool on
    PATH, it starts the demo server, gates its streams and leaves a JUnit report."""
    readme = (ROOT / "README.md").read_text()
    script = (EXAMPLE / "ci.sh").read_text()
    assert script.split("\n", 1)[1] in readme
    assert (EXAMPLE / "streams.http").read_text() in readme
    bin_dir = Path(sys.executable).parent
    assert shutil.which("stream-inspector", path=str(bin_dir)), "stream-inspector not installed"
    job_env = {**env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["sh", str(EXAMPLE / "ci.sh")], cwd=tmp_path, env=job_env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASS  ") == 3
    report = JUnitXml.fromfile(str(tmp_path / "report.xml"))
    assert report.tests >= 10 and (report.failures, report.errors, report.skipped) == (0, 0, 0)


def test_test_does_not_import_qt() -> None:
    from tests.test_layering import _run

    proc = _run(["test", "--help"])
    assert proc.returncode == 0, proc.stderr
    assert "QT:\n" in proc.stdout and "--junit" in proc.stdout
