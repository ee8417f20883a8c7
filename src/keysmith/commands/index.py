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
    """A one-line progress bar on a terminal stream (stderr, so stdout stays clean for the summary)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // max(total, 1)
        self._stream.write(
            f"\rembedding [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} sections"
        )
        self._stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self._stream.write("\n")
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
