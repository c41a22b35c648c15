"""``python -m embedded_server [--host H] [--port P]``: the demo server alone."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="python -m embedded_server"))
