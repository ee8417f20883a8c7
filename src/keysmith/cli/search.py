"""`keysmith search "..."`: the passages Keysmith would cite for a question (or its abstention)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from keysmith.config import Settings
from keysmith.ingest.chunking import KINDS

if TYPE_CHECKING:
    from keysmith.retrieval import SearchResult


def register(sub: Any) -> None:
    """Add the `search` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "search",
        help="search the framework knowledge (hybrid: meaning + keywords)",
        description="Show the knowledge passages that answer a question, best first, or say none does.",
    )
    parser.add_argument("query", help="the question, in your own words")
    parser.add_argument("--json", action="store_true", help="print {abstained, results: [...]} as JSON")
    parser.add_argument("--kind", choices=sorted(KINDS), help="only passages of this kind")
    parser.add_argument("-k", type=_positive, default=4, metavar="N", help="how many passages (default 4)")
    parser.add_argument("--workspace", default=None, help="also search this workspace's client documents")
    parser.set_defaults(handler=run)


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def render(result: SearchResult) -> str:
    """The human form: the same fields as the JSON, one block per passage."""
    if result.abstained:
        return "No passage in Keysmith's knowledge covers this question, so there is nothing to cite."
    blocks = []
    for number, passage in enumerate(result.results, start=1):
        blocks.append(
            f"{number}. {passage.heading}  (score {passage.score:.4f})\n"
            f"   {passage.source}  [{passage.id}]\n"
            f"   {passage.excerpt}"
        )
    return "\n\n".join(blocks)


def run(args: argparse.Namespace) -> int:
    """Search and print; an unreachable or empty index is a `RetrievalError` (one line, exit code 2)."""
    from keysmith.retrieval import open_retriever  # deferred: chromadb is slow to import for `--help`

    retriever = open_retriever(Settings.from_env())
    result = retriever.search(args.query, k=args.k, kind=args.kind, workspace_id=args.workspace)
    print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if args.json else render(result))
    return 0
