"""``python -m embedded_server [--host H] [--port P]``: the demo server alone (and the window's
server process, ``embedded_server.process``)."""

from __future__ import annotations

import sys

# FastAPI checks every parameter and response annotation for a pydantic.v1 model and imports
# pydantic.v1 to do so (~70 ms, a tenth of this process's start); the demo app has none, and
# FastAPI treats pydantic.v1 as absent when that import fails. Only in this process of ours.
sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]

from .cli import main  # noqa: E402 (after the line above)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="python -m embedded_server"))
