"""Fallback server process: ``ServerThread`` on 127.0.0.1:0 until SIGTERM.

Used only while ``python -m embedded_server`` is not available; prints the same
``listening on http://HOST:PORT`` line.
"""

from __future__ import annotations

import signal
import threading

from embedded_server.runner import ServerThread


def main() -> None:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    server = ServerThread(host="127.0.0.1", port=0)
    url = server.start()
    print(f"listening on {url}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
