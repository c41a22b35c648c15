"""The ``stream-inspector`` entry point.

Dispatches ``capture`` and ``proxy`` to stream_core and ``serve`` to embedded_server without
importing Qt, so those commands start fast and run where Qt cannot (``--version`` and
``--install-desktop``/``--uninstall-desktop`` too); anything else opens the window, with
the embedded server started first (in a child process) so that it loads while Qt does.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "capture":
        from stream_core.capture.command import main as capture_main

        return capture_main(args[1:])
    if args and args[0] == "proxy":
        from stream_core.capture.proxy_command import main as proxy_main

        return proxy_main(args[1:])
    if args and args[0] == "serve":
        from embedded_server.cli import main as serve_main

        return serve_main(args[1:])
    from gui.app.launch import early_server, run_without_window

    status = run_without_window(args)
    if status is not None:
        return status
    server = early_server(args)  # before Qt: its imports run on another core meanwhile
    from gui.app.lifetime import main as window_main

    return window_main(args, server=server)


if __name__ == "__main__":
    sys.exit(main())
