"""The demo server's OpenAPI document as a file: ``python -m embedded_server.snapshot PATH``.

The window lists the embedded server's endpoints from this snapshot (shipped as
``resources/demo-openapi.json``) the moment it shows, while the server's child process is
still importing FastAPI; ``make openapi-snapshot`` writes it again after a route changes and
``tests/server/test_openapi_snapshot.py`` fails while it differs from the live app's
``/openapi.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["NAME", "document", "dumps", "main"]

#: The snapshot's name among the package resources (``stream_inspector_resources``).
NAME = "demo-openapi.json"


def document() -> dict[str, Any]:
    """The OpenAPI document the demo app serves at ``/openapi.json``."""
    from embedded_server.app import create_app

    return create_app().openapi()


def dumps(doc: dict[str, Any]) -> str:
    """The snapshot's text: the document's own key order (the app's route order, stable from
    run to run), which the window lists its endpoints in; sorted keys listed them in another
    order than the live document does after a reload or a Replay (issue 23.16)."""
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m embedded_server.snapshot PATH", file=sys.stderr)
        return 2
    Path(args[0]).write_text(dumps(document()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
