"""Regenerate ``benchmarks/README.md``'s table from a results JSON (keeps the prose)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from benchmarks.report import render_table

HERE = Path(__file__).resolve().parent
START, END = "<!-- table:start -->", "<!-- table:end -->"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    results = json.loads((Path(args[0]) if args else HERE / "results" / "latest.json").read_text())
    readme = HERE / "README.md"
    text = readme.read_text()
    stamp = (f"Latest full run: {results['date']}, {results['elapsed_s']:.0f} s "
             f"(`benchmarks/results/latest.json`).")
    block = f"{START}\n{stamp}\n\n{render_table(results)}\n{END}"
    text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    readme.write_text(text)


if __name__ == "__main__":
    main()
