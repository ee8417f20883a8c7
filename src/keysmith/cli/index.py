"""`keysmith index`: bring the knowledge index in line with the knowledge folder (incremental)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from keysmith.config import Settings

BAR_WIDTH = 30


def register(sub: Any) -> None:
    """Add the `index` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "index",
        help="index knowledge/*.md for search (only new or changed sections are embedded)",
        description="Index the knowledge pages. Unchanged sections are kept; removed ones are deleted.",
    )
    parser.set_defaults(handler=run)


class ProgressBar:
    """Embedding progress on stderr (stdout stays clean for the summary): a redrawn bar on a terminal,
    one final line in a log."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._last = ""

    def __call__(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // max(total, 1)
        self._last = f"embedding [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} sections"
        if self._live:
            self._stream.write(f"\r{self._last}")
            self._stream.flush()

    def finish(self) -> None:
        if self._last:
            self._stream.write("\n" if self._live else f"{self._last}\n")
            self._stream.flush()


def run(args: argparse.Namespace) -> int:
    """Index, draw progress on stderr, print the one-line summary; errors become `KeysmithError`s."""
    from keysmith.ingest import index_knowledge  # deferred: chromadb is slow to import for `--help`

    bar = ProgressBar(sys.stderr)
    try:
        summary = index_knowledge(Settings.from_env(), progress=bar)
    finally:
        bar.finish()
    print(summary.line())
    return 0
