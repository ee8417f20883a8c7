"""The naive baseline the benchmarks compare Keysmith with: a plain retrieve-then-prompt chain.

What a first prototype usually looks like: at start it reads every knowledge page, splits it into paragraphs
and embeds them all again (no persistent index); per question it embeds the question, takes the 4 paragraphs
with the highest cosine similarity, pastes them into one prompt and, when it has a model, asks it once. No
tools, no guards, no citations check, no abstention. It uses the same embedding model as Keysmith, so the
comparison measures the architecture, not the embedder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

PROMPT = (
    "You help managers whose AI rollout stalled. Answer from the context only.\n\n"
    "Context:\n{context}\n\nQuestion: {question}\nAnswer:"
)
TOP_K = 4

Embed = Callable[[Sequence[str]], list[list[float]]]


def paragraphs(knowledge_dir: Path) -> list[str]:
    """Every paragraph of every Markdown page (front matter and headings dropped), in file order."""
    found: list[str] = []
    for page in sorted(knowledge_dir.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if text.startswith("---"):
            text = text.split("---", 2)[-1]
        found += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 40 and not p.startswith("#")]
    return found


class NaiveChain:
    """Retrieve-then-prompt over paragraphs embedded at start (see the module docstring)."""

    def __init__(self, knowledge_dir: Path, embed: Embed) -> None:
        self._embed = embed
        self.chunks = paragraphs(knowledge_dir)
        self.vectors = np.array(embed(self.chunks), dtype=np.float32)

    def retrieve(self, question: str) -> list[str]:
        """The TOP_K paragraphs most similar to `question` (vectors are unit length: dot = cosine)."""
        query = np.array(self._embed([question])[0], dtype=np.float32)
        best = np.argsort(-(self.vectors @ query))[:TOP_K]
        return [self.chunks[i] for i in best]

    def answer(self, question: str, model: Any = None) -> str:
        """The prompt (no model) or the model's reply to it (one call, no tools)."""
        prompt = PROMPT.format(context="\n\n".join(self.retrieve(question)), question=question)
        if model is None:
            return prompt
        return str(model.invoke(prompt).content)
