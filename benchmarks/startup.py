"""Child process for the startup scenario: ``app`` or ``bare``; prints a line per milestone.

``app`` runs what the real entry point runs (``gui.app.cli.main``: the embedded server's child
process started first, then QApplication, qasync loop, MainWindow) and prints ``LIST`` when
the window shows the endpoint list and accepts input, then ``SENT`` when a first Send to the
demo server (made at once, possibly before the server serves) succeeded.
``bare`` shows an empty ``QMainWindow`` and prints ``READY`` when that is exposed: the floor
of any PySide6 window process. The parent times process start -> each line.
"""

from __future__ import annotations

import os
import sys
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _exposed(widget: Any) -> bool:
    handle = widget.windowHandle()
    return bool(widget.isVisible() and handle is not None and handle.isExposed())


def app() -> int:
    """What ``stream-inspector`` (``gui.app.cli.main``) does, in its order: the demo server is
    started before Qt is imported, then the window's ``main`` runs.

    ``LIST``: the window is exposed, lists the demo server's endpoints, and its event loop
    runs (this poll is a timer on it): a click is handled (the rest of the window is built
    after, in short steps: ``gui.window.warmup``). Then it chooses
    ``GET /health`` in the picker and sends it, as a user would: ``SENT`` when that stream
    ended with a 200 (``FAILED`` otherwise). It then closes the window, so the app quits its
    own way.
    """
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
    sent: list[Any] = []

    def poll() -> None:
        for w in qapp.topLevelWidgets():
            if not isinstance(w, MainWindow):
                continue
            if not sent:
                item = w.picker.find_endpoint("GET", "/health")
                if _exposed(w) and item is not None:
                    print("LIST", flush=True)
                    w.picker.choose(item)
                    sent.append(w.send())
            elif sent[0] is None or sent[0].ended:
                c = sent[0]
                ok = c is not None and c.response is not None and c.response.status == 200
                print("SENT" if ok else "FAILED", flush=True)
                timer.stop()
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
