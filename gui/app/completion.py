"""Shell completion for bash, zsh and fish, generated from the argument parsers themselves.

Why argcomplete: it reads the very ``argparse`` parsers the commands parse with (options,
``choices``, file names), so completion cannot drift from the command line, and it covers
bash, zsh and fish (shtab, the other well-kept generator, writes bash, zsh and tcsh, not
fish). It completes dynamically: the shell runs ``stream-inspector`` with ``_ARGCOMPLETE``
set, and the entry point answers before anything else (``complete``); without that variable
argcomplete is never imported, so it costs ``capture``'s start-up nothing. Only the
subcommand being completed has its parser built (``serve``'s imports the demo server: ~0.5 s).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable
from typing import NoReturn

from gui.app.commands import COMMANDS, PROG

__all__ = ["SHELLS", "complete", "full_parser", "main", "script"]

SHELLS = ("bash", "zsh", "fish")


def _capture() -> argparse.ArgumentParser:
    from stream_core.capture.command import build_parser

    return build_parser()


def _compare() -> argparse.ArgumentParser:
    from stream_core.capture.compare_command import build_parser

    return build_parser()


def _test() -> argparse.ArgumentParser:
    from stream_core.capture.test_command import build_parser

    return build_parser()


def _serve() -> argparse.ArgumentParser:
    from embedded_server.cli import build_parser

    return build_parser()


def _proxy() -> argparse.ArgumentParser:
    from stream_core.capture.proxy_command import build_parser

    return build_parser()


def _completion() -> argparse.ArgumentParser:
    return build_parser()


_PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "capture": _capture, "compare": _compare, "test": _test, "serve": _serve, "proxy": _proxy,
    "completion": _completion}


class _Parser(argparse.ArgumentParser):
    """A bad argument is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """``stream-inspector completion SHELL``."""
    parser = _Parser(
        prog=f"{PROG} completion", description="Print the shell code that completes "
        f"{PROG}'s commands and options; load it from the shell's start-up file.",
        epilog='bash: eval "$(stream-inspector completion bash)" in ~/.bashrc\n'
               'zsh:  eval "$(stream-inspector completion zsh)" in ~/.zshrc\n'
               "fish: stream-inspector completion fish | source  in "
               "~/.config/fish/config.fish",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    return parser


def full_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line as one parser: each subcommand with its options, and the window's
    options and URL when no subcommand is named (``only``: that subcommand's options alone;
    the window's URL would take the subcommand's name as its value)."""
    from gui.app.launch import build_parser as window_parser

    parents = [window_parser()] if only is None else []
    parser = argparse.ArgumentParser(prog=PROG, parents=parents, add_help=not parents)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (what, _example) in COMMANDS.items():
        build = _PARSERS.get(name)
        parents = [build()] if build is not None and only in (None, name) else []
        commands.add_parser(name, parents=parents, add_help=not parents, help=what)
    return parser


def _command_being_completed(line: str) -> str | None:
    """The subcommand named on the command line being completed, if any."""
    try:
        words = shlex.split(line)
    except ValueError:  # an open quote: the word being typed
        words = line.split()
    return next((w for w in words[1:2] if w in COMMANDS), None)


def complete() -> int:
    """Answer the shell's completion request (``_ARGCOMPLETE`` is set); never returns
    normally when argcomplete handles it (it exits the process)."""
    import argcomplete

    parser = full_parser(_command_being_completed(os.environ.get("COMP_LINE", "")))
    argcomplete.autocomplete(parser)
    return 1  # argcomplete found nothing to do (not a completion request after all)


def script(shell: str) -> str:
    """The code that makes ``shell`` complete ``stream-inspector``."""
    from argcomplete.shell_integration import shellcode

    return str(shellcode([PROG], shell=shell))


def main(argv: list[str]) -> int:
    """``stream-inspector completion SHELL``: print the completion code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for bad arguments, 0 for --help
        return exc.code if isinstance(exc.code, int) else 2
    sys.stdout.write(script(args.shell))
    return 0
