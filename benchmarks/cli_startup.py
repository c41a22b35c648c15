"""The ``capture`` start-up scenario: process start -> the request on the wire, and -> exit.

Why: a script or a CI job runs ``stream-inspector capture`` many times, and each run paid
~0.5 s before its request left (curl: ~0.01 s). The figure that matters to a user is the time
from spawning the process to the request reaching the server, so the server here is a raw
listening socket in this process: it notes when the first request bytes arrive, answers one
short SSE event, and the child's exit is timed too. Contenders alternate round by round:
``capture`` (the installed entry point), curl, and a bare ``python`` that sends the same
request with a socket (the interpreter's own floor on this machine).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from typing import Any

from benchmarks._common import PYTHON, ROOT, Run, child_env, children_cpu

__all__ = ["capture_startup", "time_to_request"]

BODY = b"data: x\n\n"
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n"
         b"Connection: close\r\n\r\n" % len(BODY)) + BODY
#: The interpreter's floor: start, import socket, send a request, read the reply.
FLOOR = ("import socket,sys;s=socket.create_connection(('127.0.0.1',int(sys.argv[1])));"
         "s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n');s.recv(4096)")


def entry_point() -> list[str]:
    """The ``stream-inspector`` script installed beside this Python (what a user runs),
    else ``python -m gui``."""
    script = shutil.which("stream-inspector", path=os.path.dirname(PYTHON))
    return [script] if script else [PYTHON, "-m", "gui"]


def commands(url: str, port: int) -> dict[str, list[str]]:
    out = {"capture": [*entry_point(), "capture", url],
           "python_floor": [PYTHON, "-c", FLOOR, str(port)]}
    curl = shutil.which("curl")
    if curl:
        out["curl"] = [curl, "-sN", "-o", "/dev/null", url]
    return out


def time_to_request(cmd: list[str], listener: socket.socket, timeout: float = 30.0,
                    env: dict[str, str] | None = None) -> Run:
    """Spawn ``cmd``; seconds from spawn to the first request bytes on ``listener``
    (``request_s``) and to the child's exit (``exit_s``)."""
    arrived: list[float] = []
    failed: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(timeout)
                data = conn.recv(65536)
                arrived.append(time.perf_counter())
                while b"\r\n\r\n" not in data:
                    more = conn.recv(65536)
                    if not more:
                        break
                    data += more
                conn.sendall(REPLY)
        except OSError as exc:
            failed.append(exc)

    listener.settimeout(timeout)
    thread = threading.Thread(target=serve, name="startup-listener", daemon=True)
    thread.start()
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env or child_env(), capture_output=True,
                          timeout=timeout, check=False)
    t_exit = time.perf_counter()
    thread.join(timeout)
    if not arrived or proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} exited {proc.returncode} (request seen: {bool(arrived)},"
                           f" {failed}):\n{proc.stderr.decode(errors='replace')[-2000:]}")
    data: dict[str, Any] = {"request_s": arrived[0] - t0, "exit_s": t_exit - t0}
    return Run(t_exit - t0, children_cpu() - cpu0, 0.0, data, proc.returncode,
               proc.stderr.decode(errors="replace"))


def capture_startup(ctx: Any) -> dict[str, Any]:
    """Median spawn -> request on the wire for ``capture``, curl and the Python floor."""
    from benchmarks.runner import alternate, summarize
    from benchmarks.scenarios import _target, compile_bytecode

    ctx.log("  process start -> request on the wire (a raw socket here), and -> exit; "
            "capture vs curl vs a bare python sending the same request")
    ctx.log(f"  bytecode compiled first (as an install does): {compile_bytecode()}")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        cmds = commands(f"http://127.0.0.1:{port}/events", port)
        runs = alternate({name: (lambda _r, c=cmd: time_to_request(c, listener))
                          for name, cmd in cmds.items()},
                         ctx.sizes.startup_repeats, log=ctx.log,
                         extra_for_disturbed=ctx.sizes.redo_disturbed)
    c = {name: summarize(r, "request_s") for name, r in runs.items()}
    for name, r in runs.items():
        c[name]["exit_median"] = summarize(r, "exit_s")["median"]
    value = c["capture"]["median"]
    return {"metric": "ready_s", "contenders": c,
            "ratio_vs_floor": value / c["python_floor"]["median"],
            "targets": [_target("capture: process start -> request on the wire", value, "<=",
                                0.25, "s")]}
