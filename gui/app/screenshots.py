"""Render every demo into OUTDIR/NAME.png, every view into OUTDIR/view-NAME.png and the
window at 1024x640 and 1600x1000 into OUTDIR/window-WxH.png:
``python -m gui.app.screenshots docs/screenshots [NAME ...]`` (NAME: a demo, ``view-VIEW`` or
``window-WxH``).

Each demo runs in a fresh process (``python -m gui --demo NAME --screenshot ...``) so that one
scenario's state, settings or timing cannot leak into the next, exactly as a user would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gui.app.demos import NAMES, VIEW_DEMOS
from gui.app.launch import VIEWS

#: The extra images: name -> arguments after ``--demo``.
SIZES = ("1024x640", "1600x1000")
EXTRA: dict[str, list[str]] = {
    **{f"view-{view}": [VIEW_DEMOS[view], "--view", view] for view in VIEWS},
    **{f"window-{size}": ["events", "--window-size", size] for size in SIZES},
}
ALL = NAMES + tuple(EXTRA)

PER_DEMO_TIMEOUT = 90


def render(outdir: Path, names: tuple[str, ...] = ALL) -> list[str]:
    """Render ``names`` into ``outdir``; returns the names that failed."""
    outdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    failed = []
    for name in names:
        target = outdir / f"{name}.png"
        demo = EXTRA.get(name, [name])
        cmd = [sys.executable, "-m", "gui", "--demo", *demo, "--screenshot", str(target)]
        try:
            proc = subprocess.run(cmd, env=env, timeout=PER_DEMO_TIMEOUT, check=False,
                                  stdin=subprocess.DEVNULL)
            ok = proc.returncode == 0 and target.is_file()
        except subprocess.TimeoutExpired:
            ok = False
        print(f"{'ok  ' if ok else 'FAIL'} {target}", flush=True)
        if not ok:
            failed.append(name)
    return failed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m gui.app.screenshots OUTDIR [NAME ...]\nnames: " + " ".join(ALL))
        return 0 if args else 2
    names = tuple(args[1:]) or ALL
    unknown = [n for n in names if n not in ALL]
    if unknown:
        print(f"unknown demo(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    return 1 if render(Path(args[0]), names) else 0


if __name__ == "__main__":
    sys.exit(main())
