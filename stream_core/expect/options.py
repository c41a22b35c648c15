"""The command-line options of expectations (``capture``), apart from their parsing: building
the parser must not import the language (``capture`` starts fast without ``--expect``)."""

from __future__ import annotations

import argparse

__all__ = ["add_expect_arguments", "wanted"]


def add_expect_arguments(parser: argparse.ArgumentParser) -> None:
    """``--expect``, ``--expect-file`` and ``--keep-going``."""
    group = parser.add_argument_group(
        "expectations", "checked live as the stream arrives; the first failure stops it"
        " (exit 1) unless --keep-going; one \"expect\" record per expectation")
    group.add_argument("--expect", action="append", default=[], metavar="EXPR",
                       help="an expectation, e.g. 'first_event < 500ms' (repeatable)")
    group.add_argument("--expect-file", action="append", default=[], metavar="FILE",
                       help="expectations, one per line (# starts a comment)")
    group.add_argument("--keep-going", action="store_true",
                       help="do not stop the stream at the first failed expectation")


def wanted(ns: argparse.Namespace) -> bool:
    """Whether expectations may be given: options, or a ``--from`` request's lines."""
    return bool(ns.expect or ns.expect_file or getattr(ns, "from_file", None) is not None)
