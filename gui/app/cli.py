"""The ``stream-inspector`` entry point.

Dispatches ``capture``, ``compare``, ``test`` and ``proxy`` to stream_core, ``serve`` to
embedded_server and ``completion`` to the shell-completion code without importing Qt, so
those commands start fast and run where Qt cannot (``--version`` and
``--install-desktop``/``--uninstall-desktop`` too); anything else opens the window, with the
embedded server started first (in a child process) so that it loads while Qt does. Before
that child starts: a mistyped command, ``--help`` and a machine without a display are
answered here (``gui.app.commands``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` (default: the process's arguments) asks for; its exit status.

    ``argv`` None means this call owns the process: a command may then trim what the whole
    process imports (``capture`` keeps HTTP/2's modules out when it cannot use them)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "httpx" not in sys.modules:
        # httpx imports its own command-line client (click, rich, pygments: ~70 ms) unless that
        # import fails; no command here runs it (httpx is bounded in pyproject.toml).
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    if os.environ.get("_ARGCOMPLETE"):  # the shell asks for completions (see completion.py)
        from gui.app.completion import complete

        return complete()
    command = args[0] if args else ""
    if command == "capture":
        from stream_core.capture import command as capture

        if argv is None:
            capture.skip_unused_imports(args[1:])
        return capture.main(args[1:])
    if command == "compare":
        from stream_core.capture.compare_command import main as compare_main

        return compare_main(args[1:])
    if command == "test":
        from stream_core.capture.test_command import main as test_main

        return test_main(args[1:])
    if command == "proxy":
        from stream_core.capture.proxy_command import main as proxy_main

        return proxy_main(args[1:])
    if command == "serve":
        from embedded_server.cli import main as serve_main

        return serve_main(args[1:])
    if command == "completion":
        from gui.app.completion import main as completion_main

        return completion_main(args[1:])
    return _window(args)


def _window(args: list[str]) -> int:
    """``stream-inspector [URL | FILE.sicap] [options]``: the window, unless the arguments
    are a mistyped command, ask for help, or there is no display to open it on."""
    from gui.app.commands import no_display, unknown_command

    typo = unknown_command(args)
    if typo is not None:
        print(f"stream-inspector: {typo}", file=sys.stderr)
        return 2
    if "-h" in args or "--help" in args:
        _print_help()
        return 0
    from gui.app.launch import early_server, run_without_window

    status = run_without_window(args)
    if status is not None:
        return status
    missing = None if "--list-demos" in args else no_display()
    if missing is not None:
        print(f"stream-inspector: {missing}", file=sys.stderr)
        return 2
    server = early_server(args)  # before Qt: its imports run on another core meanwhile
    from gui.app.lifetime import main as window_main

    return window_main(args, server=server)


def _print_help() -> None:
    """The top-level ``--help``: the window's options, then every command with an example,
    then the exit statuses."""
    import argparse

    from gui.app.commands import help_epilog
    from gui.app.launch import build_parser

    parser = build_parser()
    parser.usage = ("stream-inspector [URL | FILE.sicap] [options]\n"
                    "       stream-inspector COMMAND [options]")
    parser.description = ("Watch HTTP streaming responses live: the window (with the embedded "
                          "demo server), or a command.")
    parser.epilog = help_epilog()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.print_help()


if __name__ == "__main__":
    sys.exit(main())
