"""`keysmith ask`: placeholder until its issue lands (replace this module)."""

from __future__ import annotations

import argparse
from typing import Any

from keysmith.errors import KeysmithError


def register(sub: Any) -> None:
    """Add the `ask` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser("ask", help="(being built)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Not built yet."""
    raise KeysmithError("'keysmith ask' is not available yet")
