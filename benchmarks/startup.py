"""Child process for the startup scenario: ``app`` or ``bare``; prints ``READY`` when ready.

``app`` runs what the real entry point runs (``gui.app.cli.main``: the embedded server's child
process started first, then QApplication, qasync loop, MainWindow) and is ready when the main window is exposed and the embedded
server answers ``GET /health``; it then closes the window, so the app quits its own way.
``bare`` shows an empty ``QMainWindow`` and is ready when that is exposed: the floor of any
PySide6 window process. The parent times process start -> ``READY`` line.
"""

from __future__ import annotations

import http.client
import os
import sys
from typing import Any
from urllib.parse import urlsplit

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _exposed(widget: Any) -> bool:
    handle = widget.windowHandle()
    return bool(widget.isVisible() and handle is not None and handle.isExposed())


def _accepting(url: str) -> bool:
    """The server answers ``GET /health`` with 200 (not merely a TCP connect to a backlog)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                      timeout=0.5)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def app() -> int:
    """What ``stream-inspector`` (``gui.app.cli.main``) does, in its order: the demo server is
    started before Qt is imported, then the window's ``main`` runs."""
    from gui.app.launch import early_server

    settings = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"si-bench-{os.getpid()}.ini")
    argv = ["--settings", settings]
    server = early_server(argv)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app.lifetime import main
    from gui.window.main_window import MainWindow

    qapp = QApplication([sys.argv[0]])
    timer = QTimer()
    timer.setInterval(1)

    def poll() -> None:
        for w in qapp.topLevelWidgets():
            if isinstance(w, MainWindow) and _exposed(w) and w.server_url \
                    and _accepting(w.server_url):
                timer.stop()
                print("READY", flush=True)
                w.close()
                return

    timer.timeout.connect(poll)
    timer.start()
    try:
        return main(argv, server=server)
    finally:
        if os.path.exists(settings):
            os.remove(settings)


def bare() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    qapp = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1400, 900)
    window.show()

    def poll() -> None:
        if _exposed(window):
            print("READY", flush=True)
            qapp.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(1)
    return qapp.exec()


if __name__ == "__main__":
    sys.exit(app() if sys.argv[1:] == ["app"] else bare())
