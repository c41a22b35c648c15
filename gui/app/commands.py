"""What the entry point knows before it imports anything heavy: its subcommands (with one
example each, for ``--help``), a mistyped one, and whether a window can open at all.

Why here and not in the window's parser: ``stream-inspector WORD`` is ambiguous (a command, a
URL, a capture file), and the window starts the demo server's child process before Qt, so a
typo must be caught first (one line, exit 2, no child started), and so must a machine with no
display (Qt would abort with 134 after five ``qt.qpa`` lines).
"""

from __future__ import annotations

import difflib
import os
import re
import sys

from stream_core.capture import exitcodes

__all__ = ["COMMANDS", "help_epilog", "no_display", "unknown_command"]

PROG = "stream-inspector"
#: name -> (what it does, one example); the order of ``--help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "capture": ("stream one request headlessly: one JSON record per line on stdout",
                "stream-inspector capture 'http://127.0.0.1:8000/events?count=3' | jq -c ."),
    "compare": ("compare two captures: headers, framing, events aligned, timing",
                "stream-inspector compare a.sicap b.sicap --events --headers"),
    "serve": ("run the embedded demo server alone",
              "stream-inspector serve --port 8000"),
    "test": ("run the .http requests that have '# @expect' lines: one line each, JUnit XML",
             "stream-inspector test api/ --env ci --junit report.xml"),
    "proxy": ("a recording reverse proxy between your app and its API",
              "stream-inspector proxy --target https://api.openai.com --save captures/"),
    "completion": ("print shell completion code for bash, zsh or fish",
                   'eval "$(stream-inspector completion bash)"'),
}
#: Words people type for a command that has another name here.
_SYNONYMS = {"diff": "compare", "cmp": "compare", "server": "serve", "get": "capture",
             "curl": "capture", "record": "capture", "fetch": "capture"}
#: A word that can only be meant as a command: not a URL, a host:port, a path or an option.
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def unknown_command(args: list[str]) -> str | None:
    """The one-line message for a first argument that looks like a command but is none
    (``captur``, ``diff``), or None. An existing file of that name is not a command."""
    if not args or not _WORD.fullmatch(args[0]) or args[0] in COMMANDS:
        return None
    word = args[0]
    if os.path.exists(word):
        return None
    guess = _SYNONYMS.get(word.lower()) or next(
        iter(difflib.get_close_matches(word.lower(), COMMANDS, n=1, cutoff=0.6)), None)
    if guess is not None:
        return f"unknown command {word!r}; did you mean {guess!r}?"
    return (f"unknown command {word!r} (commands: {', '.join(COMMANDS)}; or a URL or a "
            f"FILE.sicap to open in the window; see {PROG} --help)")


def no_display(env: dict[str, str] | None = None) -> str | None:
    """Why no window can open here (a one-line message), or None when one may.

    On X11/Wayland systems Qt needs ``DISPLAY`` or ``WAYLAND_DISPLAY``; a platform plugin
    that needs neither (``QT_QPA_PLATFORM=offscreen``, ``vnc``, ``eglfs``...) is trusted."""
    env = dict(os.environ) if env is None else env
    if sys.platform in ("win32", "darwin"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    x11, wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if platform == "xcb":
        missing = not x11
    elif platform.startswith("wayland"):
        missing = not wayland
    else:
        missing = not platform and not (x11 or wayland)
    if not missing:
        return None
    unset = {"xcb": "DISPLAY", "": "DISPLAY and WAYLAND_DISPLAY"}.get(platform,
                                                                    "WAYLAND_DISPLAY")
    return (f"no display ({unset} not set), so the window cannot open; `{PROG} capture URL` "
            "is the headless form (QT_QPA_PLATFORM=offscreen renders --screenshot without one)")


def help_epilog() -> str:
    """The commands with an example each, and the exit statuses, for the top-level
    ``--help`` (the window's own options come first)."""
    width = max(map(len, COMMANDS))
    lines = [f"commands (`{PROG} COMMAND --help` for each):"]
    for name, (what, example) in COMMANDS.items():
        lines += [f"  {name:<{width}}  {what}", f"  {'':<{width}}    {example}"]
    lines += ["", "the window:", f"  {PROG} 'http://127.0.0.1:8000/events?count=5'",
              f"  {PROG} capture.sicap", "", exitcodes.epilog()]
    return "\n".join(lines)
